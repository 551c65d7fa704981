"""Preflight: named checks of a user's Fargate setup, each with a verdict and a remedy.

`run_checks()` runs every check (or those picked by id or area) and never raises for AWS
errors: a check whose AWS call fails reports `fail`, and one that this endpoint or account
cannot answer (moto has no IAM policy simulation) reports `unverified`, which does not fail.
`critical_failures()` is what the worker calls at start: components whose setup would make
a step hang or fail, with the reasons to log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import structlog
from botocore.exceptions import BotoCoreError, ClientError

from worker.aws.clients import Clients, error_code
from worker.aws.preflight import access_checks, capacity_checks, ecs_checks, lb_checks  # noqa: F401 - register
from worker.aws.preflight.model import (
    REGISTRY,
    VERDICTS,
    Cache,
    CheckResult,
    CheckSpec,
    Context,
    Missing,
    NotVerifiable,
    Verdict,
    aws_failure,
    is_not_implemented,
)
from worker.contract.config import Config

__all__ = [
    "CHECK_IDS",
    "VERDICTS",
    "CheckResult",
    "Verdict",
    "critical_failures",
    "exit_code",
    "run_checks",
    "select",
]

# Areas in the order a user fixes them: nothing below matters while something above fails.
AREAS = ("config", "cluster", "service", "taskdef", "quota", "network", "lb", "autoscaling", "permissions",
         "loadpath", "metrics")
CHECKS: dict[str, CheckSpec] = dict(sorted(REGISTRY.items(), key=lambda kv: AREAS.index(kv[0].split(".")[0])))
CHECK_IDS: tuple[str, ...] = tuple(CHECKS)
CRITICAL_IDS: tuple[str, ...] = tuple(i for i, s in CHECKS.items() if s.critical)

log = structlog.get_logger("servo.preflight")
# Errors that say nothing about the setup, only that this caller could not look right now.
UNANSWERED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException",
              "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}


def select(only: Iterable[str] | None) -> list[CheckSpec]:
    """The checks named in `only` (an id such as `lb.target-type`, or an area such as `lb`);
    every check when `only` is empty. Raises ValueError naming unknown ids."""
    wanted = [w.strip() for w in only or () if w.strip()]
    if not wanted:
        return list(CHECKS.values())
    unknown = [w for w in wanted if w not in CHECKS and not any(i.startswith(f"{w}.") for i in CHECKS)]
    if unknown:
        raise ValueError(f"unknown check id {', '.join(unknown)} (known: {', '.join(CHECK_IDS)})")
    return [s for i, s in CHECKS.items() if any(i == w or i.startswith(f"{w}.") for w in wanted)]


def run_checks(config: Config, clients: Clients, only: Iterable[str] | None = None,
               components: Sequence[str] | None = None) -> list[CheckResult]:
    """Run the selected checks: global ones once, then each component's, in registry order."""
    specs = select(only)
    cache = Cache()
    results = [_run(spec, Context(config, clients, cache)) for spec in specs if spec.scope == "global"]
    for name in components or list(config.components):
        component = config.component(name)
        results += [_run(spec, Context(config, clients, cache, component)) for spec in specs
                    if spec.scope == "component"]
    return results


def critical_failures(config: Config, clients: Clients) -> dict[str, list[CheckResult]]:
    """The failed critical checks per component name; a component absent from it may run steps.

    A failed global check (credentials, permissions) blocks every component. Each failure is
    logged as `preflight.blocked` with the check id, finding and remedy.
    """
    results = run_checks(config, clients, only=CRITICAL_IDS)
    failed = [res for res in results if res.verdict == "fail"]
    global_failed = [res for res in failed if res.component is None]
    out: dict[str, list[CheckResult]] = {}
    for name in config.components:
        mine = global_failed + [res for res in failed if res.component == name]
        if mine:
            out[name] = mine
            for res in mine:
                log.error("preflight.blocked", component=name, check=res.id, finding=res.finding,
                          remedy=res.remedy)
    return out


def _run(spec: CheckSpec, ctx: Context) -> CheckResult:
    ctx.check_id = spec.id
    try:
        return spec.fn(ctx)
    except Missing as exc:
        return ctx.result("unverified", f"not checked: {exc}")
    except NotVerifiable as exc:
        return ctx.result("unverified", f"not verifiable here: {exc}",
                          "verify by hand on real AWS, or re-run where the API is available")
    except (ClientError, BotoCoreError) as exc:
        if is_not_implemented(exc):
            return ctx.result("unverified",
                              f"not verifiable here: the AWS endpoint failed ({aws_failure(exc)})")
        if isinstance(exc, ClientError) and error_code(exc) in UNANSWERED:
            # The setup may be fine: this caller cannot look (or not now). Not a failure.
            return ctx.result("unverified",
                              f"could not look: {exc.operation_name} failed ({aws_failure(exc)})",
                              "grant the caller the read-only actions of servo-fargate iam-policy "
                              "--part preflight, or run check again if AWS was throttling")
        return ctx.fail(f"AWS call failed: {aws_failure(exc)}",
                        "check credentials, region and the worker's IAM permissions")
    except OSError as exc:
        return ctx.fail(f"cannot reach AWS: {exc}", "check the network path and AWS_ENDPOINT_URL")
