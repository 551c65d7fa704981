"""Settling and rolling back on the production path: the adjust and poll stages the Celery
tasks run (tests/support/inline.py), against moto with the rollout state driver, and AWS
error answers at the HTTP layer (tests/support/aws_answers.py). The pure judging of one
look (stability.evaluate) is tested at the end."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from emulator.moto_ecs import MotoEcs
from emulator.rollout import Plan, RolloutDriver
from tests.conftest import TEST_REDIS_URL
from tests.support import inline
from tests.support.aws_answers import AwsAnswers
from tests.support.aws_setup import Setup, config_dict, provision
from tests.support.waiting import wait_until
from worker.aws import stability
from worker.aws.clients import Clients
from worker.aws.stability import Expectation, evaluate
from worker.contract.config import parse_config
from worker.contract.records import RecordStore
from worker.flow import lease
from worker.flow.runtime import Runtime

THROTTLED = ("ThrottlingException", "Rate exceeded")


@pytest.fixture
def setup(clients: Clients) -> Setup:
    return provision(clients, cpu=256, memory=512, desired_count=2)


@pytest.fixture
def answers(clients: Clients) -> AwsAnswers:
    return AwsAnswers().attach(clients.ecs)


@pytest.fixture
def make_rt(clients: Clients, setup: Setup, redis_db: Any) -> Any:
    def make(**overrides: Any) -> Runtime:
        raw = config_dict(setup)
        raw["fargate"][setup.name].update({"timeout_service_desired_count": 5, "rollback_timeout": 5,
                                           **overrides})
        rt = Runtime(store=RecordStore.from_url(TEST_REDIS_URL), config=parse_config(raw, environ={}))
        rt.clients = clients  # type: ignore[misc]  # the test's clients, with their error answers
        return rt
    return make


@pytest.fixture
def driver_for(clients: Clients, setup: Setup) -> Iterator[Any]:
    drivers: list[RolloutDriver] = []

    def start(plan: Any = None) -> RolloutDriver:
        driver = RolloutDriver(clients.elbv2, setup.cluster, setup.service, plan=plan or Plan())
        drivers.append(driver.__enter__())
        return driver

    yield start
    for driver in drivers:
        driver.stop()
        assert not driver.errors, driver.errors


def bad_for_new(setup: Setup, plan: Plan) -> Any:
    """A plan for every revision but the pre-step one."""
    return lambda td, n: plan if td != setup.task_definition_arn else Plan()


def service(clients: Clients, setup: Setup) -> dict[str, Any]:
    svc: dict[str, Any] = clients.ecs.describe_services(cluster=setup.cluster, services=[setup.service])[
        "services"][0]
    return svc


def runs(clients: Clients, setup: Setup) -> tuple[str, int]:
    svc = service(clients, setup)
    return svc["taskDefinition"], int(svc["desiredCount"])


def assert_invariant(record: dict[str, Any], clients: Clients, setup: Setup) -> None:
    """When a step ends, the service runs what the record says it runs: the pre-step
    revision and count after a rollback, the step's own after success."""
    said = record["runs"]
    assert runs(clients, setup) == (said["task_definition"], said["desired_count"]), record
    if record["status"] in ("rejected", "cancelled") or (record["status"] == "failed" and record["rollback"]
                                                          and record["rollback"].get("ok")):
        assert (said["task_definition"], said["desired_count"]) == (setup.task_definition_arn, 2)


# -- settling to stable --------------------------------------------------------------------------

