"""The optimizer judged on many landscapes (bench/landscapes.py), against TPE and random.

    nice -n 10 .venv/bin/python bench/optimize_suite.py                       # default, every landscape
    nice -n 10 .venv/bin/python bench/optimize_suite.py --samplers tpe random --jobs 2
    nice -n 10 .venv/bin/python bench/optimize_suite.py --hold-out            # the hold-out set, once
    nice -n 10 .venv/bin/python bench/optimize_suite.py --multi               # cost and p95: hypervolume

Each run is the project's real `Optimizer` with its study in Redis (database
$SERVO_OPTIMIZE_BENCH_REDIS_URL, default 4; each run's journal under a key prefix of
its own, deleted after it) and a stand-in producer that
answers a step with the landscape's noiseless point plus Gaussian noise. Per landscape and
sampler: runs whose best is within 10 % of the true optimum's cost *and* meets the SLO by the
model's noiseless value (a hit), median steps to that best, median steps run, and the
median best / optimum. With --multi the goal is (cost, p95) under the SLO, and the score is
the hypervolume of the truly feasible front found over the true front's (reference point:
the space's dearest cost, the SLO). Results are merged into bench/optimize_suite.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.landscapes import HOLD_OUT, SUITE, Landscape, hypervolume, pareto_2d, truth  # noqa: E402
from bench.optimize_replay import Handle, ReplayProducer  # noqa: E402

REDIS_URL = os.environ.get("SERVO_OPTIMIZE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
OUT = ROOT / "bench" / "optimize_suite.json"


class StandIn(ReplayProducer):
    """Answers steps from a landscape (waiting as the replay's producer does)."""

    def __init__(self, land: Landscape, rng: random.Random):
        from worker.contract.config import parse_config

        self.land, self.rng = land, rng
        self.config = parse_config(land.config(), environ={})
        self.records: dict[str, dict[str, Any]] = {}

    def submit(self, component: str, settings: Mapping[str, Any], control: Any = None,
               expires: Any = None) -> Any:
        from worker.contract.steps import validate_step

        validate_step(self.config, component, dict(settings))  # what the real producer refuses
        point = self.land.model(settings)
        step_id = uuid.uuid4().hex[:16]
        record: dict[str, Any]
        if not point.started or point.p95_ms is None:
            record = {"id": step_id, "status": "rejected", "reason": "start-failed", "message": point.message}
        else:
            p95 = point.p95_ms * max(0.05, 1 + self.rng.gauss(0, self.land.noise))
            if self.land.outliers and self.rng.random() < self.land.outliers:
                p95 *= self.rng.uniform(1.3, 2.0)
            rps = (point.throughput or 0) * max(0.05, 1 + self.rng.gauss(0, self.land.noise))
            record = {"id": step_id, "status": "succeeded", "reason": None, "measurement": {"metrics": {
                "time per request p95": {"value": p95}, "requests throughput": {"value": rps},
                "error rate": {"value": 0.0}}}}
        self.records[step_id] = record
        return Handle(self, step_id)


def goal_of(land: Landscape, multi: bool) -> Any:
    """Cost under the landscape's SLO, with p95 as a second objective when `multi`."""
    from producer import objectives as obj

    return obj.Goal(("cost", "p95") if multi else ("cost",), max_p95_ms=land.slo_p95_ms)


def optimize(land: Landscape, sampler: str, seed: int, trials: int, multi: bool = False) -> tuple[Any, float]:
    """One optimize run of a landscape, sampler and seed, with its study in a journal of its own
    (deleted after it): the study and the run's seconds."""
    import optuna

    from producer.optimize import Optimizer, Options

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    goal = goal_of(land, multi)
    producer = StandIn(land, random.Random(seed))
    started = time.monotonic()
    prefix = f"servo:bench:{uuid.uuid4().hex[:8]}:"  # a journal of its own: opening one replays it whole
    options = Options(trials=trials, sampler=sampler, seed=seed)
    try:
        study = Optimizer(producer, "web", goal, redis_url=REDIS_URL,  # type: ignore[arg-type]
                          storage_prefix=prefix, study_name=f"suite-{land.name}-{sampler}-{seed}",
                          baseline=land.baseline, options=options).run()
        seconds = time.monotonic() - started
    finally:
        _drop(prefix)
    return study, seconds


def measured_steps(study: Any) -> list[dict[str, Any]]:
    """The user attributes of the trials that ran a step (not those answered or pruned), in order."""
    return [t.user_attrs for t in study.trials
            if t.user_attrs.get("source") == "run" and "outcome" in t.user_attrs]


def run_one(land: Landscape, sampler: str, seed: int, trials: int, multi: bool) -> dict[str, Any]:
    """One optimize run; its best (or front) judged by the model's noiseless values."""
    from producer import objectives as obj
    from producer.optimize import steps_run
    from producer.space import settings_key

    goal = goal_of(land, multi)
    study, seconds = optimize(land, sampler, seed, trials, multi)
    known = truth(land)
    latest: dict[Any, tuple[int, Any]] = {}  # a configuration's latest trial: a repeat's holds every step
    for step, attrs in enumerate(measured_steps(study), start=1):
        latest[settings_key(attrs["settings"])] = (step, obj.Outcome.from_dict(attrs["outcome"]))
    best, best_at, found = None, None, []
    named = study.user_attrs.get("best_trial")  # the search's own answer, when it names one
    named_key = None if named is None or multi else settings_key(study.trials[named].user_attrs["settings"])
    for key, (at, result) in latest.items():
        if not obj.feasible(goal, result) or (named_key is not None and key != named_key):
            continue
        settings, point, cost = known.points[key]
        truly = point.started and point.p95_ms is not None and point.p95_ms <= land.slo_p95_ms
        if truly:
            found.append((cost, float(point.p95_ms or 0)))
        if best is None or cost < best[0]:
            best, best_at = (cost, truly, settings, (point.p95_ms or 0) / land.slo_p95_ms), at
    out: dict[str, Any] = {"seed": seed, "steps": steps_run(study), "seconds": round(seconds, 2)}
    if multi:
        ref = (max(c for _, _, c in known.points.values()), land.slo_p95_ms)
        out["hv_ratio"] = hypervolume(pareto_2d(found), ref) / hypervolume(known.front, ref)
        return out
    hit = best is not None and best[1] and best[0] <= 1.10 * known.optimum_cost
    return out | {"hit": bool(hit), "steps_to_best": best_at, "ratio": None if best is None
                  else best[0] / known.optimum_cost, "false_feasible": bool(best and not best[1]),
                  "true_p95_over_slo": None if best is None else round(best[3], 3)}


def _drop(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start:start + 500])


