"""Step records and leases on a real Redis: what the pipeline relies on to run twice safely."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from tests.support.waiting import wait_until
from worker.contract import constants as C
from worker.contract.config import parse_config
from worker.contract.records import RecordStore
from worker.flow import adjusting, lease, measuring, runtime

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
    rt = runtime.Runtime(store=store, config=CONFIG)
    adjusting.run_adjust(rt, step, lambda *a: None, blocked=lambda name: "must not be asked")
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
    rt = runtime.Runtime(store=store, config=config)
    ready = measuring.run_benchmark(rt, step, lambda *a: None, lambda: False)
    assert ready == 1040.0  # no second ab run against a service the next step may own
    assert store.require(step)["status"] == "measuring"


def test_the_poll_cap_stays_short_for_a_few_services_and_grows_to_share_the_api_budget(
        store: RecordStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(C.ENV_POLL_CAP, raising=False)
    monkeypatch.delenv(C.ENV_DESCRIBE_RATE, raising=False)
    monkeypatch.delenv(C.ENV_API_BUDGET, raising=False)
    web = CONFIG.component("web")
    assert runtime.poll_cap(store.r, web) == 0.4  # one service settling
    now = time.time()
    store.r.zadd(store.keys.settling, {f"other/svc-{i}": now for i in range(59)})
    store.r.zadd(store.keys.settling, {f"other/gone-{i}": now - 60 for i in range(100)})  # settled long ago
    # 60 services share the budget's 10 DescribeServices a second, 10 services each
    assert runtime.poll_cap(store.r, web) == pytest.approx(60 / 100)
    monkeypatch.setenv(C.ENV_API_BUDGET, "services=3")
    assert runtime.poll_cap(store.r, web) == pytest.approx(60 / 30)
    monkeypatch.setenv(C.ENV_DESCRIBE_RATE, "120")
    assert runtime.poll_cap(store.r, web) == pytest.approx(0.5)
    monkeypatch.setenv(C.ENV_POLL_CAP, "2")
    assert runtime.poll_cap(store.r, web) == 2.0  # a fixed cap wins


def test_waiting_on_a_step_whose_record_is_gone_says_so_at_once(store: RecordStore) -> None:
    from producer.api import Producer
    from worker.contract.errors import RecordLost

    step_id = new_step(store)
    store.r.delete(store.keys.step(step_id))  # a flushed database
    with pytest.raises(RecordLost, match=f"no step record {step_id} in Redis"):
        Producer(CONFIG, store).wait([step_id], timeout=30)


# -- the record contract: what the producer, `results` and the pipeline read back --------------
NINETY_DAYS_S = 90 * 24 * 3600  # the module's promise: records are kept 90 days


def later_than(store: RecordStore, stamp: float) -> None:
    """Let the store's millisecond clock move past `stamp`, so creation times differ."""
    from worker.contract.records import now

    wait_until(lambda: now() > stamp, 1, "the clock to pass a millisecond", every=0.001)


def test_a_new_step_is_queued_waiting_for_a_worker_with_copies_of_its_inputs(store: RecordStore) -> None:
    settings, target, control = {"GOGC": 90}, {"component": "web"}, {"duration": 5}
    before = time.time()
    record = store.create_step("web", settings, target, control, sweep_id="sw1", index=2, step_id="s1",
                               extra={"expires": 600})
    settings["GOGC"], target["component"], control["duration"] = 1, "api", 99  # the caller's later edits
    assert store.require("s1") == record  # what it returns is what it stored
    assert (record["id"], record["component"], record["sweep_id"], record["index"]) == ("s1", "web", "sw1", 2)
    assert (record["settings"], record["target"], record["control"]) == (
        {"GOGC": 90}, {"component": "web"}, {"duration": 5})
    assert record["status"] == "queued" and record["expires"] == 600
    assert record["progress"] == {"percent": 0, "stage": "queued", "message": "waiting for a worker"}
    # readers index these directly (record["rollback"], ...): present, and empty until written
    assert [record[k] for k in ("reason", "message", "previous", "applied", "rollback", "measurement")] == [
        None] * 6
    assert (record["stages"], record["task_ids"]) == ({}, {})
    assert before - 0.001 <= record["created_at"] == record["updated_at"] <= time.time()
    assert round(record["created_at"], 3) == record["created_at"]  # milliseconds
    assert NINETY_DAYS_S - 5 <= store.r.ttl(store.keys.step("s1")) <= NINETY_DAYS_S
    assert store.r.zscore(store.keys.steps, "s1") == record["created_at"]


