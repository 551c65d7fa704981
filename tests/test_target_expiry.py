"""Target identity and expiry: the pure rules, with property tests for their invariants."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from producer.sweeps import parse_sweep
from worker.aws import target
from worker.aws.target import ServiceTarget
from worker.contract import expiry
from worker.contract.config import Component, Config, parse_config
from worker.contract.errors import ConfigError

WEB = Component(name="web", service_name="web", cluster="default")
CONFIG = Config(components={"web": WEB})


def test_the_producer_knows_what_its_config_and_environment_say() -> None:
    sandbox = target.for_producer(WEB, {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000/",
                                        "AWS_REGION": "eu-west-1"})
    assert (sandbox.endpoint, sandbox.region, sandbox.account) == ("http://127.0.0.1:5000", "eu-west-1", None)
    real = target.for_producer(WEB, {"AWS_ENDPOINT_URL": "https://ecs.us-east-1.amazonaws.com"},
                               pinned={"aws": "111122223333"})
    assert (real.endpoint, real.account) == (None, "111122223333")  # AWS's own endpoint: none to pin
    arn = Component(name="web", service_name="web", cluster="arn:aws:ecs:us-west-2:444455556666:cluster/prod")
    by_arn = target.for_producer(arn, {})
    assert (by_arn.cluster, by_arn.region, by_arn.account) == ("prod", "us-west-2", "444455556666")
    assert by_arn.service_arn == "arn:aws:ecs:us-west-2:444455556666:service/prod/web"


def test_a_step_for_another_account_or_sandbox_is_refused_naming_both() -> None:
    wanted = target.for_producer(WEB, {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"})
    other_box = target.for_worker(WEB, "http://127.0.0.1:5001", "us-east-1", "123456789012")
    message = target.refusal(wanted, other_box)
    assert message and "endpoint http://127.0.0.1:5000" in message
    assert "endpoint http://127.0.0.1:5001" in message
    assert target.refusal(wanted, target.for_worker(WEB, "http://127.0.0.1:5000/", "us-east-1", "1")) is None
    pinned = ServiceTarget(**{**wanted.to_dict(), "account": "111122223333"})
    assert "account differ" in (target.refusal(pinned, target.for_worker(WEB, "http://127.0.0.1:5000",
                                                                         None, "999988887777")) or "")
    wider = Component(name="web", service_name="web", cluster="default", settle_timeout=5)
    assert "config digest differ" in (target.refusal(wanted, target.for_worker(wider, "http://127.0.0.1:5000",
                                                                                None, None)) or "")


fields = st.sampled_from([None, "a", "b"])


@given(region=st.tuples(fields, fields), account=st.tuples(fields, fields),
       endpoint=st.tuples(fields, fields), service=st.tuples(st.sampled_from(["web", "api"]),
                                                             st.sampled_from(["web", "api"])))
def test_refusal_is_symmetric_and_only_what_both_know_counts(region: Any, account: Any, endpoint: Any,
                                                             service: Any) -> None:
    a = ServiceTarget("c", service[0], "d", endpoint[0], region[0], account[0])
    b = ServiceTarget("c", service[1], "d", endpoint[1], region[1], account[1])
    assert (target.refusal(a, b) is None) == (target.refusal(b, a) is None)
    must_differ = (endpoint[0] != endpoint[1] or service[0] != service[1]
                   or (None not in region and region[0] != region[1])
                   or (None not in account and account[0] != account[1]))
    assert (target.refusal(a, b) is not None) == must_differ


def record(i: int, status: str, created: float, finished: float | None = None, started: bool = True,
           expires: float = 100) -> dict[str, Any]:
    return {"id": str(i), "status": status, "created_at": created, "updated_at": finished or created,
            "finished_at": finished, "expires": expires,
            "stages": {"adjust": {"start": 0}} if started else {}}


def test_a_sweeps_later_steps_count_from_when_the_one_before_ended() -> None:
    steps = [record(0, "succeeded", 0, 500), record(1, "failed", 0, 900), record(2, "queued", 0)]
    assert expiry.deadlines(steps) == [100, 600, 1000]


def test_a_step_that_never_ran_passes_its_clock_on() -> None:
    steps = [record(0, "expired", 0, 5000, started=False), record(1, "cancelled", 0, 50, started=False),
             record(2, "queued", 0)]
    assert expiry.deadlines(steps) == [100, 100, 100]  # all waited since submission: all expire
    assert expiry.deadlines([record(0, "settling", 0), record(1, "queued", 0)]) == [100, None]


@given(st.lists(st.tuples(st.sampled_from(["succeeded", "failed", "expired", "cancelled", "rejected"]),
                          st.floats(0, 1000), st.booleans(), st.floats(1, 500)), min_size=1, max_size=8))
def test_no_deadline_comes_before_the_previous_ending_of_a_step_that_ran(spec: Any) -> None:
    clock, steps = 0.0, []
    for i, (status, took, started, expires) in enumerate(spec):
        clock += took
        steps.append(record(i, status, 0, clock, started and status != "expired", expires))
    for i, deadline in enumerate(expiry.deadlines(steps)):
        assert deadline is not None and deadline >= steps[i]["expires"]  # never before its own window
        if i and expiry.ran(steps[i - 1]):
            assert deadline == steps[i - 1]["finished_at"] + steps[i]["expires"]


def test_expires_is_settable_per_sweep_and_per_step() -> None:
    specs = parse_sweep({"expires": 60, "steps": [{"cpu": 0.5}, {"cpu": 1, "expires": 5}]}, CONFIG)
    assert [s.expires for s in specs] == [60, 5]
    with pytest.raises(ConfigError, match=r"sweep.steps\[0\].expires: 0 must be a finite number of seconds"):
        parse_sweep({"steps": [{"cpu": 0.5, "expires": 0}]}, CONFIG)


def test_a_step_written_with_settings_keeps_its_own_control_expires_and_component() -> None:
    """`- settings: {...}` with `control:` and `expires:` beside it: those are the step's, not lost."""
    specs = parse_sweep({"control": {"duration": 3}, "steps": [
        {"cpu": 0.5},
        {"settings": {"cpu": 1}, "control": {"duration": 4}, "expires": 900, "component": "web"}]}, CONFIG)
    assert [(s.settings, dict(s.control), s.expires) for s in specs] == [
        ({"cpu": 0.5}, {"duration": 3}, None), ({"cpu": 1}, {"duration": 4}, 900)]
    with pytest.raises(ConfigError, match=r"sweep.steps\[0\].'warmup': unknown key beside settings"):
        parse_sweep({"steps": [{"settings": {"cpu": 1}, "warmup": 2}]}, CONFIG)


