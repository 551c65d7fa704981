"""Exhaustive grid on the sandbox's demo service: the true cheapest configuration that
meets the p95 SLO, which the optimizer's acceptance test is held to.

    .venv/bin/python bench/optimize_grid.py [--out bench/optimize_grid.json] [--slo 45]

Every configuration of the demo component's declared space (cpu 0.25/0.5/1 vCPU, memory
0.5..2 GiB as valid Fargate pairs, replicas 1..4, GOGC 50..200 step 10: 384 points) runs
as one step through the producer API, under the acceptance test's load
(tests/support/sandbox_stack.py: `ab -k -c 16`, 2 s, no warmup). Writes one JSON row per
point and prints the cheapest feasible configurations. About 30 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REDIS_URL = os.environ.get("SERVO_OPTIMIZE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "bench" / "optimize_grid.json"))
    parser.add_argument("--slo", type=float, default=45.0, help="p95 SLO in ms")
    args = parser.parse_args()
    os.environ.update(SERVO_REDIS_URL=REDIS_URL, AWS_ACCESS_KEY_ID="testing",
                      AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    import redis

    from producer.cost import cost_per_hour
    from producer.space import build_space
    from tests.support.sandbox_stack import LOAD, sandbox_stack

    redis.Redis.from_url(REDIS_URL).flushdb()
    rows: list[dict[str, object]] = []
    started = time.monotonic()
    with (tempfile.TemporaryDirectory(prefix="servo-grid-") as tmp,
          sandbox_stack(Path(tmp), REDIS_URL) as producer):
        comp = producer.config.component("web")
        space = build_space(comp)
        # cpu, memory and GOGC outermost: replicas-only changes between neighbours settle fastest.
        points = sorted(space.grid(), key=lambda s: (s["cpu"], s["mem"], s["GOGC"], s["replicas"]))
        for i, settings in enumerate(points):
            record = producer.submit("web", settings, LOAD).wait(timeout=300)
            metrics = (record.get("measurement") or {}).get("metrics") or {}
            target = record["target"]
            row = {"settings": settings, "status": record["status"], "reason": record["reason"],
                   "p95_ms": (metrics.get("time per request p95") or {}).get("value"),
                   "throughput": (metrics.get("requests throughput") or {}).get("value"),
                   "error_rate": (metrics.get("error rate") or {}).get("value"),
                   "cost_per_hour": cost_per_hour(target["cpu"], target["memory"], target["replicas"],
                                                  producer.config.pricing)}
            rows.append(row)
            print(f"{i + 1:3d}/{len(points)} {settings} {row['status']} p95={row['p95_ms']}", flush=True)
            Path(args.out).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(f"{len(rows)} points in {time.monotonic() - started:.0f} s")
    feasible = [r for r in rows if r["status"] == "succeeded" and r["p95_ms"] is not None
                and float(r["p95_ms"]) <= args.slo and not r["error_rate"]]  # type: ignore[arg-type]
    feasible.sort(key=lambda r: (r["cost_per_hour"], r["p95_ms"]))  # type: ignore[arg-type,return-value]
    for r in feasible[:10]:
        print(f"${r['cost_per_hour']:.4f}/h p95 {r['p95_ms']:.1f} ms {r['settings']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