def test_step_ids_are_16_hex_characters_and_unique_and_times_in_milliseconds(store: RecordStore) -> None:
    records = [store.create_step("web", {}, {}, {}) for _ in range(50)]
    ids = {r["id"] for r in records}
    assert len(ids) == 50 and all(len(i) == 16 and int(i, 16) >= 0 for i in ids)
    assert all(round(r["created_at"], 3) == r["created_at"] for r in records)  # milliseconds


def test_a_missing_record_reads_as_none_require_names_it_and_many_leaves_it_out(store: RecordStore) -> None:
    assert store.get("nope") is None
    with pytest.raises(KeyError, match="no step record 'nope'"):
        store.require("nope")
    a, b = new_step(store), new_step(store)
    assert [r["id"] for r in store.many([b, "nope", a])] == [b, a]
    assert store.many([]) == []
    with pytest.raises(KeyError, match="no step record 'nope'"):
        store.set_fields("nope", status="settling")


def test_recent_steps_are_the_newest_ones_oldest_first(store: RecordStore) -> None:
    ids = []
    for _ in range(3):
        record = store.create_step("web", {}, {}, {})
        ids.append(record["id"])
        later_than(store, record["created_at"])
    assert [r["id"] for r in store.recent_steps(2)] == ids[1:]
    assert [r["id"] for r in store.recent_steps()] == ids


def test_a_sweep_keeps_its_name_source_and_step_order_and_the_latest_is_found(store: RecordStore) -> None:
    assert store.latest_sweep_id() is None and store.sweep("nope") is None
    ids = [new_step(store) for _ in range(3)]
    first = store.create_sweep(ids[::-1], name="grid", source={"grid": {"GOGC": [1, 2, 3]}}, sweep_id="w1")
    later_than(store, first["created_at"])
    empty = store.create_sweep([])
    read = store.sweep("w1")
    assert read == {"id": "w1", "name": "grid", "created_at": first["created_at"],
                    "source": {"grid": {"GOGC": [1, 2, 3]}}, "step_ids": ids[::-1]}
    assert [r["id"] for r in store.sweep_steps("w1")] == ids[::-1]
    assert store.sweep(empty["id"]) == {**empty, "step_ids": []} and empty["name"] is None
    assert store.latest_sweep_id() == empty["id"]
    for key in (store.keys.sweep("w1"), store.keys.sweep_steps("w1")):
        assert NINETY_DAYS_S - 5 <= store.r.ttl(key) <= NINETY_DAYS_S


def test_an_update_is_announced_stamped_and_keeps_the_records_lifetime(store: RecordStore) -> None:
    step = new_step(store)
    created = store.require(step)
    store.r.expire(store.keys.step(step), 1000)  # a lifetime the update must not reset
    events = store.r.pubsub(ignore_subscribe_messages=True)
    events.subscribe(store.keys.events)
    try:
        later_than(store, created["updated_at"])
        updated = store.set_fields(step, status="adjusting", message="registering")
        message = wait_until(lambda: events.get_message(timeout=0.1), 5, "the event")
    finally:
        events.close()
    assert message is not None and message["data"] == step
    assert (updated["status"], updated["message"]) == ("adjusting", "registering")
    assert updated["updated_at"] > created["updated_at"] and updated["created_at"] == created["created_at"]
    assert store.require(step) == updated
    assert 990 <= store.r.ttl(store.keys.step(step)) <= 1000


