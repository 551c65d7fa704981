"""One optimize run on one landscape, step by step: what was measured, what the model of the
landscape says it truly was, and why the search proposed it.

    .venv/bin/python bench/optimize_trace.py forkjoin-common-3 2
    .venv/bin/python bench/optimize_trace.py ws-ping-12 1 --sampler tpe --width 0

The run is the one `optimize_suite.py` makes for that landscape, sampler and seed (the same
stand-in producer, Redis database and budget), so a trace explains a line of the suite's
results. Each measured step prints its settings, its cost over the optimum's, its noiseless
p95 over the SLO ("fail" where it does not start), what was measured (the median of its
measurements so far over the SLO, or the step's status) and the proposal's reason (`--width`
characters of it; 0 for all).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.landscapes import all_landscapes, truth  # noqa: E402
from bench.optimize_suite import measured_steps, optimize  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("landscape", help="a name from bench/landscapes.py (SUITE or HOLD_OUT)")
    parser.add_argument("seed", type=int)
    parser.add_argument("--sampler", default="auto")
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--width", type=int, default=200, help="characters of each reason (0: all)")
    args = parser.parse_args()
    if args.landscape not in all_landscapes():
        parser.error(f"no landscape {args.landscape!r}; `python bench/landscapes.py` lists them")

    from producer import objectives as obj
    from producer.space import settings_key

    land = all_landscapes()[args.landscape]
    known = truth(land)
    print(f"optimum {json.dumps(dict(known.optimum))} at ${known.optimum_cost:.4f}/h, "
          f"SLO {land.slo_p95_ms} ms")
    study, _ = optimize(land, args.sampler, args.seed, args.trials)
    for step, attrs in enumerate(measured_steps(study), start=1):
        _, point, cost = known.points[settings_key(attrs["settings"])]
        outcome = obj.Outcome.from_dict(attrs["outcome"])
        true = "fail" if point.p95_ms is None else f"{point.p95_ms / land.slo_p95_ms:.3f}"
        measured = outcome.status if outcome.p95_ms is None else f"{outcome.p95_ms / land.slo_p95_ms:.3f}"
        why = str((attrs.get("why") or {}).get("text", ""))
        print(f"{step:2d} {json.dumps(attrs['settings'])} cost/optimum={cost / known.optimum_cost:.2f} "
              f"true={true} measured={measured} | {why[:args.width] if args.width else why}")
    best = study.user_attrs.get("best_trial")
    print("best: none trusted" if best is None else
          f"best: trial {best}, {json.dumps(study.trials[best].user_attrs['settings'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
