"""`servo-fargate check`: preflight the setup behind every component, with remedies."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from producer.cliargs import add_config
from producer.exitcodes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from worker.contract.config import load_config
from worker.contract.errors import ConfigError
from worker.contract.safetext import terminal_safe

MAX_PROBLEMS = 20  # config problems listed in the config.valid finding

EPILOG = """\
examples:
  servo-fargate check --config config.yaml
  servo-fargate check --only lb,network.route-out --format json

verdicts: pass; warn (works, but slows or risks every step); fail (fix before tuning);
unverified (this endpoint or account cannot tell, e.g. IAM simulation on moto; not a failure)

exit codes: 0 nothing failed, 1 a check failed, 2 bad config, 3 AWS cannot be reached
"""


def register(sub: Any) -> None:
    """Add the `check` subcommand to the CLI's subparsers."""
    p = sub.add_parser("check", help="preflight the AWS setup of every component, with remedies",
                       description=__doc__, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config(p)
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    p.add_argument("--only", metavar="ID,...", default="",
                   help="run only these checks: ids (lb.target-type) or areas (lb)")
    p.set_defaults(handler=cmd_check)


def cmd_check(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run the checks; print them as a table or JSON; return the exit code."""
    from botocore.exceptions import BotoCoreError

    from producer.reach import probe_aws
    from worker.aws import preflight
    from worker.aws.clients import Clients
    from worker.aws.preflight.model import CheckResult

    out = out or sys.stdout
    asked = [part.strip() for part in args.only.split(",") if part.strip()]
    budget = not asked or any(part in BUDGET_IDS for part in asked)  # the budget is no preflight check
    only = [part for part in asked if part not in BUDGET_IDS]
    try:
        preflight.select(only)
    except ValueError as exc:
        print(f"{exc} (and {BUDGET_IDS[1]})", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        shown = exc.problems[:MAX_PROBLEMS] + ([f"... and {len(exc.problems) - MAX_PROBLEMS} more"]
                                               if len(exc.problems) > MAX_PROBLEMS else [])
        bad = CheckResult("config.valid", None, "fail", "; ".join(shown),
                          "fix the listed fields (servo-fargate validate prints the same problems)")
        _print([bad], args.format, out)
        return EXIT_BAD_INPUT
    reach = probe_aws(settings=config.aws)  # seconds, not the patient worker clients' retries
    if not reach.ok:
        _print([CheckResult("aws.reachable", None, "fail", reach.finding, reach.remedy)], args.format, out)
        return reach.exit_code
    try:
        clients = Clients.for_config(config)
    except BotoCoreError as exc:
        bad = CheckResult("config.credentials", None, "fail", f"cannot create AWS clients: {exc}",
                          "set AWS_REGION and credentials (AWS_PROFILE or access keys)")
        _print([bad], args.format, out)
        return EXIT_FAILED
    results = preflight.run_checks(config, clients, only=only) if only or not asked else []
    if budget:
        results = [budget_check(), *results]
    _print(results, args.format, out)
    return EXIT_FAILED if any(res.verdict == "fail" for res in results) else EXIT_OK


BUDGET_IDS = ("api", "api.budget")  # the area and the id of the one check that is not a preflight one


def budget_check() -> Any:
    """The AWS API budget every worker shares (worker/aws/budget.py), as a check result."""
    import os

    from worker.aws import budget
    from worker.aws.preflight.model import CheckResult
    from worker.contract import constants as C

    remedy = f"set ${C.ENV_API_BUDGET} like services=10,tasks=10,elb=5 (calls a second, all workers)"
    try:
        rates = budget.rates_from_env(os.environ)
    except ConfigError as exc:
        return CheckResult("api.budget", None, "fail", "; ".join(exc.problems), remedy)
    text, over = budget.describe(rates)
    if over:
        return CheckResult("api.budget", None, "warn", f"API budget in use: {text}; above AWS's sustained "
                           f"rate: {', '.join(over)}", remedy)
    return CheckResult("api.budget", None, "pass", f"API budget in use, all workers together: {text}",
                       remedy)


def _print(results: Sequence[Any], fmt: str, out: TextIO) -> None:
    if fmt == "json":
        json.dump({"checks": [r.to_dict() for r in results], "summary": _summary(results)}, out, indent=2)
        out.write("\n")
    else:
        out.write(format_table(results))


def _summary(results: Sequence[Any]) -> dict[str, int]:
    from worker.aws.preflight import VERDICTS

    return {v: sum(1 for r in results if r.verdict == v) for v in VERDICTS}


def format_table(results: Sequence[Any]) -> str:
    """Results grouped by component (global checks first), one line each, remedies indented."""
    groups: dict[str | None, list[Any]] = {}
    for res in results:
        groups.setdefault(res.component, []).append(res)
    width = max((len(r.id) for r in results), default=10)
    lines = []
    for component, members in groups.items():
        lines.append(f"{component}" if component else "(all components)")
        for res in members:
            lines.append(f"  {res.verdict.upper():<10} {res.id:<{width}}  {terminal_safe(res.finding)}")
            if res.remedy and res.verdict != "pass":
                lines.append(f"  {'':<10} {'':<{width}}  remedy: {terminal_safe(res.remedy)}")
        lines.append("")
    summary = _summary(results)
    lines.append(", ".join(f"{n} {v}" for v, n in summary.items()))
    return "\n".join(lines) + "\n"