def test_healthy_rollout_is_stable_only_after_old_deployment_drains(clients, setup, make_rt,
                                                                      driver_for) -> None:
    driver = driver_for(Plan(start_delay=0.3, task_interval=0.6, drain_delay=0.5))
    rt = make_rt()
    messages: list[str] = []
    step_id = inline.create(rt.store, rt.config, setup.name, {"cpu": 0.5, "mem": 1, "replicas": 3})
    inline.adjust(rt, step_id)
    record = inline.settle(rt, step_id, each=lambda r: messages.append(r["progress"]["message"]))
    assert record["status"] == "measuring", record
    assert any("old deployment draining" in m for m in messages)
    svc = service(clients, setup)
    assert len(svc["deployments"]) == 1
    assert (svc["taskDefinition"], svc["desiredCount"]) == (record["applied"]["task_definition"], 3)
    assert record["runs"] == {"task_definition": record["applied"]["task_definition"], "desired_count": 3}
    assert driver.current.stable_at is not None


def test_scale_only_step_settles_on_the_same_deployment(clients, setup, make_rt, driver_for) -> None:
    driver_for(Plan(start_delay=0.1))
    rt = make_rt()
    record = inline.run(rt, rt.config, setup.name, {"replicas": 4})
    assert record["status"] == "measuring", record
    assert service(clients, setup)["deployments"][0]["runningCount"] == 4


def test_a_task_stopped_before_the_step_began_does_not_fail_it(clients, setup, make_rt, driver_for) -> None:
    """Stopped tasks stay listed for an hour; on a replicas-only step (same deployment) an
    old one must not count."""
    driver_for(Plan(start_delay=0.3))
    ecs = MotoEcs(setup.cluster, setup.service)
    dep = ecs.primary()["id"]
    arn, _ = ecs.start_task(setup.task_definition_arn, dep)
    ecs.stop_task(arn, "Essential container in task exited", 137, "OutOfMemoryError: an hour ago")
    task = ecs.backend.tasks[setup.cluster][arn]
    task.stopped_at = datetime.now(UTC) - timedelta(minutes=50)  # type: ignore[attr-defined]
    record = inline.run(make_rt(), make_rt().config, setup.name, {"replicas": 3})
    assert record["status"] == "measuring", record


def test_a_capacity_shortage_is_waited_out_not_held_against_the_settings(clients, setup, make_rt,
                                                                          driver_for) -> None:
    driver = driver_for(bad_for_new(setup, Plan(start_delay=1.5)))
    ecs = MotoEcs(setup.cluster, setup.service)

    def shortage() -> None:
        roll = wait_until(lambda: driver.current if driver.current and driver.current.deployment_id else None,
                          5, "the step's deployment to start", every=0.02)
        ecs.event(f"(service {setup.service}) was unable to place a task. Reason: Capacity is unavailable "
                  "at this time. Please try again later or in a different availability zone.")
        arn, _ = ecs.start_task(roll.task_definition, roll.deployment_id)
        ecs.stop_task(arn, "Capacity is unavailable at this time. Please try again later.", None)

    thread = threading.Thread(target=shortage)
    rt = make_rt()
    step_id = inline.create(rt.store, rt.config, setup.name, {"GOGC": 120})
    inline.adjust(rt, step_id)
    thread.start()
    record = inline.settle(rt, step_id)
    thread.join()
    assert record["status"] == "measuring", record


# -- failing fast, and rolling back ---------------------------------------------------------------

def test_crashing_tasks_fail_fast_with_the_stopped_reason_and_roll_back(clients, setup, make_rt,
                                                                        driver_for) -> None:
    driver_for(bad_for_new(setup, Plan(outcome="crash")))
    rt = make_rt(timeout_service_desired_count=60)
    record = inline.run(rt, rt.config, setup.name, {"cpu": 0.5, "mem": 1})
    # start-failed, not timeout: it ended on the stopped tasks, without waiting the 60 s out
    assert (record["status"], record["reason"]) == ("rejected", "start-failed")
    assert "Essential container in task exited" in record["message"]
    assert "exit code 137: OutOfMemoryError" in record["message"]
    assert record["rollback"]["ok"] is True
    assert_invariant(record, clients, setup)
    deployed = [d["taskDefinition"] for d in service(clients, setup)["deployments"]]
    assert deployed == [setup.task_definition_arn]