def test_a_csv_sweep_ends_at_its_last_row_and_is_read_whatever_the_extension_case(tmp_path: Any) -> None:
    from producer.sweeps import load_sweep

    path = tmp_path / "SWEEP.CSV"
    path.write_text("cpu\n0.5\n1\n\n")
    assert [s.settings for s in load_sweep(str(path), CONFIG)] == [{"cpu": 0.5}, {"cpu": 1}]


GOGC_CONFIG = parse_config({"fargate": {"web": {"service_name": "web", "environment": {
    "GOGC": {"type": "range", "min": 50, "max": 300, "step": 10}}}}}, environ={})


def test_a_sweep_nobody_started_in_time_ends_expired_and_a_wait_ends_with_it(redis_db: Any) -> None:
    from producer.api import Producer, StepSpec
    from tests.conftest import TEST_REDIS_URL
    from worker.contract.records import RecordStore

    producer = Producer(GOGC_CONFIG, RecordStore.from_url(TEST_REDIS_URL))
    sweep = producer.submit_sweep([StepSpec("web", {"GOGC": 60}, expires=0.3),
                                   StepSpec("web", {"GOGC": 70}, expires=0.3)])  # no worker runs
    first, second = sweep.wait(timeout=10)
    assert (first["status"], first["reason"]) == ("expired", "expired")
    assert "not started within its expires (0.3 s)" in first["message"]
    assert second["status"] == "expired"  # the first never ran: the second's clock never restarted
    assert second["finished_at"] - second["created_at"] < 5


def test_a_worker_never_runs_an_expired_step(redis_db: Any) -> None:
    from tests.conftest import TEST_REDIS_URL
    from worker.contract.records import RecordStore
    from worker.flow import adjusting, runtime

    store = RecordStore.from_url(TEST_REDIS_URL)
    step = store.create_step("web", {"GOGC": 90}, {"component": "web", "env": {"GOGC": "90"}}, {},
                             extra={"expires": 1.0})
    store.r.set(store.keys.step(step["id"]), json.dumps({**step, "created_at": step["created_at"] - 5}))
    rt = runtime.Runtime(store=store, config=GOGC_CONFIG)  # no AWS client is ever built
    adjusting.run_adjust(rt, step["id"], lambda *a: None, blocked=lambda name: "must not be asked")
    record = store.require(step["id"])
    assert (record["status"], record["reason"], record["stages"]) == ("expired", "expired", {})
    assert "clients" not in vars(rt)
