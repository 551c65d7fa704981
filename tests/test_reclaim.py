"""Reclaiming a dead worker's messages: exactly one reclaimer wins, and the message that goes
back is the very one the broker handed out. Real Redis, real kombu messages."""

from __future__ import annotations

import json
import threading
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from kombu import Connection

from tests.conftest import TEST_REDIS_URL
from worker.contract.namespace import Keys
from worker.contract.records import RecordStore
from worker.flow import recovery
from worker.flow.app import make_app


def taken_by_a_worker(keys: Keys, n: int) -> tuple[Connection, list[Any]]:
    """Send n stage tasks the way the producer does, and take them as a worker does (unacked)."""
    app = make_app(TEST_REDIS_URL, keys)
    for i in range(n):
        app.send_task("servo.poll_stability", kwargs={"step_id": f"step{i}"}, task_id=f"step{i}.poll",
                      queue=keys.control, countdown=3600)
    conn = Connection(TEST_REDIS_URL)
    queue = conn.SimpleQueue(keys.control)
    messages = [queue.get(timeout=5) for _ in range(n)]
    return conn, messages


def test_exactly_one_of_many_reclaimers_puts_each_message_back_unchanged(redis_db: Any) -> None:
    keys = Keys("reclaim-test")
    conn, messages = taken_by_a_worker(keys, 3)
    try:
        tags = [m.delivery_tag for m in messages]
        payloads = [json.loads(redis_db.hget(recovery.UNACKED, tag))[0] for tag in tags]
        redis_db.sadd(keys.held("dead#1"), *tags, "acked-long-ago")
        redis_db.hset(keys.workers, "dead#1", "w1@test")
        assert redis_db.llen(keys.control) == 0

        results: list[list[str]] = []
        start = threading.Barrier(8)

        def reclaimer() -> None:
            start.wait()
            results.append(recovery.reclaim(redis_db, keys, "dead#1"))

        threads = [threading.Thread(target=reclaimer) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(len(r) for r in results) == [0] * 7 + [3]  # one winner took all three
        queued = redis_db.lrange(keys.control, 0, -1)
        ids = sorted(json.loads(m)["headers"]["id"] for m in queued)
        assert ids == ["step0.poll", "step1.poll", "step2.poll"]
        assert sorted(map(json.loads, queued), key=str) == sorted(payloads, key=str)  # the same messages
        assert not any(redis_db.hexists(recovery.UNACKED, t) for t in tags)
        assert redis_db.zscore(recovery.UNACKED_INDEX, tags[0]) is None  # kombu will not restore it again
        assert not redis_db.exists(keys.held("dead#1")) and not redis_db.hexists(keys.workers, "dead#1")
    finally:
        conn.release()


def test_a_message_for_another_namespaces_queue_is_left_for_the_visibility_timeout(redis_db: Any) -> None:
    theirs, ours = Keys("reclaim-b"), Keys("reclaim-a")
    conn, [message] = taken_by_a_worker(theirs, 1)
    try:
        redis_db.sadd(ours.held("dead#2"), message.delivery_tag)
        assert recovery.reclaim(redis_db, ours, "dead#2") == []
        assert redis_db.hexists(recovery.UNACKED, message.delivery_tag)
    finally:
        conn.release()


def test_a_reclaim_is_written_to_the_steps_record(redis_db: Any) -> None:
    keys = Keys("reclaim-test")
    store = RecordStore.from_url(TEST_REDIS_URL, keys)
    store.create_step("web", {}, {}, {}, step_id="step0")
    conn, [message] = taken_by_a_worker(keys, 1)
    try:
        redis_db.sadd(keys.held("w1@test#1#a"), message.delivery_tag)
        redis_db.hset(keys.workers, "w1@test#1#a", "w1@test")
        live = recovery.Recovery(store, "w2@test", timeout=15)
        live.instance = "w2@test#2#b"
        live.scan()  # w1's instance never heartbeat: dead
        [entry] = store.require("step0")["reclaims"]
        assert (entry["by"], entry["from"], entry["task_id"]) == ("w2@test", "w1@test", "step0.poll")
    finally:
        conn.release()


instances = st.lists(st.sampled_from(["a", "b", "c", "d", "me"]), unique=True)


@given(workers=instances, alive=instances, retired=instances)
def test_only_silent_or_retired_instances_are_reclaimed_and_never_oneself(workers: list[str],
                                                                         alive: list[str],
                                                                         retired: list[str]) -> None:
    found = recovery.dead({w: "h" for w in workers}, {a: True for a in alive}, "me", set(retired))
    assert "me" not in found
    assert set(found) == {w for w in workers if w != "me" and (w in retired or w not in alive)}


def test_only_the_steps_current_or_next_message_may_run(redis_db: Any) -> None:
    keys = Keys("reclaim-test")
    assert recovery.admit(redis_db, keys, "s", None)  # the producer's first message carries no token
    first: dict[str, Any] = {}
    recovery.on_publish(redis_db, keys, first, "s")  # the adjust sends the poll
    token = first[recovery.MESSAGE_HEADER]
    assert recovery.admit(redis_db, keys, "s", token)  # the poll runs: now the current one
    assert not recovery.admit(redis_db, keys, "s", None)  # the adjust's copy is stale now
    assert recovery.admit(redis_db, keys, "s", token)  # the same message again (its worker died)
    retry_a: dict[str, Any] = {}
    retry_b: dict[str, Any] = {}
    recovery.on_publish(redis_db, keys, retry_a, "s")  # a poll and its reclaimed copy both retry
    recovery.on_publish(redis_db, keys, retry_b, "s")
    assert not recovery.admit(redis_db, keys, "s", retry_a[recovery.MESSAGE_HEADER])
    assert recovery.admit(redis_db, keys, "s", retry_b[recovery.MESSAGE_HEADER])
    assert not recovery.admit(redis_db, keys, "s", token)  # the step moved on


@given(st.lists(st.sampled_from(["publish", "start-latest", "start-other"]), max_size=30), st.randoms())
def test_of_the_messages_sent_only_the_running_one_and_the_latest_can_run(events: list[str],
                                                                          rnd: Any) -> None:
    import redis as redis_lib

    r = redis_lib.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    keys = Keys("reclaim-prop")
    r.delete(keys.cursor("p"))
    sent: list[str | None] = [None]  # the producer's message, then every one a worker sent
    running: str | None = None
    for event in events:
        if event == "publish":
            headers: dict[str, Any] = {}
            recovery.on_publish(r, keys, headers, "p")
            sent.append(headers[recovery.MESSAGE_HEADER])
        elif event == "start-latest":
            assert recovery.admit(r, keys, "p", sent[-1])  # the newest message always runs
            running = sent[-1]
        elif others := [t for t in sent if t not in (running, sent[-1])]:
            assert not recovery.admit(r, keys, "p", rnd.choice(others))  # any other copy is stale
    r.delete(keys.cursor("p"))
    r.close()
