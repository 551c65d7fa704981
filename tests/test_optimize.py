"""`optimize` end to end on the sandbox's demo service: real moto + controller + demo-app
processes + load balancer, a real Celery worker, real ab, the study in Redis.

The demo model's cheapest configuration meeting p95 <= 45 ms under `ab -k -c 16` was found
by an exhaustive grid of the whole declared space (bench/optimize_grid.py, bench/README.md):
0.25 vCPU, 0.5 GiB, 3 replicas, GOGC 120..160, at $0.0370/hour. The next cheapest that
meets it costs 18 % more, so "within 10 %" means finding that configuration.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import optuna
import pytest

from producer import studies
from producer.cli import main
from producer.objectives import Goal
from producer.optimize import Optimizer, Options, steps_run
from tests.support.sandbox_stack import LOAD, SLO_P95_MS, sandbox_stack
from worker.contract.namespace import process_keys

pytestmark = pytest.mark.slow
GRID_OPTIMUM_COST = 0.0370275  # $/hour: 3 x (0.25 vCPU x 0.04048 + 0.5 GB x 0.004445)
BUDGET = 30


@pytest.mark.timeout(420)
def test_optimize_finds_the_cheapest_configuration_meeting_the_slo_within_30_trials(
        aws_endpoint: str, redis_db: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    with sandbox_stack(tmp_path, os.environ["SERVO_REDIS_URL"], aws_endpoint) as producer:
        code = main(["optimize", "web", "--config", str(producer.config.path), "--study", "accept",
                     "--slo-p95", str(SLO_P95_MS), "--trials", str(BUDGET),
                     *[f"--control={k}={v}" for k, v in LOAD.items()], "--format", "json"])
        elapsed = time.monotonic() - started
        out = capsys.readouterr()
        assert code == 0, out.err
        summary = json.loads(out.out)
        # The study is in Redis: a rerun resumes, finds the search complete, runs nothing.
        assert main(["optimize", "web", "--config", str(producer.config.path), "--study", "accept",
                     "--slo-p95", str(SLO_P95_MS), "--trials", str(BUDGET),
                     *[f"--control={k}={v}" for k, v in LOAD.items()]]) == 0
        report = tmp_path / "report"
        assert main(["report", "accept", "--out", str(report), "--config", str(producer.config.path)]) == 0
    best = summary["best"]
    # Every trial, so that a miss under load says which measurement led the search away.
    trail = "\n".join(f"{t['number']:>3} {t['settings']} {(t['outcome'] or {}).get('status')} "
                      f"p95 {(t['outcome'] or {}).get('p95_ms')} | {(t['why'] or {}).get('text', '')[:100]}"
                      for t in summary["trials"])
    assert best is not None, f"nothing feasible found\n{trail}"
    print(f"\noptimize: {elapsed:.0f} s, {summary['steps_run']} steps, {len(summary['trials'])} trials; "
          f"best {best['settings']} ${best['outcome']['cost_per_hour']:.4f}/h "
          f"p95 {best['outcome']['p95_ms']:.1f}")
    assert best["outcome"]["cost_per_hour"] <= 1.10 * GRID_OPTIMUM_COST, f"{best}\n{trail}"
    assert best["outcome"]["p95_ms"] <= SLO_P95_MS, trail
    assert best["command"].startswith("servo-fargate step web cpu=")
    # Cheapest size first (the default for cost alone): it stops once every cheaper size is
    # ruled out and its best confirmed, inside the budget (bench/README.md: a median of 14
    # steps on the suite's sandbox-grid-3 replay, 20 in this test's last run).
    assert summary["complete"] is True and summary["steps_run"] < BUDGET, trail
    first = summary["trials"][0]
    assert first["baseline"] and first["settings"] == {"cpu": 0.25, "mem": 1, "replicas": 2, "GOGC": 100}
    rejected = [t for t in summary["trials"] if (t["outcome"] or {}).get("status") == "rejected"]
    assert all(t["constraints"]["started"] > 0 for t in rejected)  # told infeasible, not dropped
    assert len(redis_db.keys(process_keys().step("*"))) == summary["steps_run"]  # the rerun ran no step
    assert (report / "report.html").read_text().count("data:image/png;base64,") == 2
    assert len(json.loads((report / "steps.json").read_text())["steps"]) == summary["steps_run"]


@pytest.mark.timeout(180)
def test_a_crashed_optimize_resumes_the_running_trials_step_without_losing_it(
        aws_endpoint: str, redis_db: Any, tmp_path: Path) -> None:
    url = os.environ["SERVO_REDIS_URL"]
    goal = Goal(("cost",), max_p95_ms=SLO_P95_MS)
    options = Options(trials=2, sampler="tpe", seed=1, control=LOAD)  # a cheapest-first search may stop at 1
    with sandbox_stack(tmp_path, url, aws_endpoint) as producer:
        first = Optimizer(producer, "web", goal, redis_url=url, study_name="crash", options=options)
        study = first.study()
        trial = study.ask()  # what run() does, up to the moment the process dies mid-step
        settings = first.space.suggest(trial)
        trial.set_user_attr("settings", settings)
        trial.set_user_attr("source", "run")
        step = producer.submit("web", settings, LOAD)
        trial.set_user_attr("step_ids", [step.id])
        del first, study, trial  # the crash: nothing was told

        resumed = Optimizer(producer, "web", goal, redis_url=url, study_name="crash", options=options).run()
    trials = resumed.get_trials(deepcopy=False)
    assert trials[0].user_attrs["step_ids"] == [step.id]  # the running step was waited for, not rerun
    status = producer.store.require(step.id)["status"]
    assert trials[0].user_attrs["outcome"]["status"] == status
    # On the healthy sandbox the step ends with a verdict on its settings (succeeded, or
    # rejected if they do not start), never failed or cancelled: the resumed trial is told
    # COMPLETE with its values, as producer/optimize.py's docstring says a verdict is.
    assert status in ("succeeded", "rejected"), producer.store.require(step.id)
    assert trials[0].state == optuna.trial.TrialState.COMPLETE
    assert steps_run(resumed) == 2
    assert len(redis_db.keys(process_keys().step("*"))) == 2
    assert studies.summarize(resumed)["steps_run"] == 2
