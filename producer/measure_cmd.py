"""`servo-fargate measure`: the benchmark stage alone, against a URL.

apache bench (warmup, then the measured run), then CloudWatch when the config has
`cloudwatch.metrics`, read `cloudwatch.delay` seconds after the run. With `--url`, the
config's CloudWatch queries are about some other service, so only ab runs unless
`--cloudwatch` asks for them.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from producer import cliargs
from worker.contract.config import AB_MAX_CONCURRENCY, MAX_SECONDS, AbConfig, Config, config_path, load_config

EPILOG = """\
examples:
  servo-fargate measure --url http://127.0.0.1:8080/ --duration 10 --warmup 0
  AB_TEST_URL=http://web.internal/ servo-fargate measure --config config.yaml --format json
  servo-fargate measure --url http://web.internal/ --cloudwatch   # ab, then the config's metrics

Ctrl-C stops ab early; the requests measured so far are still reported (exit code 1).
"""


def add_parser(sub: Any) -> None:
    """Register `measure` on the CLI's subparsers."""
    p = sub.add_parser("measure", help="benchmark a URL with apache bench (and CloudWatch if configured)",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    cliargs.add_config(p, optional_default=True)
    p.add_argument("--url", type=cliargs.url, help="target URL (default: $AB_TEST_URL, else ab.url)")
    p.add_argument("--duration", type=cliargs.number(minimum=0, strict_min=True, maximum=MAX_SECONDS),
                   metavar="S", help="measured seconds (default: ab.duration)")
    p.add_argument("--warmup", type=cliargs.number(minimum=0, maximum=MAX_SECONDS), metavar="S",
                   help="warmup seconds, 0 for none")
    p.add_argument("--concurrency", type=cliargs.number(minimum=1, maximum=AB_MAX_CONCURRENCY, integer=True),
                   metavar="N", help="concurrent connections")
    p.add_argument("--cloudwatch", action=argparse.BooleanOptionalAction, default=None,
                   help="read the config's CloudWatch metrics after ab (default: yes, unless --url "
                        "names the target)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    p.set_defaults(handler=cmd_measure)


def cmd_measure(args: argparse.Namespace) -> int:
    from producer.exitcodes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, EXIT_UNREACHABLE
    from worker.contract.errors import MeasurementFailed, Unreachable
    from worker.load.abrun import AbFailed, run_ab

    config = _config(args.config)
    ab = _overrides(config.ab if config else _ab_without_config(), args)
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        run = run_ab(ab, progress=_progress, cancel=stop.is_set)
        measurement = _with_cloudwatch(run, config if _wants_cloudwatch(args, config) else None)
    except AbFailed as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return {"bad-url": EXIT_BAD_INPUT}.get(
            exc.kind, EXIT_UNREACHABLE if exc.unreachable else EXIT_FAILED)
    except MeasurementFailed as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE if isinstance(exc, Unreachable) else EXIT_FAILED
    finally:
        signal.signal(signal.SIGINT, previous)
    if args.format == "json":
        print(json.dumps(measurement.to_dict(), indent=2))
    else:
        _print_table(measurement.to_dict())
    if run.cancelled:
        print("cancelled: the numbers cover only the requests made before Ctrl-C", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _wants_cloudwatch(args: argparse.Namespace, config: Config | None) -> bool:
    """CloudWatch too, unless --url names a target the config's queries are not about; says so."""
    has = bool(config and config.cloudwatch and config.cloudwatch.metrics)
    wanted = args.cloudwatch if args.cloudwatch is not None else args.url is None
    if wanted and not has:
        if args.cloudwatch:
            print("no CloudWatch metrics: the config has no cloudwatch.metrics; ab only", file=sys.stderr)
        return False
    if has and not wanted:
        why = "--no-cloudwatch" if args.cloudwatch is False else "--url names the target"
        print(f"ab only ({why}): the config's CloudWatch queries are not read; add --cloudwatch to "
              "read them", file=sys.stderr)
    return wanted


def _config(explicit: str | None) -> Config | None:
    """The config if one is named or ./config.yaml exists; `measure` also runs without one."""
    path = config_path(explicit)
    if explicit is None and not Path(path).exists():
        return None
    return load_config(path)


def _ab_without_config() -> AbConfig:
    """Defaults plus $AB_TEST_URL and $AB_HEADERS, validated as the config loader does."""
    from worker.contract.config import _ab  # the loader's own `ab:` section parser, fed an empty section
    from worker.contract.problems import Problems

    problems = Problems()
    ab = _ab({}, os.environ, problems)
    problems.raise_if_any()
    return ab


def _overrides(ab: AbConfig, args: argparse.Namespace) -> AbConfig:
    changes: dict[str, Any] = {}
    for key, value in (("url", args.url), ("duration", args.duration), ("warmup", args.warmup),
                       ("concurrency", args.concurrency)):
        if value is not None:
            changes[key] = value
    return replace(ab, **changes)


def _with_cloudwatch(run: Any, config: Config | None) -> Any:
    from worker.aws import clients as aws
    from worker.aws import cloudwatch
    from worker.load.measurement import build_measurement

    cw = config.cloudwatch if config else None
    if cw is None or not cw.metrics:
        return build_measurement(run)
    wait = cloudwatch.ready_at(run.finished, cw.delay) - time.time()
    if wait > 0:
        print(f"waiting {wait:.0f} s for CloudWatch data (cloudwatch.delay)", file=sys.stderr)
        time.sleep(wait)
    client = aws.Clients.from_env(settings=config.aws if config else None).cloudwatch
    metrics, window = cloudwatch.read_run(client, cw.metrics, run.started, run.finished)
    if cloudwatch.short(metrics):  # late datapoints: read once more, then report what is there
        again = cloudwatch.reread_at(time.time(), cw.delay, cloudwatch.period_of(cw.metrics)) - time.time()
        print(f"CloudWatch is short of datapoints for {', '.join(cloudwatch.short(metrics))}; "
              f"reading again in {again:.0f} s", file=sys.stderr)
        time.sleep(again)
        metrics, window = cloudwatch.read_run(client, cw.metrics, run.started, run.finished)
    return build_measurement(run, metrics, window)


def _progress(phase: str, elapsed: float, planned: float) -> None:
    if sys.stderr.isatty():
        print(f"\r{phase}: {elapsed:.0f}/{planned:.0f} s", end="", file=sys.stderr, flush=True)
        if elapsed >= planned:
            print(file=sys.stderr)


def _print_table(result: dict[str, Any]) -> None:
    for name, metric in result["metrics"].items():
        value = metric["value"]
        shown = "-" if value is None else f"{value:.6g}" if isinstance(value, float) else str(value)
        note = f"  ({metric['note']})" if metric.get("note") else ""
        print(f"{name:<52} {shown:>14} {metric['unit']}{note}")
