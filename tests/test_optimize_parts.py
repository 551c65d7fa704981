"""The optimizer's pure parts: the conditional search space, prices, objectives and
constraints, and the CLI's refusal of bad options (nothing created)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from producer import objectives as obj
from producer.cli import main
from producer.cost import cost_per_hour, cost_per_million
from producer.space import build_space
from worker.contract import sizes
from worker.contract.config import parse_config
from worker.contract.errors import ConfigError
from worker.contract.steps import validate_step


def config(settings: dict[str, Any] | None = None, **top: Any) -> Any:
    declared = settings or {
        "cpu": {"type": "enum", "unit": "vCPU", "values": [0.25, 0.5, 1, 4]},
        "mem": {"type": "range", "unit": "GiB", "min": 0.5, "max": 4, "step": 0.5},
        "replicas": {"type": "range", "min": 1, "max": 4},
    }
    raw = {"fargate": {"web": {"service_name": "web", "settings": declared,
                               "environment": {"GOGC": {"type": "range", "min": 50, "max": 200,
                                                        "step": 10}}}},
           **top}
    return parse_config(raw, {})


def test_every_proposal_is_a_valid_fargate_pair_and_a_cpu_without_one_is_never_proposed() -> None:
    space = build_space(config().component("web"))
    assert space.cpu == (0.25, 0.5, 1)  # 4 vCPU needs 8 GiB or more: none declared
    assert space.memory["0.25"] == (0.5, 1, 2)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    seen = set()
    for _ in range(200):
        settings = space.suggest(study.ask())
        units = sizes.to_units(settings["cpu"], 1024), sizes.to_units(settings["mem"], 1024)
        assert units[0] is not None and units[1] is not None and sizes.is_valid_pair(*units), settings
        seen.add((settings["cpu"], settings["mem"]))
    assert seen == {(c, m) for c in space.cpu for m in space.memory[str(c)]}


def test_the_grid_walks_every_valid_configuration_once() -> None:
    space = build_space(config().component("web"))
    points = list(space.grid())
    pairs = 3 + 4 + 3  # 0.25: 0.5/1/2; 0.5: 1..4; 1: 2..4
    assert len(points) == space.size() == pairs * 4 * 16
    assert len({tuple(sorted(p.items())) for p in points}) == len(points)


@pytest.mark.timeout(60)
def test_a_space_of_ten_billion_configurations_is_counted_and_searched_without_walking_it() -> None:
    """Two variables of 1-100000 each: the space is counted, not listed, and the cost-first
    search lists only the sizes (listing every configuration would not end)."""
    from producer.costfirst import CostFirst

    big = {"type": "range", "min": 1, "max": 100000, "step": 1}
    raw = {"fargate": {"web": {"service_name": "web", "settings": {
        "cpu": {"type": "enum", "values": [0.25, 0.5]}, "replicas": {"type": "range", "min": 1, "max": 3}},
        "environment": {"A": big, "B": big}}}}
    space = build_space(parse_config(raw, {}).component("web"), {"mem": 1})
    assert space.size() == 2 * 3 * 100000 ** 2
    goal = obj.Goal(("cost",), max_p95_ms=45)
    search = CostFirst(space, goal, lambda s: float(s["cpu"]) * int(s["replicas"]),
                       anchor_env={"A": 1, "B": 1})
    first = search.propose([])
    assert first is not None and {"A", "B"} <= set(first.settings)


def test_pinned_settings_stay_out_of_the_space_and_their_value_constrains_the_rest() -> None:
    cfg = config({"cpu": {"type": "enum", "values": [0.25, 0.5, 1]},
                  "mem": {"type": "range", "min": 0.5, "max": 4, "step": 0.5, "pinned": True, "default": 2},
                  "replicas": {"type": "range", "min": 1, "max": 3}})
    space = build_space(cfg.component("web"))
    assert space.memory == {} and space.fixed == {"mem": 2}
    assert space.cpu == (0.25, 0.5, 1)  # all three pair with 2 GiB
    study = optuna.create_study()
    assert "mem" not in space.suggest(study.ask())
    # The service runs 1 GiB: a step never changes a pinned size, so that is the size it is priced at.
    assert build_space(cfg.component("web"), {"cpu": 0.5, "mem": 1}).fixed == {"mem": 1}


def test_settings_and_optuna_params_round_trip_and_outside_values_are_refused() -> None:
    space = build_space(config().component("web"))
    settings = {"cpu": 0.25, "memory": 1, "replicas": 2, "GOGC": "100"}
    params = space.params(settings)
    assert params == {"cpu": 0.25, "mem@0.25": 1, "replicas": 2, "GOGC": 100}
    assert space.settings_of(params) == {"cpu": 0.25, "mem": 1, "replicas": 2, "GOGC": 100}
    assert space.params({**settings, "memory": 4}) is None  # 4 GiB does not pair with 0.25 vCPU
    assert space.params({**settings, "GOGC": 95}) is None  # off the step


@settings(max_examples=40, deadline=None)
@given(places=st.integers(0, 4), low=st.integers(0, 999), step=st.integers(1, 99), count=st.integers(2, 40),
       seed=st.integers(0, 2 ** 16))
def test_every_value_a_sampler_draws_from_a_float_range_is_one_the_step_accepts(
        places: int, low: int, step: int, count: int, seed: int) -> None:
    """A float range's step in binary floating point drifts (0.05 x 19 = 0.9500000000000001);
    a sampler's draw must still be sent as the declared value, or the step is refused."""
    scale = 10 ** places
    declared = {"type": "range", "min": low / scale, "max": (low + step * (count - 1)) / scale,
                "step": step / scale}
    raw = {"fargate": {"web": {"service_name": "web", "settings": {
        "cpu": {"type": "enum", "values": [0.5]}, "mem": {"type": "enum", "values": [1]}},
        "environment": {"RATIO": declared}}}}
    cfg = parse_config(raw, {})
    space = build_space(cfg.component("web"))
    grid = [point["RATIO"] for point in space.grid()]
    assert len(grid) == count
    for sampler in (optuna.samplers.RandomSampler(seed=seed), optuna.samplers.TPESampler(seed=seed,
                                                                                         n_startup_trials=3)):
        study = optuna.create_study(sampler=sampler)
        for _ in range(8):
            trial = study.ask()
            drawn = space.suggest(trial)
            validate_step(cfg, "web", drawn)  # raises ConfigError naming the value if it is off the step
            assert drawn["RATIO"] in grid
            assert space.settings_of(trial.params) == drawn
            study.tell(trial, float(drawn["RATIO"]))
    for value in grid:
        validate_step(cfg, "web", {"RATIO": value})


