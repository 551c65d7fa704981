"""The chaos run: steps on a bad AWS day, through a real worker on the hostile sandbox.

    nice -n 10 .venv/bin/python bench/chaos.py [--steps 20] [--failing 3] [--faults SPEC]

Each step is submitted after the previous one ended (tests/support/chaos.py), and the
moment it ends its record is compared with what the service really runs, read from the
sandbox's unfaulted side. Prints one line per step and a summary: steps succeeded,
rejected and rolled back, failed (0 expected: no transient cause may end a step), record
vs service mismatches (0 expected), and from the sandbox's call log the calls, the
injected errors and the throttled calls the worker met. Numbers in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REDIS_URL = os.environ.get("SERVO_CHAOS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
DEFAULT_FAULTS = "throttle,errors=0.2,seed=11"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--failing", type=int, default=3)
    parser.add_argument("--faults", default=DEFAULT_FAULTS)
    parser.add_argument("--seed", type=int, default=11,
                        help="orders the steps (the faults have their own seed)")
    args = parser.parse_args()
    os.environ.update(SERVO_REDIS_URL=REDIS_URL, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1")
    import redis

    from tests.support.chaos import chaos_stack, plan, run_steps

    redis.Redis.from_url(REDIS_URL).flushdb()
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, chaos_stack(Path(tmp), REDIS_URL, args.faults) as stack:
        run = run_steps(stack, stack.sandbox.name, plan(args.steps, args.failing, args.seed))
        calls = list(stack.sandbox.calls)
    for i, o in enumerate(run.outcomes):
        rec = o.record
        print(f"{i:2d} {json.dumps(o.settings):58s} {rec['status']:9s} {rec['reason'] or '':13s} "
              f"{o.seconds:6.1f} s  runs {o.really_runs[0].rsplit('/', 1)[-1]} x {o.really_runs[1]}")
    outcomes = Counter(c.outcome for c in calls)
    statuses = Counter(o.record["status"] for o in run.outcomes)
    summary = {
        "faults": args.faults, "steps": len(run.outcomes), "expected to fail": args.failing,
        "succeeded": statuses["succeeded"],
        "rejected and rolled back": sum(1 for o in run.outcomes if o.record["status"] == "rejected"
                                        and (o.record.get("rollback") or {}).get("ok")),
        "failed": statuses["failed"], "record vs service mismatches": sum(1 for o in run.outcomes
                                                                          if o.said_runs != o.really_runs),
        "problems": run.problems, "aws calls": len(calls), "injected errors": outcomes["injected"],
        "throttled": outcomes["throttled"], "wall s": round(time.monotonic() - began, 1),
    }
    print(json.dumps(summary, indent=2))
    return 0 if not run.problems else 1


if __name__ == "__main__":
    sys.exit(main())