def test_crash_seen_only_after_ecs_rolled_it_back_still_names_the_stopped_tasks(clients, setup, make_rt,
                                                                                driver_for) -> None:
    """On a slow host the first look can come after the circuit breaker has rolled the
    deployment back and it has drained away; its stopped tasks still say why."""
    driver = driver_for(bad_for_new(setup, Plan(outcome="crash")))
    rt = make_rt(timeout_service_desired_count=60)
    step_id = inline.create(rt.store, rt.config, setup.name, {"GOGC": 60})
    inline.adjust(rt, step_id)

    def drained() -> bool:
        roll = driver.current
        return bool(roll and roll.failed_at) and not any(
            d["id"] == roll.deployment_id for d in service(clients, setup)["deployments"])
    wait_until(drained, 10, "the failed deployment to be rolled back and drained")
    record = inline.settle(rt, step_id)
    assert (record["status"], record["reason"]) == ("rejected", "start-failed"), record
    assert "exit code 137: OutOfMemoryError" in record["message"]
    assert_invariant(record, clients, setup)


@pytest.mark.parametrize(("outcome", "reason", "said"), [
    ("circuit-breaker", "unstable", "circuit breaker"),
    ("unplaceable", "start-failed", "unable to place a task"),
], ids=["circuit-breaker", "unplaceable-task"])
def test_what_ecs_already_knows_fails_fast_with_its_reason_and_rolls_back(
        clients, setup, make_rt, driver_for, outcome: Any, reason: str, said: str) -> None:
    driver_for(bad_for_new(setup, Plan(outcome=outcome)))
    rt = make_rt(timeout_service_desired_count=60)
    record = inline.run(rt, rt.config, setup.name, {"GOGC": 70})
    # ECS's own reason, not timeout: it did not wait the 60 s out
    assert (record["status"], record["reason"]) == ("rejected", reason), record
    assert said in record["message"]
    assert record["rollback"]["ok"] is True
    assert_invariant(record, clients, setup)


def test_stuck_deployment_times_out_and_rolls_back(clients, setup, make_rt, driver_for) -> None:
    driver_for(bad_for_new(setup, Plan(outcome="stuck")))
    rt = make_rt(timeout_service_desired_count=1.5)
    started = time.monotonic()
    record = inline.run(rt, rt.config, setup.name, {"GOGC": 90})
    assert (record["status"], record["reason"]) == ("rejected", "timeout")
    assert "not stable after 1.5 s: new deployment 0/2 running, 2 pending" in record["message"]
    assert time.monotonic() - started >= 1.5  # never gave up before the timeout
    assert record["rollback"]["ok"] is True
    assert_invariant(record, clients, setup)


def test_a_rollback_that_cannot_complete_ends_rollback_failed_with_what_the_service_runs(
        clients, setup, make_rt, driver_for) -> None:
    driver_for(Plan(outcome="stuck"))  # neither the step nor the rollback ever settles
    rt = make_rt(timeout_service_desired_count=1, rollback_timeout=1)
    record = inline.run(rt, rt.config, setup.name, {"GOGC": 90})
    assert (record["status"], record["reason"]) == ("failed", "rollback-failed"), record
    assert record["message"].startswith("rollback failed: not stable after 1 s")
    assert "the step had failed: timeout: not stable after 1 s" in record["message"]
    assert record["rollback"]["ok"] is False
    assert record["runs"]["task_definition"] == setup.task_definition_arn  # read from AWS
    assert_invariant(record, clients, setup)


def test_cancel_while_settling_rolls_back(clients, setup, make_rt, driver_for) -> None:
    driver_for(bad_for_new(setup, Plan(outcome="stuck")))
    rt = make_rt(timeout_service_desired_count=60)
    step_id = inline.create(rt.store, rt.config, setup.name, {"GOGC": 110})
    inline.adjust(rt, step_id)
    threading.Timer(0.5, rt.store.request_cancel, args=(step_id,)).start()
    record = inline.settle(rt, step_id)
    assert (record["status"], record["reason"]) == ("cancelled", "cancelled")
    assert record["rollback"]["ok"] is True
    assert_invariant(record, clients, setup)


