"""Orchestration overhead per step (issue 4, goal 1: median <= 0.3 s).

Usage: .venv/bin/python -m bench.pipeline_overhead [--steps 20] [--warmup 2] [--concurrency 2]
           [--min-delay 0.2] [--max-delay 3] [--seed 4] [--poll-cap S]

One service on moto, one RolloutDriver (tick 0.01 s) whose rollouts start after a random
delay in [min-delay, max-delay] s, one prefork worker on both queues, ab for 1 s at c=4
against a local HTTP server, no CloudWatch section (collect_metrics never runs). Steps run
one after another; for each:

    overhead = (record finished_at - time just before submit)
               - (driver's stable_at - UpdateService seen inside moto)   # the deployment's own time
               - (ab finished - ab started, the measurement's annotations)  # the benchmark's own time

and the overhead split at every moment we can see (record stamps, moto's UpdateService,
the driver's stable_at). The first `--warmup` steps (a fresh worker child builds its
runtime and runs the preflight checks) are reported apart, not in the statistics.
`--poll-cap S` sets SERVO_POLL_CAP (a fixed cap) for the worker instead of the adaptive one.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime

from bench._stack import (
    SUMMARY_HEADER,
    Stack,
    Timeline,
    configure_env,
    ms,
    pct,
    random_plan,
    summary_row,
    table,
    timeline,
)


def run(args: argparse.Namespace) -> tuple[list[Timeline], list[float]]:
    rng = random.Random(args.seed)
    out: list[Timeline] = []
    returned: list[float] = []  # when handle.wait() gave the terminal record back
    with Stack(1, tick=0.01, poll_cap=args.poll_cap,
               ab={"duration": 1, "warmup": 0, "concurrency": 4}) as stack:
        stack.worker("w1", concurrency=args.concurrency, queues="control,load")
        svc = stack.services[0]
        for i in range(args.warmup + args.steps):
            svc.plans.append(random_plan(rng, args.min_delay, args.max_delay))
            submitted = time.time()
            handle = stack.producer.submit(svc.name, {"GOGC": 60 + 10 * (i % 10)})
            record = handle.wait(timeout=120)
            returned.append(time.time())
            if record["status"] != "succeeded":
                raise SystemExit(f"step {i} ended {record['status']}: {record.get('message')}")
            tl = timeline(stack, svc, record, submitted, svc.driver.history[-1])
            out.append(tl)
            print(f"step {i:2d}{' (warmup)' if i < args.warmup else '':9s} settle {tl.settle:5.2f} s  "
                  f"detect {ms(tl.detection):>7s}  overhead {ms(tl.overhead):>8s}", file=sys.stderr)
    return out, returned


def report(timelines: list[Timeline], returned: list[float], args: argparse.Namespace) -> None:
    warm, steps = timelines[:args.warmup], timelines[args.warmup:]
    waited = [r - t.finished for r, t in zip(returned[args.warmup:], steps, strict=True) if t.finished]
    print(f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {len(steps)} steps (+{len(warm)} warmup), "
          f"worker -c {args.concurrency} prefork, settle start_delay U[{args.min_delay}, {args.max_delay}] s"
          + (f", SERVO_POLL_CAP={args.poll_cap}" if args.poll_cap is not None else "") + "\n")
    rows = [
        summary_row("total (submit -> finished_at)", [t.total for t in steps]),
        summary_row("deployment settle (UpdateService -> stable_at)", [t.settle for t in steps]),
        summary_row("ab run (annotations)", [t.ab_run for t in steps]),
        summary_row("**overhead**", [t.overhead for t in steps]),
        summary_row("overhead without detection lag", [t.overhead - t.detection for t in steps]),
        summary_row("not in overhead: finished_at -> handle.wait() returns", waited),
    ]
    print(table(rows, SUMMARY_HEADER))
    print()
    parts = [t.parts() for t in steps]
    rows = [[name, ms(statistics.median(p[name] for p in parts)), ms(pct([p[name] for p in parts], 95)),
             ms(statistics.mean(p[name] for p in parts))] for name in parts[0]]
    rows.append(["(sum of medians)", ms(sum(statistics.median(p[n] for p in parts) for n in parts[0])),
                 "", ""])
    print(table(rows, ("overhead part", "median", "p95", "mean")))
    if warm:
        print()
        cold = [[f"warmup step {i}", ms(t.overhead), ms(t.parts()["queueing to adjust start"]),
                 ms(t.parts()["adjust until UpdateService"]), ms(t.parts()["poll -> benchmark task start"])]
                for i, t in enumerate(warm)]
        print(table(cold, ("cold step", "overhead", "queueing", "adjust->Update", "poll->bench")))
    rates = [t.describes / max(t.settle_end - t.update_service, 1e-9) for t in steps]
    print(f"\nDescribeServices while settling: median {statistics.median(rates):.2f}/s per service "
          f"({statistics.median(t.describes for t in steps):.0f} looks per step)")
    med = statistics.median(t.overhead for t in steps)
    print(f"goal 1 (median overhead <= 0.3 s): {'met' if med <= 0.3 else 'NOT met'} ({ms(med)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--min-delay", type=float, default=0.2)
    parser.add_argument("--max-delay", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--poll-cap", type=float, default=None)
    args = parser.parse_args()
    configure_env()
    report(*run(args), args)


if __name__ == "__main__":
    main()
