"""The cost of one look for lost messages (worker/flow/recovery.py `find_lost`) with many steps in flight.

Usage:
  .venv/bin/python -m bench.lost_look [--steps 200] [--queued 50] [--chain 90]

`--steps` steps each have a stage message taken by a worker (in kombu's `unacked` hash, its tag
noted as a worker notes it) and `--queued` more wait in the control queue; every message carries
a sweep's chain of `--chain` steps (three signatures each), as a long sweep's do. Reported: the
seconds of one look over all of them (every step due), and the longest single Redis command it
ran (SLOWLOG: how long it kept Redis from everyone else). Redis: $SERVO_BENCH_REDIS_URL (default
db 14), flushed before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

BENCH_REDIS_URL = os.environ.get("SERVO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--queued", type=int, default=50)
    parser.add_argument("--chain", type=int, default=90, help="steps in each message's sweep chain")
    parser.add_argument("--looks", type=int, default=5)
    args = parser.parse_args()
    import redis
    from celery import chain
    from kombu import Connection

    from worker.contract.namespace import Keys
    from worker.contract.records import RecordStore
    from worker.flow import recovery
    from worker.flow.app import make_app

    r = redis.Redis.from_url(BENCH_REDIS_URL, decode_responses=True)
    r.flushdb()
    keys = Keys("bench-lost")
    app, store = make_app(BENCH_REDIS_URL, keys), RecordStore(r, keys)
    stages = ("servo.adjust", "servo.poll_stability", "servo.benchmark")
    rest = [app.signature(name, kwargs={"step_id": f"later{i}"}, immutable=True)
            for i in range(args.chain) for name in stages]
    conn = Connection(BENCH_REDIS_URL)
    try:
        queue = conn.SimpleQueue(keys.control)
        with recovery.stamping(store):
            for i in range(args.steps + args.queued):
                first = app.signature("servo.poll_stability", kwargs={"step_id": f"s{i}"}, immutable=True)
                chain(first.set(queue=keys.control, task_id=f"s{i}.poll"), *rest).apply_async()
        for _ in range(args.steps):
            message = queue.get(timeout=5)
            recovery.note_taken(r, keys, message.headers["id"], message.headers[recovery.MESSAGE_HEADER],
                                message.delivery_tag)
        size = len(r.lindex(keys.control, 0) or "")
        for step in r.zrange(keys.in_flight, 0, -1):
            r.zadd(keys.in_flight, {step: 0})  # every step due
        r.config_set("slowlog-max-len", 100_000)  # every command of the looks, not the last 128
        r.slowlog_reset()
        r.config_set("slowlog-log-slower-than", 0)
        times = []
        for look in range(args.looks):
            started = time.perf_counter()
            at = time.time() + look * recovery.LOST_GRACE_S
            acted = recovery.find_lost(store, app, "bench@host", at=at)
            times.append(time.perf_counter() - started)
            assert acted == [], acted  # nothing is lost
        longest = max(int(e["duration"]) for e in r.slowlog_get(100_000))
    finally:
        r.config_set("slowlog-log-slower-than", 10000)  # Redis's defaults
        r.config_set("slowlog-max-len", 128)
        conn.close()
        r.flushdb()
    print(f"{args.steps} steps in flight, {args.queued} queued, messages of {size / 1000:.0f} KB "
          f"(a chain of {args.chain} steps): one look {statistics.median(times) * 1000:.0f} ms "
          f"(median of {args.looks}), longest Redis command {longest / 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
