"""Detection latency after a deployment becomes stable (issue 4, goals 2 and 3: p95 <= 1 s).

Usage:
  one service, steps in a row (goal 2):
    .venv/bin/python -m bench.detection_latency [--services 1] [--rounds 30]
  50 services settling at once on one worker (goal 3):
    .venv/bin/python -m bench.detection_latency --services 50 [--concurrency 2] [--tick 0.02]
  options: [--min-delay S] [--max-delay S] [--seed N] [--poll-cap S] [--concurrency N]

Latency = the record's settle end (epoch, written by the poll that saw "stable") minus the
driver's stable_at (time.monotonic() in this process, turned into epoch seconds with an
offset taken in this process). Rollouts start after a random delay in [min-delay,
max-delay] s, so stability falls at random phases of the poll schedule (looks at about
0, 0.1, 0.3, 0.7, 1.1, 1.5, ... s after the adjust: the interval doubles from 0.1 s to the
cap, 0.4 s while at most 20 services settle and longer with more: 1 s at 50).

With one service, every step runs the whole chain (ab 1 s, c=1) on one worker serving both
queues, `--rounds` steps one after another. With more services, one round: one step per
service submitted at once, one worker on the control queue only, and each step is
followed up to `measuring` (its benchmark is left queued; Redis db 14 is flushed at the
end). The workers reach moto through the sandbox's public endpoint with AWS's published
buckets on (bench/_stack.py); calls, services named per call and throttles are counted from
its call log. Looks per service are stamped inside moto.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench._stack import (
    SUMMARY_HEADER,
    Service,
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
from worker.aws.budget import BATCH, SERVICES, parse_budget

SETTLED = ("measuring", "succeeded")


def wait_settled(stack: Stack, ids: list[str], timeout: float, terminal: bool) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        records = stack.store.many(ids)
        done = [r for r in records if (r["status"] in ("succeeded", "failed", "rejected", "cancelled")
                                        if terminal else r["status"] in SETTLED or r.get("finished_at"))]
        if len(done) == len(ids):
            bad = [r for r in records if r["status"] not in SETTLED]
            if bad:
                raise SystemExit(f"{len(bad)} steps did not settle, e.g. {bad[0]['status']}: "
                                 f"{bad[0].get('message')}")
            return records
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(done)}/{len(ids)} steps settled after {timeout:g} s")
        time.sleep(0.05)


def run(args: argparse.Namespace) -> tuple[list[Timeline], dict[str, float]]:
    rng = random.Random(args.seed)
    single = args.services == 1
    out: list[Timeline] = []
    facts: dict[str, float] = {}
    ab = {"duration": 1, "warmup": 0, "concurrency": 1}
    # Warmup steps first: a fresh worker child builds its runtime and runs the preflight
    # checks on its first step (goal 1's business, not this one's). With many services, one
    # extra service per worker child takes a warmup step, since its lease stays held.
    extra = 0 if single else args.concurrency * args.workers
    with Stack(args.services + extra, tick=args.tick, poll_cap=args.poll_cap, ab=ab,
               budget=args.budget) as stack:
        facts["provision_s"] = stack.provision_s
        print(f"provisioned {args.services + extra} services in {stack.provision_s:.1f} s", file=sys.stderr)
        stack.worker("w1", concurrency=args.concurrency, queues="control,load" if single else "control")
        for i in range(2, args.workers + 1):
            stack.worker(f"w{i}", concurrency=args.concurrency, queues="control")
        warm = stack.services[:max(extra, 1)]
        measured = stack.services if single else stack.services[extra:]
        ids = []
        for svc in warm:
            svc.plans.append(random_plan(rng, 0.2, 0.3))
            ids.append(stack.producer.submit(svc.name, {"GOGC": 190}).id)
        wait_settled(stack, ids, 60, terminal=single)
        rounds = args.rounds if single else 1
        for r in range(rounds):
            submitted: dict[str, tuple[Service, float]] = {}
            settings = {"GOGC": 60 + 10 * (r % 10)}
            if args.register_ahead and not single:
                for svc in measured:
                    stack.register_ahead(svc, settings)
            for svc in measured:
                svc.plans.append(random_plan(rng, args.min_delay, args.max_delay))
                t0 = time.time()
                handle = stack.producer.submit(svc.name, settings)
                submitted[handle.id] = (svc, t0)
            # room for the adjusts the budget paces (2.5 a second) and the longest rollout
            records = wait_settled(stack, list(submitted), 180 + args.max_delay + len(measured) / 2.5,
                                   terminal=single)
            for rec in records:
                svc, t0 = submitted[rec["id"]]
                out.append(timeline(stack, svc, rec, t0, svc.driver.history[-1]))
            if single:
                t = out[-1]
                print(f"round {r:2d} settle {t.settle:5.2f} s  detect {ms(t.detection)}", file=sys.stderr)
        # From the public endpoint's call log (epoch times): the workers' calls while the
        # services settled (first UpdateService to the last settle seen), and over the whole
        # run (from the first submit: the adjusts' reads too) for throttles.
        from emulator.calllog import load

        first_update = min(t.update_service for t in out)
        last_seen = max(t.settle_end for t in out)
        first_submit = min(t.submitted for t in out)
        facts["busy_s"] = last_seen - first_update
        # Steps submitted at once are not all settling at once: the budget lets adjusts through
        # at its own pace. The most whose UpdateService was made and whose settle not yet seen:
        edges = sorted([(t.update_service, 1) for t in out] + [(t.settle_end, -1) for t in out])
        level = 0
        for _, step in edges:
            level += step
            facts["most_settling"] = max(facts.get("most_settling", 0), level)
        settling = load(stack.log.calls, first_update, last_seen)
        whole = load(stack.log.calls, first_submit - 1.0, last_seen)
        for family, short in (("ecs.service-read", "describe"), ("elbv2.describe", "elb"),
                              ("ecs.task-read", "tasks")):
            seen = settling.get(family)
            facts[f"{short}_calls_per_s"] = seen.per_s if seen else 0.0
            facts[f"{short}_peak_1s"] = seen.peak_1s if seen else 0
            facts[f"{short}_names_per_call"] = seen.names_per_call if seen else 0.0
            facts[f"{short}_latency_ms"] = seen.latency_ms if seen else 0.0
        # Adjust reads one service per step; the rest are looks (batches of up to 10).
        steps_read = sum(1 for c in stack.log.calls if c.action == "UpdateService"
                         and first_update <= c.t <= last_seen)
        reads = settling.get("ecs.service-read")
        if reads is not None and reads.calls > steps_read:
            facts["look_names_per_call"] = (reads.names_per_call * reads.calls - steps_read) / (
                reads.calls - steps_read)
        facts.update({f"throttles {family}": fam.throttled for family, fam in whole.items()})
        facts.update({f"calls {family}": fam.calls for family, fam in whole.items()})
        facts["whole_s"] = last_seen - first_submit
    return out, facts


def report(steps: list[Timeline], facts: dict[str, float], args: argparse.Namespace) -> None:
    single = args.services == 1
    shape = (f"{len(steps)} steps in a row on 1 service" if single else
             f"{len(steps)} services settling at once (one step each)")
    print(f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {shape}, worker -c {args.concurrency} prefork "
          f"({'control,load' if single else 'control'}), driver tick {args.tick} s, start_delay "
          f"U[{args.min_delay}, {args.max_delay}] s"
          + (f", SERVO_POLL_CAP={args.poll_cap}" if args.poll_cap is not None else "")
          + (f", SERVO_API_BUDGET={args.budget}" if args.budget else "") + "\n")
    rows = [
        summary_row("**detection latency** (settle end - stable_at)", [t.detection for t in steps]),
        summary_row("  stable_at -> the look that saw it", [t.phase_wait for t in steps]),
        summary_row("  that look -> record says stable", [t.look_cost for t in steps]),
        summary_row("deployment settle (UpdateService -> stable_at)", [t.settle for t in steps]),
        summary_row("submit -> UpdateService", [t.update_service - t.submitted for t in steps]),
    ]
    # The adaptive cap (worker.flow.runtime): the budget's DescribeServices, 10 services each.
    per_s = parse_budget(args.budget or "")[SERVICES] * BATCH
    cap = args.poll_cap if args.poll_cap is not None else max(0.4, args.services / per_s)
    capped = [g for t in steps for g in t.look_gaps if g >= 0.9 * cap]
    if capped:
        rows.append(summary_row(f"look period at the {cap:g} s cap (gaps >= {0.9 * cap:.2g} s)", capped))
    print(table(rows, SUMMARY_HEADER))
    rates = [t.describes / max(t.settle_end - t.update_service, 1e-9) for t in steps]
    looks = [t.describes for t in steps]
    print(f"\nDescribeServices per service while settling: median {statistics.median(rates):.2f}/s, "
          f"max {max(rates):.2f}/s; looks per step median {statistics.median(looks):.0f}, max {max(looks)}")
    print(f"Most services settling at once (UpdateService made, stable not yet seen): "
          f"{facts['most_settling']:.0f}")
    print(f"From the public endpoint's call log, over the {facts['busy_s']:.1f} s from the first "
          "UpdateService to the last settle seen:")
    print(f"  DescribeServices {facts['describe_calls_per_s']:.1f} calls/s (busiest second "
          f"{facts['describe_peak_1s']:.0f}), {facts['describe_names_per_call']:.1f} services named per call "
          f"(looks alone, one adjust read per UpdateService taken out: "
          f"{facts.get('look_names_per_call', 0):.1f}), "
          f"answered in {facts['describe_latency_ms']:.1f} ms (median)")
    print(f"  ELB describes {facts['elb_calls_per_s']:.1f} calls/s (busiest second "
          f"{facts['elb_peak_1s']:.0f}); task reads {facts['tasks_calls_per_s']:.1f} calls/s")
    throttles = {k.split(" ", 1)[1]: int(v) for k, v in facts.items() if k.startswith("throttles ")}
    calls = {k.split(" ", 1)[1]: int(v) for k, v in facts.items() if k.startswith("calls ")}
    print(f"  throttled by AWS's published buckets, whole run ({facts['whole_s']:.1f} s from the first "
          f"submit): {throttles} of {calls}")
    print(f"provisioning {args.services} services: {facts['provision_s']:.1f} s")
    p95 = pct([t.detection for t in steps], 95)
    goal = "2" if single else "3"
    limit = 0.5 if single else 1.0 if args.services <= 50 else 2.0  # issue 15's table
    print(f"goal {goal} (detection p95 <= {limit:g} s): {'met' if p95 <= limit else 'NOT met'} ({ms(p95)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=30, help="steps in a row (one service only)")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="worker processes (many services only)")
    parser.add_argument("--tick", type=float, default=None, help="driver tick (0.01 s, 0.02 s for many)")
    parser.add_argument("--min-delay", type=float, default=None)
    parser.add_argument("--max-delay", type=float, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--poll-cap", type=float, default=None)
    parser.add_argument("--budget", default=None, help="SERVO_API_BUDGET for the workers (default: theirs)")
    parser.add_argument("--no-register-ahead", dest="register_ahead", action="store_false",
                        help="many services: let every step register its revision (AWS: 1/s sustained)")
    args = parser.parse_args()
    many = args.services > 1
    args.tick = args.tick if args.tick is not None else (0.02 if many else 0.01)
    args.min_delay = args.min_delay if args.min_delay is not None else (2.0 if many else 0.2)
    args.max_delay = args.max_delay if args.max_delay is not None else (8.0 if many else 4.0)
    configure_env()
    steps, facts = run(args)
    report(steps, facts, args)


if __name__ == "__main__":
    main()