def test_a_number_given_for_an_environment_enum_is_its_text_choice() -> None:
    declared = {"cpu": {"type": "enum", "unit": "vCPU", "values": [0.5]},
                "mem": {"type": "enum", "unit": "GiB", "values": [1]}}
    raw = {"fargate": {"web": {"service_name": "web", "settings": declared, "environment": {
        "POLLERS": {"type": "enum", "values": [1, 2, 4, 16]},
        "GOGC": {"type": "enum", "values": ["50", "100", "off"]}}}}}
    space = build_space(parse_config(raw, {}).component("web"))
    params = space.params({"cpu": 0.5, "mem": 1, "POLLERS": 4, "GOGC": 100})
    assert params is not None and params["POLLERS"] == "4" and params["GOGC"] == "100"
    assert space.params({"cpu": 0.5, "mem": 1, "POLLERS": 4.0, "GOGC": "off"}) is not None
    assert space.params({"cpu": 0.5, "mem": 1, "POLLERS": 3, "GOGC": "off"}) is None
    assert space.params({"cpu": 0.5, "mem": 1, "POLLERS": 1, "GOGC": True}) is None


def test_cost_per_hour_is_vcpu_and_gb_hours_times_replicas_at_reference_prices() -> None:
    pricing = config().pricing
    assert pricing.architecture == "x86"
    assert cost_per_hour(256, 512, 3, pricing) == pytest.approx(0.0370275)  # emulator/README's optimum
    assert cost_per_million(0.0370275, 1000.0) == pytest.approx(0.0370275 / 3.6)
    assert cost_per_million(0.0370275, 0.0) is None


