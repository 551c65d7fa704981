"""The `servo-fargate` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import redis

from producer.cliargs import add_config
from producer.exitcodes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, EXIT_UNREACHABLE
from worker.contract import constants as C
from worker.contract.config import Config, load_config
from worker.contract.errors import AdjustmentRejected, ConfigError, ServoError, TransientError, Unreachable
from worker.contract.namespace import process_keys
from worker.contract.safetext import clip_line, terminal_safe

MAX_PROBLEMS = 20  # problem lines printed for one bad input; the rest are counted

EPILOG = """\
examples:
  servo-fargate validate --config config.yaml
  servo-fargate check
  servo-fargate iam-policy > policy.json
  servo-fargate describe web --format json
  servo-fargate step web cpu=0.5 mem=1 GOGC=90 --wait
  servo-fargate sweep sweep.yaml --wait
  servo-fargate results latest --format csv

exit codes: 0 ok, 1 step failed or rejected, 2 bad input, 3 cannot reach Redis or AWS
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        with config_of(getattr(args, "config", None)):
            return handler(args)
    except ConfigError as exc:
        _err(*exc.problems[:MAX_PROBLEMS])
        if len(exc.problems) > MAX_PROBLEMS:
            _err(f"... and {len(exc.problems) - MAX_PROBLEMS} more problems")
        return EXIT_BAD_INPUT
    except AdjustmentRejected as exc:
        _err(f"rejected: {exc}")
        return EXIT_FAILED
    except TransientError as exc:
        _err(f"failed: {exc}")
        return EXIT_UNREACHABLE if isinstance(exc, Unreachable) else EXIT_FAILED
    except ServoError as exc:
        _err(f"error: {exc}")
        return EXIT_FAILED
    except redis.RedisError as exc:
        _err(f"error: cannot reach Redis at {_redis_where()} ({exc}); start it, or point "
             "SERVO_REDIS_URL at one that answers")
        return EXIT_UNREACHABLE
    except TimeoutError as exc:
        _err(f"timeout: {exc}")
        return EXIT_FAILED


@contextmanager
def config_of(path: str | None) -> Iterator[None]:
    """While a command runs, `--config` is this process's config ($SERVO_CONFIG): the namespace
    (its queues, its records, its studies) is the one that file names, as for the worker started
    with it, unless $SERVO_NAMESPACE says otherwise (worker/contract/namespace.py)."""
    if path is None:
        yield
        return
    before = os.environ.get(C.ENV_CONFIG)
    os.environ[C.ENV_CONFIG] = path
    process_keys.cache_clear()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(C.ENV_CONFIG, None)
        else:
            os.environ[C.ENV_CONFIG] = before
        process_keys.cache_clear()


def _err(*lines: str) -> None:
    """Problems on stderr, one short line each, control characters escaped."""
    for line in lines:
        print(clip_line(line), file=sys.stderr)


def _redis_where() -> str:
    from urllib.parse import urlsplit

    from worker.flow.app import redis_url

    try:  # never print a password from the URL
        parts = urlsplit(redis_url())
        return f"{parts.hostname}:{parts.port or 6379}"
    except ValueError:
        return "$SERVO_REDIS_URL"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="servo-fargate", description="Tune AWS ECS Fargate services by experiment.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check the config file and print every problem")
    add_config(p)
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("describe", help="print a component's current settings, read from AWS")
    add_config(p)
    p.add_argument("component", nargs="?", help="component name (default: every component)")
    _format_arg(p)
    p.set_defaults(handler=cmd_describe)

    # Further commands live in their own modules and add their parser here, one line each.
    from producer import sandbox_cmd
    sandbox_cmd.register(sub)
    from producer import measure_cmd
    measure_cmd.add_parser(sub)
    from producer import check_cmd
    check_cmd.register(sub)
    from producer import iam_cmd
    iam_cmd.register(sub)
    from producer import steps_cmd
    steps_cmd.register(sub)
    from producer import optimize_cmd
    optimize_cmd.register(sub)
    from producer import report_cmd
    report_cmd.register(sub)
    from producer import worker_cmd
    worker_cmd.register(sub)
    return parser


def _format_arg(p: argparse.ArgumentParser, choices: tuple[str, ...] = ("table", "json")) -> None:
    p.add_argument("--format", choices=choices, default=choices[0], help="output format")


def _load(args: argparse.Namespace) -> Config:
    return load_config(args.config)


def cmd_validate(args: argparse.Namespace) -> int:
    _load(args)
    print("ok")
    return EXIT_OK


def cmd_describe(args: argparse.Namespace) -> int:
    from producer.reach import probe_aws
    from worker.aws import clients as aws  # boto3 only when AWS is needed
    from worker.aws import fargate

    config = _load(args)
    names = [args.component] if args.component else list(config.components)
    for name in names:
        config.component(name)  # an unknown name is bad input, before any AWS call
    reach = probe_aws(settings=config.aws)
    if not reach.ok:
        _err(f"error: {reach.finding}; {reach.remedy}")
        return reach.exit_code
    clients = aws.Clients.for_config(config)
    result = {"application": {"components": {
        name: {"settings": fargate.describe(clients.ecs, config.component(name))} for name in names
    }}}
    if args.format == "json":
        print(json.dumps(result, indent=2))
    else:
        _print_describe(result)
    return EXIT_OK


def _print_describe(result: dict[str, Any]) -> None:
    for name, comp in result["application"]["components"].items():
        print(name)
        for key, setting in comp["settings"].items():
            allowed = (", ".join(map(str, setting["values"])) if setting["type"] == "enum"
                       else f"{setting['min']}..{setting['max']} step {setting['step']}")
            pinned = " (pinned)" if setting.get("pinned") else ""
            line = f"  {key:<12} {setting['value']!s:<8} {setting['unit']:<6} {allowed}{pinned}"
            print(terminal_safe(line))


if __name__ == "__main__":
    sys.exit(main())
