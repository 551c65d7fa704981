"""`servo-fargate optimize`: the built-in optimizer on one component."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from producer import objectives as obj
from producer.cliargs import add_config, expires, ident, number, parse_pairs
from producer.exitcodes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED
from worker.contract.config import Config
from worker.contract.errors import ConfigError
from worker.contract.safetext import terminal_safe

if TYPE_CHECKING:  # optuna loads only when the verb runs, not for every CLI command
    from optuna.trial import FrozenTrial

EPILOG = """\
examples:
  servo-fargate optimize web --slo-p95 45 --trials 30
  servo-fargate optimize web --objective cost-per-million --max-error-rate 1 --min-throughput 200
  servo-fargate optimize web --objective cost,p95 --slo-p95 100 --repeat 3 --timeout 3600
  servo-fargate report web-cost --out report/

Each trial is one step (adjust, settle, benchmark) on the live service. The study is kept
in Redis: run the same command again to resume after a crash; --trials counts every
configuration measured so far. The baseline (first trial) is the service's current
settings, read from AWS, unless --baseline or --no-baseline says otherwise.
"""


def register(sub: Any) -> None:
    p = sub.add_parser("optimize", help="search the declared settings for the best configuration",
                       description="Optuna (ask-and-tell) over the component's declared settings; "
                                   "each trial is a step submitted through the producer API and says why "
                                   "it was run. For cost alone, sizes far over the SLO rule out what they "
                                   "dominate, a capacity model fitted to the measurements picks the next, "
                                   "near results are repeated, and the search stops when no cheaper size "
                                   "has a fair chance; otherwise TPE.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("component", help="component name from the config")
    add_config(p)
    p.add_argument("--study", metavar="NAME", type=ident,
                   help="study name (default: COMPONENT-OBJECTIVES); resumes if it exists")
    p.add_argument("--objective", default="cost", metavar="NAME[,NAME]",
                   help=f"to minimize: {', '.join(obj.OBJECTIVES)}; two or more give a Pareto front")
    # Flags are parsed as finite numbers here; their ranges are checked by Goal and Options.
    p.add_argument("--slo-p95", type=number(maximum=3_600_000), metavar="MS",
                   help="constraint: p95 latency at most MS")
    p.add_argument("--max-error-rate", type=number(), metavar="PCT",
                   help="constraint: error rate at most PCT %%")
    p.add_argument("--min-throughput", type=number(maximum=1e9), metavar="RPS",
                   help="constraint: at least RPS req/s")
    p.add_argument("--trials", type=number(maximum=100_000, integer=True), default=30,
                   help="configurations to measure (default 30)")
    p.add_argument("--timeout", type=number(maximum=30 * 86_400), metavar="S",
                   help="start no trial after S seconds")
    p.add_argument("--repeat", type=number(maximum=100, integer=True), default=1, metavar="N",
                   help="steps per configuration; the median counts, the spread is recorded")
    p.add_argument("--sampler", choices=obj.SAMPLERS, default="auto",
                   help="auto (default): cost-first when cost is the only objective; with cost "
                        "and p95 under --slo-p95, cost-first for the front's cheap end, then tpe; "
                        "else tpe")
    p.add_argument("--seed", type=number(minimum=0, maximum=2**32 - 1, integer=True),
                   help="sampler seed, for a reproducible search")
    p.add_argument("--control", metavar="key=value", action="append", default=[],
                   help="load overrides for every step: duration, warmup, concurrency")
    p.add_argument("--expires", type=expires, metavar="S",
                   help="seconds each step may wait for a worker before it ends expired (default 3600)")
    p.add_argument("--baseline", metavar="key=value", action="append", default=[],
                   help="the current settings (default: read from AWS)")
    p.add_argument("--no-baseline", action="store_true", help="run no baseline trial")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(handler=cmd_optimize)


def goal_of(args: argparse.Namespace) -> obj.Goal:
    names = tuple(n.strip() for n in args.objective.split(",") if n.strip())
    rate = None if args.max_error_rate is None else args.max_error_rate / 100
    return obj.Goal(names, max_p95_ms=args.slo_p95, max_error_rate=rate, min_throughput=args.min_throughput)


def cmd_optimize(args: argparse.Namespace) -> int:
    import optuna

    from producer import studies
    from producer.optimize import Optimizer, Options
    from producer.reach import cli_producer
    from worker.flow.app import redis_url

    goal = goal_of(args)
    options = Options(trials=args.trials, timeout_s=args.timeout, repeat=args.repeat, sampler=args.sampler,
                      seed=args.seed, control=parse_pairs(args.control, "--control"), expires_s=args.expires)
    if args.no_baseline and args.baseline:
        raise ConfigError(["--baseline: give the current settings or --no-baseline, not both"])
    producer = cli_producer(args.config)
    baseline = None if args.no_baseline else (parse_pairs(args.baseline, "--baseline") if args.baseline
                                              else current_settings(producer, args.component))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optimizer = Optimizer(producer, args.component, goal, redis_url=redis_url(), study_name=args.study,
                          baseline=baseline, options=options, on_trial=progress)
    if any(o.startswith("cost") for o in goal.objectives):  # the options are valid: read prices
        producer.config = priced(producer.config, args.component)
    size = optimizer.space.size()
    print(f"study {optimizer.name}: {'a continuous space' if size is None else f'{size} configurations'} "
          f"in the space, budget {options.trials}", file=sys.stderr)
    try:
        with _terminated_as_interrupted():
            study = optimizer.run()
    except KeyboardInterrupt as stop:
        print(f"\ninterrupted; run the same command to resume study {optimizer.name}", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED
    summary = studies.summarize(study)
    print(json.dumps(summary, indent=2) if args.format == "json" else studies.render(summary))
    found = summary.get("best") or summary.get("pareto")
    return EXIT_OK if found else EXIT_FAILED


class Terminated(KeyboardInterrupt):
    """SIGTERM (a container stopped, `kill`), handled as Ctrl-C is: the study says how to resume."""


@contextmanager
def _terminated_as_interrupted() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise Terminated

    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def current_settings(producer: Any, component: str) -> dict[str, Any]:
    """The service's settings now, read from AWS (the baseline and the unsearched sizes)."""
    from worker.aws import clients as aws  # boto3 only when AWS is needed
    from worker.aws import fargate

    clients = aws.Clients.for_config(producer.config)
    described = fargate.describe(clients.ecs, producer.config.component(component))
    return {key: setting["value"] for key, setting in described.items() if setting.get("value") is not None}


