"""Recovery time after a worker is SIGKILLed mid-sweep (issue 11: max <= 30 s at default settings).

Usage:
  .venv/bin/python -m bench.recovery [--steps 20] [--kills 5] [--no-restart | --steal] [--seed N]

A sweep of `--steps` steps on the sandbox's demo service (fast profile, ab 1 s), two real
Celery workers at the default settings (visibility timeout 3600 s, heartbeat timeout 15 s).
`--kills` times, at a random moment (a random step, then 0 to 2 s into its settling or
measuring), the worker holding the running step's task is SIGKILLed with its whole process
group; it is started again at once (as compose's restart policy or systemd would) unless
`--no-restart`, when the other worker has to notice the silent heartbeat. Recovery time =
kill -> the first write of a stage task to that step's record after its reclaim.
With `--steal`, no worker is killed: a consumer takes the next stage message off the control
queue (BRPOP) and dies before noting it (the message is in no queue and no worker's hands);
recovery = the theft -> the first write of a stage task to that message's step after it was
sent again.

At the end: 0 steps lost (every step ends), 0 duplicate records, 0 extra task definition
revisions (one per step), 0 steps deployed twice (distinct deployments the sandbox ran).
Redis: $SERVO_BENCH_REDIS_URL (default db 14), flushed before and after; namespace
`bench-recovery`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_REDIS_URL = os.environ.get("SERVO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--no-restart", action="store_true", help="leave the killed worker down until "
                                                                   "the step has moved again")
    parser.add_argument("--steal", action="store_true", help="lose a stage message in transit instead "
                                                              "of killing a worker")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1", SERVO_REDIS_URL=BENCH_REDIS_URL,
                      SERVO_NAMESPACE="bench-recovery")
    import boto3
    import redis

    from producer.api import StepSpec
    from tests.support.recovery_stack import LOAD, holder, moved_since, sandbox_fleet
    from tests.support.waiting import wait_until

    rng = random.Random(args.seed)
    r = redis.Redis.from_url(BENCH_REDIS_URL, decode_responses=True)
    r.flushdb()
    kill_at = sorted(rng.sample(range(args.steps - 1), args.kills))  # the last step is left alone
    times: list[float] = []
    kills: list[tuple[str, str]] = []  # (step id, the worker killed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-recovery-") as tmp, \
            sandbox_fleet(Path(tmp), BENCH_REDIS_URL) as (box, fleet, producer):
        keys = producer.store.keys
        # Every step a new revision: GOGC 100 with 1 GiB is what the sandbox runs already.
        settings = [{"GOGC": g, "mem": m} for m in (2, 1) for g in range(50, 210, 10)
                    if (g, m) != (100, 1)][:args.steps]
        sweep = producer.submit_sweep([StepSpec("web", s, LOAD) for s in settings])
        for index in kill_at:
            step_id = sweep.step_ids[index]
            wait_until(lambda s=step_id: producer.store.require(s)["status"] in ("settling", "measuring"),
                       120, f"step {index} to settle or measure")
            time.sleep(rng.uniform(0, 2))
            if args.steal:
                times.append(steal(r, keys, producer.store))
                continue
            victim = holder(r, keys, step_id)
            if victim is None:  # the step ended meanwhile: a kill now would hit no step
                print(f"step {index}: ended before the kill, skipped", file=sys.stderr)
                continue
            name = fleet.by_node(victim)
            fleet.workers[name].kill()
            killed_at = time.time()
            if not args.no_restart:
                fleet.start(name)
            record = wait_until(lambda s=step_id, k=killed_at: (rec := producer.store.require(s)) and
                                moved_since(rec, k) and rec, 120, f"step {index} to move again")
            times.append(float(record["updated_at"]) - killed_at)
            kills.append((step_id, victim))
            print(f"step {index}: killed {victim} during {record['status']}, moving again after "
                  f"{times[-1]:.1f} s", file=sys.stderr)
            if args.no_restart:
                fleet.start(name).wait_ready()
        records = sweep.wait(timeout=600)
        by_id = {rec["id"]: rec for rec in records}
        # A kill stalled the step when the killed worker held its live message: it was reclaimed.
        stalled = [any(c["from"] == victim for c in by_id[step].get("reclaims") or [])
                   for step, victim in kills]
        exited = fleet.exited()
        ecs = boto3.client("ecs", endpoint_url=box.endpoint_url, region_name="us-east-1")
        revisions = len(ecs.list_task_definitions(familyPrefix="web")["taskDefinitionArns"])
        deployments = len({t.deployment_id for t in box.controller.tasks})
        stored = r.zcard(keys.steps)
    r.flushdb()
    statuses: dict[str, int] = {}
    for rec in records:
        statuses[rec["status"]] = statuses.get(rec["status"], 0) + 1
    print(summary(args, times, statuses, stored, revisions - 1, deployments - 1, exited,
                  time.monotonic() - started))
    if not args.steal:
        print(f"  kills that stalled the step (its message reclaimed from the killed worker): "
              f"{sum(stalled)} of {len(stalled)}; their recovery s: "
              f"{' '.join(f'{t:.1f}' for t, s in zip(times, stalled, strict=True) if s) or '-'}")
    ok = (times and max(times) <= 30 and statuses == {"succeeded": args.steps} and stored == args.steps
          and revisions - 1 == args.steps and deployments - 1 == args.steps and not exited)
    return 0 if ok else 1


def steal(r: Any, keys: Any, store: Any) -> float:
    """Take the next stage message off the control queue and drop it; the seconds until its step
    moved again (a stage task wrote its record after the message was sent again)."""
    import json

    from tests.support.recovery_stack import moved_since
    from tests.support.waiting import wait_until
    from worker.flow.recovery import step_of

    taken = r.brpop(keys.control, timeout=60)
    stolen_at = time.time()
    if taken is None:
        raise SystemExit("no stage message came to the control queue in 60 s")
    headers = json.loads(taken[1])["headers"]
    step_id = step_of(str(headers["id"]))
    record = wait_until(lambda: (rec := store.require(step_id)) and rec.get("resent") and
                        moved_since(rec, stolen_at) and rec, 120, f"step {step_id} to move again")
    print(f"stole {headers['id']} ({headers['task']}); moving again after "
          f"{float(record['updated_at']) - stolen_at:.1f} s", file=sys.stderr)
    return float(record["updated_at"]) - stolen_at


def summary(args: Any, times: list[float], statuses: dict[str, int], stored: int, revisions: int,
            deployments: int, exited: list[str], wall: float) -> str:
    mode = ("a stage message lost in transit" if args.steal else
            "killed worker left down" if args.no_restart else "killed worker restarted at once")
    lines = [f"recovery ({mode}), {args.steps} steps, {len(times)} kills, seed {args.seed}",
             f"  recovery s: {' '.join(f'{t:.1f}' for t in times)}",
             f"  median {statistics.median(times):.1f} s, max {max(times):.1f} s" if times
             else "  no kill landed",
             f"  steps: {statuses}, records {stored}, task definition revisions {revisions}, "
             f"deployments {deployments}, workers exited {exited or 'none'}; wall {wall:.0f} s"]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
