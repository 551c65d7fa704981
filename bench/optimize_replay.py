"""Samplers compared over many seeds, on a replay of the sandbox's measured landscape.

    .venv/bin/python bench/optimize_replay.py [--seeds 50] [--trials 30] [--noise 0.03]

A live optimize run on the sandbox takes about 2.5 minutes, so a live comparison covers
a few seeds (optimize_vs_random.py). This replays the exhaustive grid measured on the
sandbox (optimize_grid.json) instead: the real Optimizer, its real study in Redis, and a
stand-in producer that answers each step with the grid's result for that configuration
plus Gaussian noise (`--noise`, relative; the grid's neighbours differ by about 3 %).
The grid lacks the 0.5 vCPU / 2 GiB and 1 vCPU sizes and GOGC >= 150 at 0.5 vCPU: they
are filled from 0.5 vCPU / 1 GiB (memory above the working set does not change latency
in the model) and, for 1 vCPU, 0.7 times that. Those sizes cost more than the optimum
(except 0.5 vCPU / 2 GiB x1, far over the SLO), so the fill does not decide the result.

Prints, per sampler: how often the best found is within 10 % of the grid optimum and
meets the SLO by the grid's own measurement (not only by its noisy replay), the steps it
took to find it, the steps run, and how often the best found was a noise-made false
positive.
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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REDIS_URL = os.environ.get("SERVO_OPTIMIZE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
GRID_OPTIMUM_COST = 0.0370275
SLO_P95_MS = 45.0
BASELINE = {"cpu": 0.25, "mem": 1, "replicas": 2, "GOGC": 100}  # the sandbox's start
CONFIG = {
    "fargate": {"web": {
        "service_name": "web",
        "settings": {"cpu": {"type": "enum", "unit": "vCPU", "values": [0.25, 0.5, 1]},
                     "mem": {"type": "range", "unit": "GiB", "min": 0.5, "max": 2, "step": 0.5},
                     "replicas": {"type": "range", "min": 1, "max": 4}},
        "environment": {"GOGC": {"type": "range", "min": 50, "max": 200, "step": 10}}}},
    "ab": {"url": "http://127.0.0.1/"},
}


def landscape() -> dict[tuple[float, float, int, int], dict[str, Any]]:
    """(cpu, GiB, replicas, GOGC) -> the grid's row, with the gaps filled (see above)."""
    rows = json.loads((ROOT / "bench" / "optimize_grid.json").read_text(encoding="utf-8"))
    table = {}
    for row in rows:
        s = row["settings"]
        table[(float(s["cpu"]), float(s["mem"]), int(s["replicas"]), int(s["GOGC"]))] = row
    for replicas in range(1, 5):
        last = None
        for gogc in range(50, 210, 10):
            row = table.get((0.5, 1.0, replicas, gogc)) or last
            table[(0.5, 1.0, replicas, gogc)] = row
            table.setdefault((0.5, 2.0, replicas, gogc), row)
            assert row is not None
            table.setdefault((1.0, 2.0, replicas, gogc), {**row, "p95_ms": 0.7 * row["p95_ms"]})
            last = row
    return table


class ReplayProducer:
    """Answers steps from the landscape; the Optimizer's view of a Producer."""

    def __init__(self, config: Any, table: Mapping[tuple[float, float, int, int], Mapping[str, Any]],
                 rng: random.Random, noise: float):
        self.config, self.table, self.rng, self.noise = config, table, rng, noise
        self.records: dict[str, dict[str, Any]] = {}

    def submit(self, component: str, settings: Mapping[str, Any], control: Any = None,
               expires: Any = None) -> Any:
        from worker.contract.steps import validate_step

        validate_step(self.config, component, dict(settings))  # what the real producer refuses
        row = self.table[(float(settings["cpu"]), float(settings["mem"]), int(settings["replicas"]),
                          int(settings["GOGC"]))]
        step_id = uuid.uuid4().hex[:16]
        if row["status"] != "succeeded":
            record: dict[str, Any] = {"id": step_id, "status": "rejected", "reason": "start-failed"}
        else:
            p95 = row["p95_ms"] * (1 + self.rng.gauss(0, self.noise))
            record = {"id": step_id, "status": "succeeded", "reason": None, "measurement": {"metrics": {
                "time per request p95": {"value": p95}, "requests throughput": {"value": row["throughput"]},
                "error rate": {"value": 0.0}}}}
        self.records[step_id] = record
        return Handle(self, step_id)

    def wait(self, step_ids: Sequence[str], timeout: float | None = None) -> list[dict[str, Any]]:
        return [self.records[i] for i in step_ids]

    def bench_limit(self, control: Any) -> float:
        return 10.0

    def check_options(self, control: Mapping[str, Any], expires: float | None) -> dict[str, Any]:
        """What the real producer checks before a step, besides the settings."""
        from worker.contract.errors import ConfigError
        from worker.contract.expiry import check_expires
        from worker.contract.steps import validate_control

        if expires is not None and (bad := check_expires(expires, "--expires")):
            raise ConfigError(bad)
        return validate_control(control, self.config.ab)