def test_pricing_section_picks_arm_prices_and_names_bad_fields() -> None:
    arm = config(pricing={"architecture": "arm"}).pricing
    assert (arm.vcpu_hour, arm.gb_hour) == (0.03238, 0.00356)
    assert config(pricing={"vcpu_hour": 0.05}).pricing.vcpu_hour == 0.05
    with pytest.raises(ConfigError) as caught:
        config(pricing={"architecture": "sparc", "gb_hour": -1, "spot": True})
    problems = "\n".join(caught.value.problems)
    assert "pricing.architecture: 'sparc' is not a Fargate architecture (allowed: x86, arm)" in problems
    assert "pricing.gb_hour: must be above 0" in problems
    assert "pricing.spot: unknown key" in problems


def test_a_step_that_did_not_start_violates_more_than_any_measured_miss() -> None:
    goal = obj.Goal(("cost",), max_p95_ms=45, max_error_rate=0.01)
    rejected = obj.outcome([{"status": "rejected", "reason": "start-failed"}], 0.03)
    slow = obj.outcome([{"status": "succeeded", "measurement": {"metrics": {
        obj.METRIC_P95: {"value": 450.0}, obj.METRIC_ERROR_RATE: {"value": 0.5}}}}], 0.03)
    assert rejected.status == "rejected" and not obj.feasible(goal, rejected)
    assert sum(obj.constraints(goal, rejected).values()) > 10 * sum(obj.constraints(goal, slow).values())
    assert obj.values(goal, rejected) == [0.03]  # its cost is known even though it never ran


def test_repeats_tell_the_median_and_record_the_spread() -> None:
    records = [{"status": "succeeded", "measurement": {"metrics": {obj.METRIC_P95: {"value": v}}}}
               for v in (40.0, 44.0, 41.0)]
    result = obj.outcome(records, 0.037)
    assert result.p95_ms == 41.0
    assert result.spread[obj.METRIC_P95]["min"] == 40.0 and result.spread[obj.METRIC_P95]["max"] == 44.0


def test_pareto_keeps_only_points_nothing_beats_on_both_axes() -> None:
    points = [(1.0, 50.0), (2.0, 40.0), (2.0, 45.0), (3.0, 40.0), (0.5, 90.0)]
    assert obj.pareto(points, lambda p: p) == [(1.0, 50.0), (2.0, 40.0), (0.5, 90.0)]


@pytest.mark.parametrize(("flags", "message"), [
    (["--objective", "speed"],
     "--objective: 'speed' is not an objective (allowed: cost, cost-per-million, p95)"),
    (["--slo-p95", "0"], "--slo-p95: must be above 0"),
    (["--max-error-rate", "150"], "--max-error-rate: must be 0..100 %"),
    (["--trials", "0"], "--trials: must be at least 1"),
    (["--control", "duration"], "--control: 'duration' is not key=value"),
    (["--sampler", "cost-first", "--objective", "p95"],
     "--sampler: cost-first needs cost as the only objective"),
    (["--expires", "0"], "--expires: must be above 0"),
    (["--expires", "nan"], "--expires: 'nan' is not a finite number"),
    (["--expires", "1e400"], "--expires: "),
    (["--control", "duration=abc"], "control.duration: must be a number"),
    (["--control", "bogus=1"], "control.bogus"),
    (["--study", "two words"], "--study: "),
])
def test_bad_optimize_options_exit_2_naming_the_field_and_create_no_study(
        flags: list[str], message: str, tmp_path: Path, redis_db: Any,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"fargate": {"web": {"service_name": "web", "settings": {
        "cpu": {"type": "enum", "values": [0.25]}}}}}))
    try:  # a flag's type is argparse's (SystemExit 2), its meaning the command's (returns 2)
        code = main(["optimize", "web", "--config", str(path), "--no-baseline", *flags])
    except SystemExit as exit_:
        code = exit_.code  # type: ignore[assignment]
    assert code == 2
    assert message in capsys.readouterr().err
    assert redis_db.keys("*") == []  # no study, no step, nothing enqueued


def _cpu_and_gogc(tmp_path: Path, gogc: dict[str, Any] | None = None) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"fargate": {"web": {"service_name": "web", "settings": {
        "cpu": {"type": "enum", "values": [0.25, 0.5]}},
        "environment": {"GOGC": gogc or {"type": "range", "min": 50, "max": 200, "step": 10}}}}}))
    return path


