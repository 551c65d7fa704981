"""Deployment stability, every branch, through moto plus the rollout state driver."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from emulator.rollout import Plan, RolloutDriver
from tests.support.aws_setup import Setup, config_dict, provision
from worker import fargate, stability
from worker.aws import Clients
from worker.config import Component, parse_config
from worker.errors import AdjustmentRejected
from worker.stability import Expectation, Observation, evaluate
from worker.steps import validate_step


@pytest.fixture
def setup(clients: Clients) -> Setup:
    return provision(clients, cpu=256, memory=512, desired_count=2)


def component(setup: Setup, **overrides: Any) -> Component:
    raw = config_dict(setup)
    raw["fargate"][setup.name].update({"timeout_service_desired_count": 5, "rollback_timeout": 5,
                                       **overrides})
    return parse_config(raw, environ={}).components[setup.name]


@pytest.fixture
def driver_for(clients: Clients, setup: Setup) -> Iterator[Any]:
    drivers: list[RolloutDriver] = []

    def start(plan: Any = None) -> RolloutDriver:
        plan = plan or Plan()
        driver = RolloutDriver(clients.elbv2, setup.cluster, setup.service, plan=plan)
        drivers.append(driver.__enter__())
        return driver

    yield start
    for driver in drivers:
        driver.stop()
        assert not driver.errors, driver.errors


def adjust(clients: Clients, setup: Setup, comp: Component, settings: dict[str, Any]) -> fargate.AdjustResult:
    config = parse_config(config_dict(setup), environ={})
    return fargate.adjust(clients.ecs, comp, validate_step(config, setup.name, settings))


def service(clients: Clients, setup: Setup) -> dict[str, Any]:
    svc: dict[str, Any] = clients.ecs.describe_services(cluster=setup.cluster, services=[setup.service])[
        "services"][0]
    return svc


def test_healthy_rollout_is_stable_only_after_old_deployment_drains(clients, setup, driver_for) -> None:
    driver = driver_for(Plan(start_delay=0.3, task_interval=0.6, drain_delay=0.5))
    comp = component(setup)
    since = time.time()
    result = adjust(clients, setup, comp, {"cpu": 0.5, "mem": 1, "replicas": 3})
    seen: list[Observation] = []
    obs = stability.settle(clients, comp, result, since=since, on_progress=seen.append)
    assert obs.state == "stable"
    assert any("old deployment draining" in o.message for o in seen)
    assert any(re.match(r"new deployment [12]/3 running", o.message) for o in seen)
    svc = service(clients, setup)
    assert len(svc["deployments"]) == 1
    assert (svc["deployments"][0]["taskDefinition"], svc["desiredCount"]) == (result.task_definition, 3)
    assert driver.current.stable_at is not None


def test_detection_follows_stability_within_the_poll_cap(clients, setup, driver_for) -> None:
    driver = driver_for(Plan(start_delay=1.5, task_interval=0.1, drain_delay=0.1))
    comp = component(setup)
    result = adjust(clients, setup, comp, {"GOGC": 150})
    stability.settle(clients, comp, result, since=time.time())
    lag = time.monotonic() - driver.current.stable_at
    assert 0 <= lag < 1.5  # cap 1 s between looks, plus one DescribeServices


def test_crashing_tasks_fail_fast_with_the_stopped_reason_and_roll_back(clients, setup, driver_for) -> None:
    bad: set[str] = set()
    driver_for(lambda td, n: Plan(outcome="crash") if td in bad else Plan())
    comp = component(setup, timeout_service_desired_count=60)
    target_cfg = parse_config(config_dict(setup), environ={})
    target = validate_step(target_cfg, setup.name, {"cpu": 0.5, "mem": 1})
    reg = fargate.build_registration(fargate.registration(
        clients.ecs.describe_task_definition(taskDefinition=setup.task_definition_arn)["taskDefinition"]),
        comp, target)
    bad.add(fargate.register(clients.ecs, reg, []))
    started = time.monotonic()
    result = fargate.adjust(clients.ecs, comp, target)
    with pytest.raises(AdjustmentRejected) as err:
        stability.settle(clients, comp, result, since=time.time())
    assert time.monotonic() - started < 10  # not the 60 s timeout
    assert err.value.reason == "start-failed"
    assert "Essential container in task exited" in err.value.message
    assert "exit code 137: OutOfMemoryError" in err.value.message
    rollback = err.value.rollback
    assert rollback is not None and rollback["ok"] is True
    assert rollback["task_definition"] == setup.task_definition_arn
    svc = service(clients, setup)
    assert (svc["taskDefinition"], svc["desiredCount"]) == (setup.task_definition_arn, 2)
    assert [d["taskDefinition"] for d in svc["deployments"]] == [setup.task_definition_arn]


@pytest.mark.parametrize("id_known", [True, False], ids=["id-from-update-service", "id-never-seen"])
def test_crash_seen_only_after_ecs_rolled_it_back_still_names_the_stopped_tasks(
        clients, setup, driver_for, id_known) -> None:
    """On a slow host the first look can come after the circuit breaker has rolled the
    deployment back and it has drained away; its stopped tasks still say why. AWS returns
    the deployment id from UpdateService; moto does not, so both paths are tested."""
    driver = driver_for(lambda td, n: Plan(outcome="crash") if td != setup.task_definition_arn else Plan())
    comp = component(setup, timeout_service_desired_count=60)
    result = adjust(clients, setup, comp, {"GOGC": 60})
    deadline = time.monotonic() + 10
    while not (driver.current and driver.current.failed_at) or any(
            d["id"] == driver.current.deployment_id for d in service(clients, setup)["deployments"]):
        assert time.monotonic() < deadline, "the failed deployment never drained"
        time.sleep(0.05)
    if id_known:
        result = dataclasses.replace(result, deployment_id=driver.current.deployment_id)
    with pytest.raises(AdjustmentRejected) as err:
        stability.settle(clients, comp, result, since=time.time() - 5)
    assert err.value.reason == "start-failed"
    assert "exit code 137: OutOfMemoryError" in err.value.message


def test_circuit_breaker_rollback_is_unstable_with_aws_reason(clients, setup, driver_for) -> None:
    driver_for(lambda td, n: Plan(outcome="circuit-breaker") if td != setup.task_definition_arn else Plan())
    comp = component(setup, timeout_service_desired_count=60)
    result = adjust(clients, setup, comp, {"GOGC": 70})
    with pytest.raises(AdjustmentRejected) as err:
        stability.settle(clients, comp, result, since=time.time())
    assert err.value.reason == "unstable"
    assert "circuit breaker" in err.value.message
    assert err.value.rollback and err.value.rollback["ok"]


def test_unplaceable_task_event_fails_fast(clients, setup, driver_for) -> None:
    driver_for(lambda td, n: Plan(outcome="unplaceable") if td != setup.task_definition_arn else Plan())
    comp = component(setup, timeout_service_desired_count=60)
    result = adjust(clients, setup, comp, {"GOGC": 80})
    with pytest.raises(AdjustmentRejected, match="unable to place a task") as err:
        stability.settle(clients, comp, result, since=time.time())
    assert err.value.reason == "start-failed"


def test_stuck_deployment_times_out_and_rolls_back(clients, setup, driver_for) -> None:
    driver_for(lambda td, n: Plan(outcome="stuck") if td != setup.task_definition_arn else Plan())
    comp = component(setup, timeout_service_desired_count=1.5)
    result = adjust(clients, setup, comp, {"GOGC": 90})
    started = time.monotonic()
    with pytest.raises(AdjustmentRejected) as err:
        stability.settle(clients, comp, result, since=time.time())
    assert err.value.reason == "timeout"
    assert "not stable after 1.5 s: new deployment 0/2 running, 2 pending" in err.value.message
    assert 1.5 <= time.monotonic() - started < 6
    assert err.value.rollback and err.value.rollback["ok"]
    assert service(clients, setup)["taskDefinition"] == setup.task_definition_arn


def test_failed_rollback_is_reported_not_hidden(clients, setup, driver_for) -> None:
    driver_for(Plan(outcome="stuck"))  # neither the step nor the rollback ever settles
    comp = component(setup, timeout_service_desired_count=1, rollback_timeout=1)
    result = adjust(clients, setup, comp, {"GOGC": 90})
    with pytest.raises(AdjustmentRejected) as err:
        stability.settle(clients, comp, result, since=time.time())
    assert err.value.rollback is not None and err.value.rollback["ok"] is False
    assert "not stable after 1 s" in err.value.rollback["message"]


def test_cancel_while_settling_rolls_back(clients, setup, driver_for) -> None:
    driver_for(lambda td, n: Plan(outcome="stuck") if td != setup.task_definition_arn else Plan())
    comp = component(setup, timeout_service_desired_count=60)
    result = adjust(clients, setup, comp, {"GOGC": 110})
    deadline = time.monotonic() + 0.5
    with pytest.raises(AdjustmentRejected) as err:
        stability.settle(clients, comp, result, since=time.time(),
                         cancelled=lambda: time.monotonic() > deadline)
    assert err.value.reason == "cancelled"
    assert err.value.rollback and err.value.rollback["ok"]


def test_scale_only_step_settles_on_the_same_deployment(clients, setup, driver_for) -> None:
    driver_for(Plan(start_delay=0.1))
    comp = component(setup)
    result = adjust(clients, setup, comp, {"replicas": 4})
    assert stability.settle(clients, comp, result, since=time.time()).state == "stable"
    assert service(clients, setup)["deployments"][0]["runningCount"] == 4


# -- evaluate() is pure: the cases moto cannot produce ------------------------------------

DEP = {"id": "d2", "status": "PRIMARY", "taskDefinition": "td:2", "desiredCount": 2, "runningCount": 2,
       "pendingCount": 0, "rolloutState": "COMPLETED"}
EXPECT = Expectation("td:2", 2, "d2", since=0)


def test_draining_targets_keep_it_settling() -> None:
    targets = {"arn:tg/web": stability.TargetCounts(healthy=2, draining=1)}
    obs = evaluate({"deployments": [DEP]}, EXPECT, targets=targets)
    assert obs.state == "settling" and "1 draining" in obs.message


def test_too_few_healthy_targets_keep_it_settling() -> None:
    obs = evaluate({"deployments": [DEP]}, EXPECT, targets={"tg": stability.TargetCounts(healthy=1)})
    assert obs.state == "settling" and "1/2 healthy" in obs.message


def test_in_progress_rollout_is_not_stable_even_with_counts_done() -> None:
    obs = evaluate({"deployments": [{**DEP, "rolloutState": "IN_PROGRESS"}]}, EXPECT, targets={})
    assert obs.state == "settling"


def test_stable_needs_one_deployment_counts_rollout_and_targets() -> None:
    obs = evaluate({"deployments": [DEP]}, EXPECT, targets={"tg": stability.TargetCounts(healthy=2)})
    assert obs.state == "stable" and obs.percent == 100


def test_old_events_do_not_fail_a_new_step() -> None:
    from datetime import UTC, datetime
    event = {"createdAt": datetime(2020, 1, 1, tzinfo=UTC), "message": "was unable to place a task"}
    obs = evaluate({"deployments": [DEP], "events": [event]}, Expectation("td:2", 2, "d2", since=time.time()))
    assert obs.state == "settling"


def test_judge_turns_settling_past_the_deadline_into_a_timeout_and_nothing_else() -> None:
    settling = Observation("settling", "new deployment 1/2 running", 40)
    assert stability.judge(settling, now=9.9, deadline=10, timeout=60) is settling
    late = stability.judge(settling, now=10, deadline=10, timeout=60)
    assert (late.state, late.reason, late.message) == (
        "failed", "timeout", "not stable after 60 s: new deployment 1/2 running")
    stable = Observation("stable", "stable: 2/2 running on web:2", 100)
    assert stability.judge(stable, now=99, deadline=10, timeout=60) is stable