def priced(config: Config, component: str) -> Config:
    """The config with prices for the service's region and task architecture (runtimePlatform),
    unless `pricing:` declares them; warnings on stderr for what the price table lacks."""
    from botocore.exceptions import BotoCoreError

    from producer.pricing import resolve
    from worker.aws import clients as aws
    from worker.aws import fargate
    from worker.contract.errors import AdjustmentRejected, TransientError

    clients = aws.Clients.for_config(config)
    try:
        td = fargate.read_state(clients.ecs, config.component(component)).task_definition
    except (TransientError, AdjustmentRejected, BotoCoreError) as exc:
        print(f"warning: prices not matched to the task definition ({exc}); using {config.pricing}",
              file=sys.stderr)
        return config
    pricing, warnings = resolve(config.pricing, clients.session.region_name, td)
    for line in warnings:
        print(f"warning: {line}", file=sys.stderr)
    return replace(config, pricing=pricing)


def progress(trial: FrozenTrial) -> None:
    attrs = trial.user_attrs
    o = attrs.get("outcome") or {}
    settings = " ".join(f"{k}={v}" for k, v in (attrs.get("settings") or {}).items())
    verdict = "feasible" if all(v <= 0 for v in trial.constraints.values()) else "infeasible"
    p95 = f"p95 {o['p95_ms']:.1f} ms " if o.get("p95_ms") is not None else ""
    cost = f"${o['cost_per_hour']:.4f}/h " if o.get("cost_per_hour") is not None else ""
    said = verdict if o.get("status") not in ("pruned", "failed", "cancelled") else ""
    if o.get("status") in ("rejected", "failed", "cancelled") and o.get("reason"):
        cause = ": ".join(str(part) for part in (o["reason"], o.get("message")) if part)
        said = f"{said} ({terminal_safe(cause)[:100]})".strip()  # an OOM kill, an expired step
    print(f"trial {trial.number:3d} {attrs.get('source') or '':<14} {settings:<40} {o.get('status', ''):<10}"
          f"{p95}{cost}{said}", file=sys.stderr, flush=True)
    why = (attrs.get("why") or {}).get("text")
    if why:
        print(f"          why: {why}", file=sys.stderr, flush=True)