def test_an_update_racing_another_writer_is_redone_on_the_fresh_record(store: RecordStore) -> None:
    step = new_step(store)
    other = RecordStore.from_url(os.environ["SERVO_REDIS_URL"])
    calls = []

    def change(record: dict[str, Any]) -> None:
        calls.append(dict(record))
        if len(calls) == 1:  # another worker writes between this read and this write
            other.set_fields(step, message="the other writer")
        record["applied"] = {"task_definition": "arn:td/web:2"}

    result = store.update(step, change)
    assert len(calls) == 2 and calls[1]["message"] == "the other writer"
    assert (result["message"], result["applied"]) == ("the other writer", {"task_definition": "arn:td/web:2"})
    assert store.require(step) == result


def test_a_stage_keeps_its_first_start_takes_its_last_end_and_sets_fields(store: RecordStore) -> None:
    step = new_step(store)
    start = store.stage(step, "settle", "start", status="settling")["stages"]["settle"]["start"]
    later_than(store, start)
    first_end = store.stage(step, "settle", "end")["stages"]["settle"]["end"]
    later_than(store, first_end)
    store.stage(step, "settle", "start")  # a redelivered start, later: the first one stands
    record = store.stage(step, "settle", "end", message="stable")
    assert record["stages"]["settle"]["start"] == start and record["stages"]["settle"]["end"] > first_end
    assert (record["status"], record["message"]) == ("settling", "stable")


def test_finishing_a_step_ends_its_open_stages_and_its_progress(store: RecordStore) -> None:
    step = new_step(store)
    store.stage(step, "adjust", "start")
    adjusted = store.stage(step, "adjust", "end")["stages"]["adjust"]["end"]
    store.stage(step, "settle", "start")
    later_than(store, adjusted)
    record = store.finish(step, "rejected", reason="start-failed", message="OOM", rollback={"ok": True})
    assert (record["status"], record["reason"], record["message"], record["rollback"]) == (
        "rejected", "start-failed", "OOM", {"ok": True})
    assert record["progress"] == {"percent": 100, "stage": "rejected", "message": "OOM"}
    assert record["stages"]["adjust"]["end"] == adjusted  # already ended: kept
    assert record["stages"]["settle"]["end"] == record["finished_at"] > adjusted  # still open: ended now
    assert store.require(step) == record
    done = store.finish(new_step(store), "succeeded")
    assert done["progress"] == {"percent": 100, "stage": "succeeded", "message": "succeeded"}
    assert (done["reason"], done["message"]) == (None, None)


def test_only_a_terminal_status_finishes_a_step(store: RecordStore) -> None:
    step = new_step(store)
    with pytest.raises(ValueError, match="'measuring' is not a terminal status"):
        store.finish(step, "measuring")
    assert store.require(step)["status"] == "queued"
    for status in ("succeeded", "failed", "rejected", "cancelled", "expired"):
        assert store.finish(new_step(store), status)["status"] == status


def test_a_cancel_request_is_announced_and_kept_as_long_as_the_record(store: RecordStore) -> None:
    step = new_step(store)
    events = store.r.pubsub(ignore_subscribe_messages=True)
    events.subscribe(store.keys.events)
    try:
        store.request_cancel(step)
        message = wait_until(lambda: events.get_message(timeout=0.1), 5, "the event")
    finally:
        events.close()
    assert message is not None and message["data"] == step
    assert NINETY_DAYS_S - 5 <= store.r.ttl(store.keys.cancel(step)) <= NINETY_DAYS_S
    assert not store.cancel_requested(new_step(store))  # only that step's


def test_a_store_uses_this_processs_namespace_unless_given_one(store: RecordStore) -> None:
    from worker.contract.namespace import Keys, process_keys

    url = os.environ["SERVO_REDIS_URL"]
    assert RecordStore.from_url(url).keys == process_keys()
    team = RecordStore.from_url(url, Keys("team-a"))
    step = team.create_step("web", {}, {}, {})["id"]
    assert team.get(step) is not None and store.get(step) is None
