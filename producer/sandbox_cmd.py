"""`servo-fargate sandbox`: a local stand-in for AWS Fargate, until interrupted.

Starts moto in server mode, provisions a VPC, cluster, task definition, ALB, listener, ip
target group and FARGATE service through the AWS APIs, runs the service's tasks as local
processes behind a local load balancer, feeds CloudWatch, writes config.yaml and prints
the environment to export. The emulator is imported only when this command runs.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from producer import sandbox_background as background
from producer.cliargs import number
from producer.exitcodes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK

DEFAULT_CONFIG_OUT = "sandbox-config.yaml"

EPILOG = """\
examples:
  servo-fargate sandbox                        # fast profile, writes ./sandbox-config.yaml
  servo-fargate sandbox --config-out /tmp/sb.yaml --replicas 3
  servo-fargate sandbox --profile aws          # real timings: ~40 s starts, 300 s draining
  servo-fargate sandbox --faults throttle,errors=0.2,capacity=0.05,seed=7 --call-log calls.jsonl
                                               # a bad day on AWS, repeatable; read the log with
                                               # python -m emulator.calllog calls.jsonl

fault kinds (comma list, each once): throttle[=FACTOR], errors=SHARE, capacity=SHARE,
spot=SHARE, metrics-delay=SECONDS, customer=SHARE, seed=N (see emulator/README.md)

The config it writes carries the endpoint, region and dummy keys (its aws: section), so
no export is needed:
  servo-fargate sandbox --background           # returns when ready; --stop stops it
  servo-fargate worker --config sandbox-config.yaml
  servo-fargate step web cpu=0.5 GOGC=90 --wait --config sandbox-config.yaml

exit codes: 0 stopped by SIGINT/SIGTERM, 1 the sandbox could not start, 2 a bad --faults spec
"""


def register(sub: Any) -> None:
    """Add the `sandbox` subcommand to the CLI's subparsers."""
    p = sub.add_parser("sandbox", help="run a local Fargate sandbox (moto + real task processes)",
                       description=__doc__, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", choices=("fast", "aws"), default="fast",
                   help="timings: fast (deployments settle in seconds) or aws (realistic)")
    p.add_argument("--config-out", metavar="PATH", default=DEFAULT_CONFIG_OUT,
                   help=f"where to write the ready config.yaml (default: ./{DEFAULT_CONFIG_OUT})")
    p.add_argument("--replicas", type=number(minimum=1, maximum=100, integer=True), default=2, metavar="N",
                   help="the service's desired count (1..100)")
    p.add_argument("--faults", metavar="SPEC", default=None,
                   help="make the AWS endpoint hostile, e.g. throttle,errors=0.2,seed=7 (kinds below)")
    p.add_argument("--call-log", metavar="PATH", type=Path, default=None,
                   help="append every AWS call the endpoint answered to PATH as JSON lines")
    p.add_argument("--background", action="store_true",
                   help="start it detached, return once it is ready (log and pid file beside the config)")
    p.add_argument("--stop", action="store_true",
                   help="stop the sandbox that --background started for --config-out")
    p.set_defaults(handler=cmd_sandbox)


def export_lines(env: dict[str, str]) -> list[str]:
    """`export NAME=value` lines, quoted for a POSIX shell."""
    return [f"export {name}={shlex.quote(value)}" for name, value in env.items()]


def cmd_sandbox(args: argparse.Namespace) -> int:
    if args.stop:
        return background.stop(Path(args.config_out))
    if args.background:
        return background.start(Path(args.config_out), foreground_argv(args))
    return run_foreground(args)


def foreground_argv(args: argparse.Namespace) -> list[str]:
    """This command without --background: what the detached process runs."""
    argv = [sys.executable, "-m", "producer.cli", "sandbox", "--profile", args.profile,
            "--config-out", str(Path(args.config_out).resolve()), "--replicas", str(args.replicas)]
    if args.faults:
        argv += ["--faults", args.faults]
    if args.call_log:
        argv += ["--call-log", str(args.call_log.resolve())]
    return argv


def run_foreground(args: argparse.Namespace) -> int:
    from emulator.faults import FaultSpecError, parse_faults
    from emulator.sandbox import Sandbox, SandboxError

    try:
        faults = parse_faults(args.faults)
    except FaultSpecError as exc:
        print(f"sandbox: --faults: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    box = Sandbox(args.profile, config_out=Path(args.config_out), desired_count=args.replicas, faults=faults,
                  call_log=args.call_log)
    try:
        try:
            box.start()
        except SandboxError as exc:
            print(f"sandbox: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print("\n".join(export_lines(box.env)), flush=True)
        print(f"# sandbox ({args.profile}) ready: load balancer {box.lb_url}, config {box.config_path} "
              "(it names the endpoint: no export needed with --config); Ctrl-C stops it",
              file=sys.stderr, flush=True)
        if faults.active:
            print(f"# faults: {faults} (repeat the run with --faults {faults})", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            if box.controller is not None and box.controller.errors:
                print(f"sandbox: the controller stopped: {box.controller.errors[0]!r}", file=sys.stderr)
                return EXIT_FAILED
        return EXIT_OK
    finally:
        box.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