def test_a_lost_lease_ends_the_step_without_touching_the_new_owners_service(clients, setup, make_rt,
                                                                           driver_for) -> None:
    driver_for(bad_for_new(setup, Plan(outcome="stuck")))
    rt = make_rt(timeout_service_desired_count=60)
    step_id = inline.create(rt.store, rt.config, setup.name, {"GOGC": 120})
    applied = inline.adjust(rt, step_id)["applied"]
    key = rt.lease_key(rt.config.component(setup.name))
    lease.release(rt.store.r, key, step_id)
    assert lease.acquire(rt.store.r, key, "other-step")
    record = inline.settle(rt, step_id)
    assert (record["status"], record["reason"]) == ("failed", "lease-lost")
    assert "step other-step took the service" in record["message"]
    assert record["rollback"] is None
    assert record["runs"]["task_definition"] == applied["task_definition"] == runs(clients, setup)[0]


# -- AWS errors ------------------------------------------------------------------------------------

def test_transient_errors_while_settling_are_looked_through(clients, setup, make_rt, driver_for,
                                                            answers) -> None:
    driver_for(Plan(start_delay=1.0))
    answers.fail("DescribeServices", *THROTTLED, times=4)
    answers.fail("ListTasks", "ServerException", "Service unavailable", status=500, times=2)
    rt = make_rt()
    record = inline.run(rt, rt.config, setup.name, {"GOGC": 130})
    assert record["status"] == "measuring", record
    assert answers.rules[0].answered == 4


def test_transient_errors_past_the_deadline_roll_back(clients, setup, make_rt, driver_for, answers) -> None:
    driver_for(bad_for_new(setup, Plan(outcome="stuck")))
    rt = make_rt(timeout_service_desired_count=1.5, rollback_timeout=10)
    step_id = inline.create(rt.store, rt.config, setup.name, {"GOGC": 140})
    inline.adjust(rt, step_id)
    answers.fail("DescribeServices", *THROTTLED,
                 when=lambda: not (rt.store.require(step_id).get("rollback") or {}).get("requested"))
    started = time.monotonic()
    record = inline.settle(rt, step_id)
    assert time.monotonic() - started >= 1.5  # never ended before the deadline
    assert (record["status"], record["reason"]) == ("failed", "aws-transient"), record
    assert "ThrottlingException" in record["message"]
    assert record["rollback"]["ok"] is True
    assert_invariant(record, clients, setup)


def test_a_rollback_under_transient_errors_keeps_trying_until_it_completes(clients, setup, make_rt,
                                                                          driver_for, answers) -> None:
    driver_for(bad_for_new(setup, Plan(outcome="crash")))
    rt = make_rt(timeout_service_desired_count=60, rollback_timeout=20)
    step_id = inline.create(rt.store, rt.config, setup.name, {"GOGC": 150})
    inline.adjust(rt, step_id)
    answers.fail("UpdateService", *THROTTLED, times=3)  # the rollback's UpdateService
    answers.fail("DescribeServices", "ServerException", "Internal error", status=500,
                 when=lambda: bool((rt.store.require(step_id).get("rollback") or {}).get("requested")),
                 times=3)
    record = inline.settle(rt, step_id)
    assert (record["status"], record["reason"]) == ("rejected", "start-failed"), record
    assert record["rollback"]["ok"] is True
    assert [r.answered for r in answers.rules] == [3, 3]
    assert_invariant(record, clients, setup)


def test_a_concurrent_revision_conflict_is_retried_not_rejected(clients, setup, make_rt, driver_for,
                                                                answers) -> None:
    driver_for(Plan(start_delay=0.1))
    answers.fail("RegisterTaskDefinition", "ClientException", "Too many concurrent attempts to create a new "
                 "revision of the specified family.", times=2)
    rt = make_rt()
    record = inline.run(rt, rt.config, setup.name, {"cpu": 0.5, "mem": 1})
    assert record["status"] == "measuring", record
    assert answers.calls["RegisterTaskDefinition"] == 3