class Handle:
    def __init__(self, producer: ReplayProducer, step_id: str):
        self.producer, self.id = producer, step_id

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        return self.producer.records[self.id]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=50, help="runs per sampler (seeds 1..N)")
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--noise", type=float, default=0.03)
    parser.add_argument("--samplers", nargs="+", default=["cost-first", "tpe", "random"])
    parser.add_argument("--out", default=str(ROOT / "bench" / "optimize_replay.json"))
    args = parser.parse_args()
    import optuna
    import redis

    from producer import objectives as obj
    from producer.optimize import Optimizer, Options, steps_run
    from worker.contract.config import parse_config

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    redis.Redis.from_url(REDIS_URL).flushdb()
    config = parse_config(CONFIG, environ={})
    table = landscape()
    goal = obj.Goal(("cost",), max_p95_ms=SLO_P95_MS)
    summary = {}
    for sampler in args.samplers:
        runs = []
        started = time.monotonic()
        for seed in range(1, args.seeds + 1):
            producer = ReplayProducer(config, table, random.Random(seed), args.noise)
            study = Optimizer(producer, "web", goal, redis_url=REDIS_URL,  # type: ignore[arg-type]
                              study_name=f"replay-{sampler}-{seed}-{uuid.uuid4().hex[:6]}", baseline=BASELINE,
                              options=Options(trials=args.trials, sampler=sampler, seed=seed)).run()
            runs.append(best_of(study, goal) | {"steps": steps_run(study)})
        hits = [r for r in runs if r["cost"] is not None and r["cost"] <= 1.10 * GRID_OPTIMUM_COST
                and truly_feasible(table, r["settings"])]
        summary[sampler] = {
            "runs": len(runs), "within_10pct": len(hits),
            "median_steps_to_best": statistics.median(r["steps_to_best"] for r in hits) if hits else None,
            "median_steps_run": statistics.median(r["steps"] for r in runs),
            "none_feasible": sum(1 for r in runs if r["cost"] is None),
            "false_feasible": sum(1 for r in runs if r["cost"] is not None
                                  and not truly_feasible(table, r["settings"])),
            "best_costs": sorted({round(r["cost"], 4) for r in runs if r["cost"] is not None}),
            "seconds": round(time.monotonic() - started, 1)}
        print(sampler, json.dumps(summary[sampler]), flush=True)
    Path(args.out).write_text(json.dumps({"seeds": args.seeds, "trials": args.trials, "noise": args.noise,
                                          "samplers": summary}, indent=1) + "\n", encoding="utf-8")
    return 0


def best_of(study: Any, goal: Any) -> dict[str, Any]:
    """The cheapest feasible cost found and the step that found it."""
    from producer import objectives as obj

    best, at, settings, step = None, None, None, 0
    for trial in study.trials:
        if trial.user_attrs.get("source") != "run" or "outcome" not in trial.user_attrs:
            continue
        step += 1
        result = obj.Outcome.from_dict(trial.user_attrs["outcome"])
        if obj.feasible(goal, result) and (best is None or cast(float, result.cost_per_hour) < best):
            best, at, settings = result.cost_per_hour, step, trial.user_attrs["settings"]
    return {"cost": best, "steps_to_best": at, "settings": settings}


def truly_feasible(table: Mapping[tuple[float, float, int, int], Mapping[str, Any]],
                   settings: Mapping[str, Any] | None) -> bool:
    """The grid's own measurement (without the replay's noise) meets the SLO."""
    if settings is None:
        return False
    row = table[(float(settings["cpu"]), float(settings["mem"]), int(settings["replicas"]),
                 int(settings["GOGC"]))]
    return bool(row["status"] == "succeeded" and row["p95_ms"] <= SLO_P95_MS)


if __name__ == "__main__":
    sys.exit(main())