def test_a_baseline_naming_an_undeclared_variable_exits_2_and_creates_no_study(
        tmp_path: Path, redis_db: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = _cpu_and_gogc(tmp_path)
    assert main(["optimize", "web", "--config", str(path), "--objective", "p95",
                 "--baseline", "cpu=0.25", "--baseline", "nosuch=1"]) == 2
    assert "--baseline: 'nosuch' is no setting of component web (allowed: GOGC, cpu, mem, replicas)" \
        in capsys.readouterr().err
    assert redis_db.keys("*") == []


def test_a_step_no_worker_takes_stops_the_run_with_no_verdict_and_the_baseline_runs_again(
        tmp_path: Path, redis_db: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """No worker: the baseline's step expires. That says nothing of the configuration, so the
    trial is told FAIL, nothing is called best, and the run stops (every later step would
    expire too); run again, the baseline is run again, not skipped."""
    from producer import studies
    from producer.optimize import storage
    from worker.flow.app import redis_url

    path = _cpu_and_gogc(tmp_path)
    argv = ["optimize", "web", "--config", str(path), "--objective", "p95", "--study", "nobody",
            "--baseline", "cpu=0.25", "--baseline", "GOGC=100", "--expires", "1", "--trials", "3"]
    for attempt in (1, 2):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "study nobody: step" in err and "expired" in err and "start a worker" in err, err
        assert "failed    (expired: not started within its expires" in err  # the trial's line says why
        study = optuna.load_study(study_name="nobody", storage=storage(redis_url()))
        assert [(t.state, t.user_attrs.get("baseline")) for t in study.trials] == \
            [(optuna.trial.TrialState.FAIL, True)] * attempt
        assert studies.summarize(study).get("best") is None


def test_a_study_resumed_under_another_load_is_refused(
        tmp_path: Path, redis_db: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Measurements under two loads in one study would compare unlike with unlike."""
    path = _cpu_and_gogc(tmp_path)
    argv = ["optimize", "web", "--config", str(path), "--objective", "p95", "--study", "loads",
            "--baseline", "cpu=0.25", "--baseline", "GOGC=100", "--expires", "1"]
    assert main([*argv, "--control", "duration=5"]) == 1  # no worker: its step expires
    capsys.readouterr()
    assert main([*argv, "--control", "duration=9"]) == 2
    assert "--study: 'loads' was started with a different control (duration=5)" in capsys.readouterr().err


def test_a_baseline_value_outside_the_space_is_left_to_the_service(
        tmp_path: Path, redis_db: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """GOGC 100 on the service, 150-200 declared: the baseline step sends cpu only (the service
    keeps its GOGC), instead of a step the worker would refuse."""
    from worker.contract.namespace import process_keys
    from worker.contract.records import RecordStore

    path = _cpu_and_gogc(tmp_path, {"type": "range", "min": 150, "max": 200, "step": 10})
    assert main(["optimize", "web", "--config", str(path), "--objective", "p95", "--study", "outside",
                 "--baseline", "cpu=0.25", "--baseline", "GOGC=100", "--expires", "1"]) == 1
    assert "expired" in capsys.readouterr().err  # no worker: it never ran, but it was sent
    [record] = RecordStore(redis_db, process_keys()).recent_steps(10)
    assert record["settings"] == {"cpu": 0.25}


@pytest.mark.parametrize(("record", "reason"), [
    ({"status": "expired", "reason": "expired", "message": "not started within its expires"}, "expired"),
    ({"status": "rejected", "reason": "wrong-target", "message": "config digest differ"}, "wrong-target"),
    ({"status": "queued", "reason": None}, "queued"),
])
def test_a_step_that_never_ran_is_no_verdict_on_its_configuration(record: dict[str, Any],
                                                                   reason: str) -> None:
    ran = {"status": "succeeded", "measurement": {"metrics": {obj.METRIC_P95: {"value": 40.0}}}}
    result = obj.outcome([ran, record], 1.0)
    assert result.status == "failed" and result.reason == reason
    assert obj.constraints(obj.Goal(max_p95_ms=45), result) == {"started": obj.REJECTED_VIOLATION}


def cost_first(**overrides: Any) -> Any:
    from producer.costfirst import CostFirst

    space = build_space(config({"cpu": {"type": "enum", "unit": "vCPU", "values": [0.25, 0.5]},
                                "mem": {"type": "range", "unit": "GiB", "min": 0.5, "max": 1, "step": 0.5},
                                "replicas": {"type": "range", "min": 1, "max": 2}}).component("web"))
    goal = obj.Goal(("cost",), max_p95_ms=45)

    def hourly(s: Any) -> float:
        return cost_per_hour(int(s["cpu"] * 1024), int(s["mem"] * 1024), int(s["replicas"]), config().pricing)

    return CostFirst(space, goal, hourly, anchor_env={"GOGC": 100}, **overrides)


def test_cost_first_leaves_a_baseline_value_off_the_space_to_the_sampler() -> None:
    search = cost_first()
    search_off = type(search)(search.space, search.goal, lambda s: 1.0, anchor_env={"GOGC": 105})
    first = search_off.propose([])
    assert first is not None and "GOGC" not in first.settings  # 105 is off the step of 10
    proposal = search.propose([])
    assert proposal is not None and proposal.settings["GOGC"] == 100
    assert proposal.why["kind"] == "exploring"  # nothing measured: a size in the middle of the price list


def test_cost_first_applies_to_cost_alone_and_only_when_a_size_is_searched() -> None:
    from producer.costfirst import CostFirst

    space = build_space(config().component("web"))
    assert CostFirst.applies(space, obj.Goal(("cost",)))
    assert not CostFirst.applies(space, obj.Goal(("cost", "p95")))
    assert not CostFirst.applies(space, obj.Goal(("cost-per-million",)))


def test_the_summary_counts_steps_and_configurations_apart_and_shows_a_baseline_measured_apart() -> None:
    from producer import studies

    goal = obj.Goal(("cost",), max_p95_ms=45).to_dict()
    ran = {"number": 0, "state": "COMPLETE", "source": "run", "settings": {"cpu": 0.25}, "why": None,
           "outcome": {"status": "succeeded"}}
    summary = {"study": "s", "component": "web", "goal": goal, "steps_run": 3, "trials": [
        ran, {**ran, "number": 1}, {**ran, "number": 2, "settings": {"cpu": 0.5}}],
        "baseline": {"settings": {"GOGC": 100}, "outcome": {"status": "succeeded", "p95_ms": 41.0}}}
    text = studies.render(summary)
    assert "3 steps run on 2 configurations; 3 trials" in text
    assert "baseline GOGC=100: outside the declared space, measured apart: p95 41.0 ms" in text
    skipped = studies.render({**summary, "baseline": {"settings": {"GOGC": 100}, "skipped": "no setting"}})
    assert "baseline GOGC=100: not measured: no setting" in skipped


def test_sigterm_stops_optimize_as_ctrl_c_does_and_says_how_to_resume(tmp_path: Path, redis_db: Any) -> None:
    """A stopped container sends SIGTERM: the run ends 143 with the resume line, its step kept."""
    import signal
    import subprocess
    import sys
    import time

    from worker.contract.namespace import process_keys
    from worker.contract.records import RecordStore

    path = _cpu_and_gogc(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "producer.cli", "optimize", "web", "--config", str(path),
                             "--objective", "p95", "--study", "stopped", "--baseline", "cpu=0.25",
                             "--baseline", "GOGC=100", "--expires", "120"],
                            stderr=subprocess.PIPE, text=True)
    store = RecordStore(redis_db, process_keys())
    deadline = time.monotonic() + 60
    while not store.recent_steps(1) and time.monotonic() < deadline:  # the baseline's step, waiting
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert "interrupted; run the same command to resume study stopped" in err
    assert [r["status"] for r in store.recent_steps(10)] == ["queued"]


def test_a_cpu_range_with_a_step_offers_and_accepts_only_the_fargate_sizes_on_it() -> None:
    raw = {"fargate": {"web": {"service_name": "web", "settings": {
        "cpu": {"type": "range", "min": 0.25, "max": 1, "step": 0.75},
        "mem": {"type": "enum", "values": [2]}}}}}
    cfg = parse_config(raw, {})
    assert build_space(cfg.component("web")).cpu == (0.25, 1)
    validate_step(cfg, "web", {"cpu": 1})
    with pytest.raises(ConfigError, match=r"step.web.settings.cpu: 0.5 is not on a step of 0.75 from 0.25"):
        validate_step(cfg, "web", {"cpu": 0.5})