def test_access_denied_ends_the_step_at_once_naming_the_permission(clients, setup, make_rt, driver_for,
                                                                   answers) -> None:
    driver_for(Plan())
    answers.fail("RegisterTaskDefinition", "AccessDeniedException", "User: arn:aws:sts::123456789012:"
                 "assumed-role/servo/worker is not authorized to perform: ecs:RegisterTaskDefinition on "
                 "resource: * because no identity-based policy allows the ecs:RegisterTaskDefinition action")
    rt = make_rt()
    record = inline.run(rt, rt.config, setup.name, {"cpu": 0.5, "mem": 1})
    assert (record["status"], record["reason"]) == ("failed", "access-denied"), record
    assert "RegisterTaskDefinition on task definition family web" in record["message"]
    assert "grant ecs:RegisterTaskDefinition to the worker's role" in record["message"]
    assert answers.calls["RegisterTaskDefinition"] == 1  # not retried
    assert runs(clients, setup) == (setup.task_definition_arn, 2)


def test_access_denied_while_settling_rolls_back_or_says_it_could_not(clients, setup, make_rt, driver_for,
                                                                      answers) -> None:
    driver_for(bad_for_new(setup, Plan(outcome="stuck")))
    rt = make_rt(timeout_service_desired_count=60)
    step_id = inline.create(rt.store, rt.config, setup.name, {"GOGC": 160})
    inline.adjust(rt, step_id)
    answers.fail("DescribeServices", "AccessDeniedException", "not allowed", times=1)
    record = inline.settle(rt, step_id)
    # Ended at the denial: the look was denied once only, so a retried look would have gone on
    # to the stuck deployment's 60 s timeout and ended "timeout", not "access-denied".
    assert answers.rules[0].answered == 1
    assert (record["status"], record["reason"]) == ("failed", "access-denied"), record
    assert "grant ecs:DescribeServices" in record["message"]
    assert record["rollback"]["ok"] is True
    assert_invariant(record, clients, setup)


def test_transient_errors_in_adjust_past_its_deadline_roll_back_what_may_have_changed(
        clients, setup, make_rt, driver_for, answers) -> None:
    driver_for(Plan(start_delay=0.1))
    rt = make_rt(timeout_service_desired_count=1.5)
    step_id = inline.create(rt.store, rt.config, setup.name, {"GOGC": 170})
    answers.fail("UpdateService", "ServerException", "Internal error", status=500,
                 when=lambda: rt.store.require(step_id)["status"] == "adjusting")
    started = time.monotonic()
    record = inline.adjust(rt, step_id)
    assert time.monotonic() - started >= 1.5
    assert (record["status"], record["rollback"]["reason"]) == ("settling", "aws-transient")
    record = inline.settle(rt, step_id)
    assert (record["status"], record["reason"]) == ("failed", "aws-transient"), record
    assert "UpdateService: ServerException" in record["message"]
    assert record["rollback"]["ok"] is True
    assert_invariant(record, clients, setup)


def test_a_service_deleted_while_settling_ends_rollback_failed_naming_it(clients, setup, make_rt,
                                                                       driver_for) -> None:
    driver = driver_for(bad_for_new(setup, Plan(outcome="stuck")))
    rt = make_rt(timeout_service_desired_count=60)
    step_id = inline.create(rt.store, rt.config, setup.name, {"GOGC": 180})
    inline.adjust(rt, step_id)
    driver.stop()
    clients.ecs.delete_service(cluster=setup.cluster, service=setup.service, force=True)
    record = inline.settle(rt, step_id)
    assert (record["status"], record["reason"]) == ("failed", "rollback-failed"), record
    assert "the step had failed: invalid-service: service web in cluster web-cluster" in record["message"]
    assert record["message"].startswith("rollback failed: service web in cluster web-cluster: not found")
    assert "could not read the service" in record["runs"]["error"]


