"""`servo-fargate report`: a sweep's or a study's results as an HTML page, CSV and JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from producer.cliargs import add_config, ident, number
from producer.exitcodes import EXIT_OK
from worker.contract.errors import ConfigError
from worker.contract.safetext import terminal_safe

MAX_SLO_MS = 3_600_000  # an SLO line beyond an hour is a typo


def register(sub: Any) -> None:
    p = sub.add_parser("report", help="write an HTML report (pictures embedded) with CSV and JSON exports",
                       description="Latency versus cost with the Pareto front and the SLO line, a timeline "
                                   "of every step's stages, and the table of steps.",
                       epilog="examples:\n  servo-fargate report latest --out report/\n"
                              "  servo-fargate report web-cost --out report/   # a study from `optimize`",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", metavar="SWEEP_ID|STUDY", type=ident,
                   help="a sweep id, 'latest', or an optimize study name")
    p.add_argument("--out", metavar="DIR", default="report", help="output directory (default: ./report)")
    p.add_argument("--slo-p95", type=number(minimum=0, strict_min=True, maximum=MAX_SLO_MS), metavar="MS",
                   help="draw this SLO line (a study knows its own)")
    add_config(p)
    p.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from producer import outfiles, report
    from producer.reach import cli_producer

    out_dir = Path(args.out)
    outfiles.check_dir(out_dir)  # before any Redis read: a bad --out is exit 2 at once
    replaced = outfiles.existing(report.report_paths(out_dir))
    producer = cli_producer(args.config)
    store = producer.store
    sweep_id = store.latest_sweep_id() if args.source == "latest" else args.source
    if sweep_id and store.sweep(sweep_id) is not None:
        data = report.collect_sweep(store.sweep_steps(sweep_id), producer.config.pricing, sweep_id,
                                    args.slo_p95)
    else:
        data = _study_data(args.source, store)
        if args.slo_p95 is not None:
            data.slo_p95_ms = args.slo_p95
    if replaced:
        print(terminal_safe(f"overwriting {', '.join(str(p) for p in replaced)}"), file=sys.stderr)
    for path in report.write_report(data, out_dir):
        print(terminal_safe(str(path)))
    opened = out_dir / "report.html"
    print(terminal_safe(f"{len(data.rows)} steps; open {opened} in a browser"), file=sys.stderr)
    return EXIT_OK


def _study_data(name: str, store: Any) -> Any:
    from producer import report, studies
    from worker.flow.app import redis_url

    try:
        study = studies.load(name, redis_url())
    except ConfigError as exc:
        raise ConfigError([f"source: {name!r} is neither a sweep id nor a study "
                           f"({exc.problems[0].removeprefix('study: ')})"]) from None
    summary = studies.summarize(study)
    ids = [i for t in summary["trials"] for i in t["step_ids"]]
    ids += (summary.get("baseline") or {}).get("step_ids", [])
    return report.collect_study(summary, {r["id"]: r for r in store.many(ids)})
