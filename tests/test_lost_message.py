"""A stage message lost in transit: taken off its queue by a worker that died before it noted
the message (the gap between the broker's BRPOP and kombu's `unacked` hash) is in no queue and
in no worker's hands. It is sent again, once, and only one copy of the step's message runs.
Real Redis, real kombu messages; the dying consumer is a real BRPOP whose reply is dropped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import signals
from hypothesis import given, settings
from hypothesis import strategies as st
from kombu import Connection

from tests.conftest import TEST_REDIS_URL
from worker.contract.namespace import Keys
from worker.contract.records import RecordStore
from worker.flow import recovery
from worker.flow.app import make_app

KEYS = Keys("lost-test")
T0 = 1_000_000.0  # the looks' clock (find_lost's `at`); the messages' own send times are real


@contextmanager
def stamping(r: Any) -> Iterator[None]:
    """Stamp what the test sends as a stage task's message is stamped inside a worker
    (worker.flow.tasks._stamp does this when the sender is a running task)."""
    def stamp(headers: dict[str, Any] | None = None, body: Any = None, routing_key: str | None = None,
              **_: Any) -> None:
        if headers is not None and headers.get(recovery.MESSAGE_HEADER) is None:
            recovery.on_publish(r, KEYS, headers, body[1]["step_id"],
                                sent=recovery.resend_entry(headers, body, routing_key))
    signals.before_task_publish.connect(stamp, weak=False)
    try:
        yield
    finally:
        signals.before_task_publish.disconnect(stamp)


def send(app: Any, step_id: str) -> None:
    app.send_task("servo.poll_stability", kwargs={"step_id": step_id, "memo": {"n": 1}},
                  task_id=f"{step_id}.poll", queue=KEYS.control, countdown=5)


def lose(r: Any) -> dict[str, Any]:
    """A worker takes the oldest message off the queue and dies before noting it."""
    _, raw = r.brpop(KEYS.control, timeout=5)
    return dict(json.loads(raw))


def queued(r: Any) -> list[dict[str, Any]]:
    return [json.loads(m) for m in r.lrange(KEYS.control, 0, -1)]


def token(message: dict[str, Any]) -> str:
    return str(message["headers"][recovery.MESSAGE_HEADER])


def aged(r: Any, seconds: float = 60.0, steps: tuple[str, ...] | None = None) -> None:
    """Make the messages in transit (of `steps`, or all) look sent `seconds` before the looks'
    clock starts."""
    for step in steps or r.zrange(KEYS.in_transit, 0, -1):
        r.zadd(KEYS.in_transit, {step: T0 - seconds})


def test_a_message_lost_in_transit_is_sent_again_once_and_only_one_copy_runs(redis_db: Any) -> None:
    app, store = make_app(TEST_REDIS_URL, KEYS), RecordStore(redis_db, KEYS)
    store.create_step("web", {}, {}, {}, step_id="s1")
    with stamping(redis_db):
        send(app, "s1")
    lost = lose(redis_db)
    aged(redis_db)
    assert recovery.find_lost(store, app, "w2@test", at=T0) == []  # missing once: maybe in a BRPOP's gap
    assert recovery.find_lost(store, app, "w2@test", at=T0 + recovery.LOST_GRACE_S / 2) == []
    assert queued(redis_db) == []
    assert recovery.find_lost(store, app, "w2@test", at=T0 + recovery.LOST_GRACE_S) == ["s1"]
    [again] = queued(redis_db)
    assert again["headers"]["id"] == "s1.poll" and again["headers"]["task"] == "servo.poll_stability"
    assert json.loads(__import__("base64").b64decode(again["body"]))[1] == {"step_id": "s1", "memo": {"n": 1}}
    assert token(again) != token(lost)
    for later in (10, 20, 30):  # the copy is queued: never sent a third time
        assert recovery.find_lost(store, app, "w2@test", at=T0 + later) == []
    assert len(queued(redis_db)) == 1
    [note] = store.require("s1")["resent"]
    assert note["task_id"] == "s1.poll" and note["by"] == "w2@test"

    assert recovery.admit(redis_db, KEYS, "s1", token(again))  # the copy runs...
    assert not recovery.admit(redis_db, KEYS, "s1", token(lost))  # ...and the lost one, if it turns up, not
    assert redis_db.zcard(KEYS.in_transit) == 0


def test_a_message_queued_taken_or_just_sent_is_never_sent_again(redis_db: Any) -> None:
    app, store = make_app(TEST_REDIS_URL, KEYS), RecordStore(redis_db, KEYS)
    conn = Connection(TEST_REDIS_URL)
    try:
        with stamping(redis_db):
            send(app, "taken")
        taken = conn.SimpleQueue(KEYS.control).get(timeout=5)  # as a worker takes it: in `unacked`
        assert taken.headers["id"] == "taken.poll"
        with stamping(redis_db):
            send(app, "fresh")  # sent after the looks below (their clock is T0): not yet looked for...
        lose(redis_db)  # ...even when it is lost at once
        with stamping(redis_db):
            send(app, "queued")
        aged(redis_db, steps=("taken", "queued"))
        for look in range(8):
            assert recovery.find_lost(store, app, "w@test", at=T0 + 3 * look) == []
        assert [m["headers"]["id"] for m in queued(redis_db)] == ["queued.poll"]
    finally:
        conn.close()


def test_a_message_lost_again_and_again_ends_its_step_saying_so(redis_db: Any) -> None:
    app, store = make_app(TEST_REDIS_URL, KEYS), RecordStore(redis_db, KEYS)
    store.create_step("web", {}, {}, {}, step_id="s1")
    with stamping(redis_db):
        send(app, "s1")
    lose(redis_db)
    aged(redis_db)
    at, sent_again = T0, 0
    while store.require("s1")["status"] == "queued":
        assert at < T0 + 100, "the step never ended"
        if recovery.find_lost(store, app, "w@test", at=at) and queued(redis_db):
            sent_again += 1
            lose(redis_db)  # revoked in Flower, say: the copy vanishes too
        at += recovery.LOST_GRACE_S
    record = store.require("s1")
    assert sent_again == recovery.MAX_RESENDS
    assert (record["status"], record["reason"]) == ("failed", "lost") and "lost" in record["message"]
    assert redis_db.zcard(KEYS.in_transit) == 0


# What happens to the step's next message, one event at a time; the test keeps a model beside Redis.
EVENTS = st.lists(st.sampled_from(["send", "take", "lose", "run", "look", "look"]), max_size=30)


@settings(max_examples=40, deadline=None)
@given(EVENTS)
def test_whatever_happens_a_loss_is_mended_and_only_one_copy_runs(events: list[str]) -> None:
    """Invariants: a message queued or taken is never sent again; a lost one is sent again at
    the second look LOST_GRACE_S after the loss (up to MAX_RESENDS times); and of the copies
    sent, the first to run is the only one that may."""
    import redis as redis_lib

    r = redis_lib.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    r.flushdb()
    app, store = make_app(TEST_REDIS_URL, KEYS), RecordStore(r, KEYS)
    conn = Connection(TEST_REDIS_URL)
    queue = conn.SimpleQueue(KEYS.control)
    where: str | None = None  # queued, taken, lost, ran, gone (given up)
    copies: list[str] = []  # the tokens of every copy of the step's next message
    looks = resends = 0
    at = T0
    try:
        for event in events:
            if event == "send" and where in (None, "ran"):
                with stamping(r):
                    send(app, "s")
                aged(r)
                copies, where, resends = [token(queued(r)[-1])], "queued", 0
            elif event == "take" and where == "queued":
                assert token({"headers": queue.get(timeout=5).headers}) == copies[-1]
                where = "taken"
            elif event == "lose" and where == "queued":
                lose(r)
                where, looks = "lost", 0
            elif event == "run" and where == "taken":
                assert recovery.admit(r, KEYS, "s", copies[-1])
                where = "ran"
            elif event == "look":
                before = queued(r)
                acted = recovery.find_lost(store, app, "w@test", at=at)
                at += recovery.LOST_GRACE_S
                if where != "lost":
                    assert acted == [] and queued(r) == before
                    continue
                looks += 1
                assert acted == (["s"] if looks == 2 else []), (looks, acted)
                if acted and resends == recovery.MAX_RESENDS:
                    assert queued(r) == [] and r.zcard(KEYS.in_transit) == 0
                    where = "gone"
                elif acted:
                    [again] = queued(r)
                    copies.append(token(again))
                    where, resends = "queued", resends + 1
        if where in ("queued", "taken", "lost"):  # any copy may be the first to run, then only it
            first = copies[len(events) % len(copies)]
            assert recovery.admit(r, KEYS, "s", first)
            assert not any(recovery.admit(r, KEYS, "s", c) for c in copies if c != first)
        elif where == "ran":
            assert not any(recovery.admit(r, KEYS, "s", c) for c in copies[:-1])
    finally:
        queue.close()
        conn.close()
        r.flushdb()
        r.close()