# -- evaluate() and stopped_tasks' filter are pure: the cases moto cannot produce -----------------

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


BREAKER = ("(service web) deployment ecs-svc/42 deployment failed: ECS deployment circuit breaker: "
           "tasks failed to start.")


def test_a_rollback_no_look_saw_coming_is_explained_by_the_failure_event_of_its_time() -> None:
    """ECS rolled our deployment back and drained it before the first look, so its id was
    never seen: the deployment failure event since the step began still says why; an older
    one does not."""
    rolled_back = {"taskDefinition": "td:1", "deployments": [{**DEP, "id": "d1", "taskDefinition": "td:1"}]}
    now = time.time()
    fresh = {"createdAt": datetime.fromtimestamp(now + 2, UTC), "message": BREAKER}
    old = {"createdAt": datetime.fromtimestamp(now - 600, UTC), "message": BREAKER}
    unseen = Expectation("td:2", 2, None, since=now)
    obs = evaluate({**rolled_back, "events": [fresh]}, unseen)
    assert (obs.state, obs.reason) == ("failed", "unstable")
    assert "circuit breaker" in obs.message and "instead of td:2" in obs.message
    obs = evaluate({**rolled_back, "events": [old]}, unseen)
    assert obs.message.endswith("no event explains it")
    seen = Expectation("td:2", 2, "d2", since=now)  # an id known: only an event naming it counts
    assert evaluate({**rolled_back, "events": [fresh]}, seen).message.endswith("no event explains it")


def test_old_events_do_not_fail_a_new_step() -> None:
    event = {"createdAt": datetime(2020, 1, 1, tzinfo=UTC), "message": "was unable to place a task"}
    obs = evaluate({"deployments": [DEP], "events": [event]}, Expectation("td:2", 2, "d2", since=time.time()))
    assert obs.state == "settling"


@pytest.mark.parametrize("message", [
    "(service web) was unable to place a task. Reason: Capacity is unavailable at this time. Please try "
    "again later or in a different availability zone.",
    "(service web) was unable to stop or start tasks during a deployment because of the service "
    "deployment circuit breaker",
])
def test_capacity_and_generic_was_unable_to_events_are_not_placement_failures(message: str) -> None:
    event = {"createdAt": datetime.now(UTC), "message": message}
    obs = evaluate({"deployments": [{**DEP, "runningCount": 1}], "events": [event]}, EXPECT)
    assert obs.state == "settling", obs


def test_a_real_placement_failure_event_fails_the_step() -> None:
    event = {"createdAt": datetime.now(UTC), "message": "(service web) was unable to place a task because "
             "no container instance met all of its requirements."}
    obs = evaluate({"deployments": [{**DEP, "runningCount": 1}], "events": [event]}, EXPECT)
    assert (obs.state, obs.reason) == ("failed", "start-failed")


def stopped_task(**fields: Any) -> dict[str, Any]:
    return {"taskArn": "arn:task/t1", "startedBy": "d2", "taskDefinitionArn": "td:2", "lastStatus": "STOPPED",
            "stoppedReason": "Essential container in task exited", "stoppedAt": datetime.now(UTC),
            **fields}


@pytest.mark.parametrize(("fields", "counted"), [
    ({}, True),
    ({"stopCode": "SpotInterruption", "stoppedReason": "Your Spot Task was interrupted."}, False),
    ({"stoppedReason": "Capacity is unavailable at this time"}, False),
    ({"stoppedReason": "Scaling activity initiated by (deployment d2)"}, False),
    ({"stoppedAt": datetime.now(UTC) - timedelta(minutes=30)}, False),
    ({"startedBy": "d1"}, False),
])
def test_only_tasks_of_the_deployment_stopped_since_the_step_for_their_own_reason_count(
        fields: dict[str, Any], counted: bool) -> None:
    assert stability._counts(stopped_task(**fields), "d2", None, time.time() - 5) is counted
