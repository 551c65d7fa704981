"""Step records and leases on a real Redis: what the pipeline relies on to run twice safely."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from worker import constants as C
from worker import lease, pipeline
from worker.config import parse_config
from worker.records import RecordStore

CONFIG = parse_config({"fargate": {"web": {"service_name": "web", "environment": {
    "GOGC": {"type": "range", "min": 50, "max": 200, "step": 10}}}}}, environ={})


@pytest.fixture
def store(redis_db: Any) -> RecordStore:
    return RecordStore.from_url(os.environ["SERVO_REDIS_URL"])


def new_step(store: RecordStore, **fields: Any) -> str:
    record = store.create_step("web", {"GOGC": 90}, {"component": "web", "env": {"GOGC": "90"}}, {})
    if fields:
        store.set_fields(record["id"], **fields)
    return str(record["id"])


def test_a_terminal_record_is_never_changed_again(store: RecordStore) -> None:
    step = new_step(store)
    store.finish(step, "rejected", reason="start-failed", message="OOM")
    store.set_fields(step, status="measuring", message="late writer")
    record = store.require(step)
    assert (record["status"], record["message"]) == ("rejected", "OOM")


def test_a_sweep_keeps_its_step_order(store: RecordStore) -> None:
    ids = [new_step(store) for _ in range(5)]
    sweep = store.create_sweep(list(reversed(ids)))
    assert [r["id"] for r in store.sweep_steps(sweep["id"])] == list(reversed(ids))


def test_a_stage_start_survives_a_redelivery(store: RecordStore) -> None:
    step = new_step(store)
    first = store.stage(step, "adjust", "start")["stages"]["adjust"]["start"]
    again = store.stage(step, "adjust", "start")["stages"]["adjust"]["start"]
    assert first == again


def test_a_redelivered_adjust_after_the_change_only_moves_on(store: RecordStore) -> None:
    applied = {"task_definition": "arn:td/web:2", "desired_count": 1, "deployment_id": None}
    step = new_step(store, status="adjusting", applied=applied)
    rt = pipeline.Runtime(store=store, config=CONFIG)
    pipeline.run_adjust(rt, step, lambda *a: None, blocked=lambda name: "must not be asked")
    record = store.require(step)
    assert record["status"] == "settling" and record["applied"] == applied
    assert "start" in record["stages"]["settle"]


def test_a_lease_is_held_by_one_step_and_renewed_only_by_it(store: RecordStore) -> None:
    key = lease.lease_key("default", "web")
    assert lease.acquire(store.r, key, "a")
    assert not lease.acquire(store.r, key, "b")
    assert lease.acquire(store.r, key, "a")  # re-entrant for its owner
    assert not lease.release(store.r, key, "b")
    assert lease.release(store.r, key, "a")
    assert lease.acquire(store.r, key, "b")


def test_cancel_request_is_sticky(store: RecordStore) -> None:
    step = new_step(store)
    assert not store.cancel_requested(step)
    store.request_cancel(step)
    assert store.cancel_requested(step)


def test_a_redelivered_benchmark_after_the_run_only_reschedules_cloudwatch(store: RecordStore) -> None:
    config = parse_config({"fargate": {"web": {"service_name": "web"}}, "ab": {"url": "http://127.0.0.1:9/"},
                           "cloudwatch": {"delay": 30, "metrics": [{"Id": "q", "Expression": "1"}]}},
                          environ={})
    step = new_step(store, status="measuring", window=[1000.0, 1010.0], measurement={"metrics": {}})
    rt = pipeline.Runtime(store=store, config=config)
    ready = pipeline.run_benchmark(rt, step, lambda *a: None, lambda: False)
    assert ready == 1040.0  # no second ab run against a service the next step may own
    assert store.require(step)["status"] == "measuring"


def test_the_poll_cap_stays_short_for_a_few_services_and_grows_to_share_the_api_budget(
        store: RecordStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(C.ENV_POLL_CAP, raising=False)
    monkeypatch.delenv(C.ENV_DESCRIBE_RATE, raising=False)
    monkeypatch.delenv(C.ENV_API_BUDGET, raising=False)
    web = CONFIG.component("web")
    assert pipeline.poll_cap(store.r, web) == 0.4  # one service settling
    now = time.time()
    store.r.zadd(store.keys.settling, {f"other/svc-{i}": now for i in range(59)})
    store.r.zadd(store.keys.settling, {f"other/gone-{i}": now - 60 for i in range(100)})  # settled long ago
    # 60 services share the budget's 10 DescribeServices a second, 10 services each
    assert pipeline.poll_cap(store.r, web) == pytest.approx(60 / 100)
    monkeypatch.setenv(C.ENV_API_BUDGET, "services=3")
    assert pipeline.poll_cap(store.r, web) == pytest.approx(60 / 30)
    monkeypatch.setenv(C.ENV_DESCRIBE_RATE, "120")
    assert pipeline.poll_cap(store.r, web) == pytest.approx(0.5)
    monkeypatch.setenv(C.ENV_POLL_CAP, "2")
    assert pipeline.poll_cap(store.r, web) == 2.0  # a fixed cap wins


def test_waiting_on_a_step_whose_record_is_gone_says_so_at_once(store: RecordStore) -> None:
    from producer.api import Producer
    from worker.errors import RecordLost

    step_id = new_step(store)
    store.r.delete(store.keys.step(step_id))  # a flushed database
    with pytest.raises(RecordLost, match=f"no step record {step_id} in Redis"):
        Producer(CONFIG, store).wait([step_id], timeout=30)