def summarize(runs: list[dict[str, Any]], multi: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"runs": len(runs), "median_steps_run": statistics.median(r["steps"] for r in runs),
                           "seconds": round(sum(r["seconds"] for r in runs), 1)}
    if multi:
        ratios = [r["hv_ratio"] for r in runs]
        return out | {"median_hv_ratio": round(statistics.median(ratios), 3),
                      "min_hv_ratio": round(min(ratios), 3)}
    hits = [r for r in runs if r["hit"]]
    ratios = [r["ratio"] for r in runs if r["ratio"] is not None]
    steps = [r["steps_to_best"] for r in hits]
    return out | {"hits": len(hits), "median_steps_to_best": statistics.median(steps) if steps else None,
                  "median_best_over_optimum": round(statistics.median(ratios), 3) if ratios else None,
                  "none_feasible": sum(1 for r in runs if r["ratio"] is None),
                  "false_feasible": sum(1 for r in runs if r["false_feasible"])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--landscapes", nargs="+", help="names (default: the whole suite)")
    parser.add_argument("--samplers", nargs="+", default=["auto"])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--hold-out", action="store_true", help="the hold-out landscapes instead")
    parser.add_argument("--multi", action="store_true", help="objectives cost and p95: hypervolume ratio")
    parser.add_argument("--jobs", type=int, default=1, help="processes (the machine is shared: keep it low)")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    pool = HOLD_OUT if args.hold_out else SUITE
    names = args.landscapes or list(pool)
    results: dict[str, dict[str, Any]] = {}
    section = "multi" if args.multi else ("hold_out" if args.hold_out else "suite")
    with ProcessPoolExecutor(max_workers=args.jobs) as executor:
        for name in names:
            land = {**SUITE, **HOLD_OUT}[name]
            truth(land)
            for sampler in args.samplers:
                futures = [executor.submit(run_one, land, sampler, seed, args.trials, args.multi)
                           for seed in range(1, args.seeds + 1)]
                runs = [f.result() for f in futures]
                summary = summarize(runs, args.multi)
                print(f"{name:<18} {sampler:<7} {json.dumps(summary)}", flush=True)
                results.setdefault(name, {})[sampler] = summary
    if not args.no_save:  # merged late: other samplers may be running into the same file
        saved = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else {}
        for name, by_sampler in results.items():
            saved.setdefault(section, {}).setdefault(name, {}).update(by_sampler)
        saved["settings"] = {"seeds": args.seeds, "trials": args.trials}
        OUT.write_text(json.dumps(saved, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
