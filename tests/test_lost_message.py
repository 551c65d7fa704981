"""A stage message lost on the way: taken off its queue by a worker that died before it noted
the message (the gap between the broker's BRPOP and kombu's `unacked` hash), it is in no queue
and in no worker's hands. It is sent again, once, and only one copy of the step's message runs.
Real Redis, real kombu messages; the dying consumer is a real BRPOP whose reply is dropped."""

from __future__ import annotations

import base64
import json
from typing import Any

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


def send(app: Any, store: RecordStore, step_id: str, **options: Any) -> None:
    """Send a stage message of `step_id` stamped as a producer's or a task's is."""
    with recovery.stamping(store):
        app.send_task("servo.poll_stability", kwargs={"step_id": step_id, "memo": {"n": 1}},
                      task_id=f"{step_id}.poll", queue=KEYS.control, **options)


def lose(r: Any) -> dict[str, Any]:
    """A worker takes the oldest message off the queue and dies before noting it."""
    _, raw = r.brpop(KEYS.control, timeout=5)
    return dict(json.loads(raw))


def take(r: Any, queue: Any) -> Any:
    """A worker takes the oldest message and notes it, as worker.flow.recovery.on_task_received does."""
    message = queue.get(timeout=5)
    recovery.note_taken(r, KEYS, message.headers["id"], token(message.headers), message.delivery_tag)
    return message


def queued(r: Any) -> list[dict[str, Any]]:
    return [json.loads(m) for m in r.lrange(KEYS.control, 0, -1)]


def token(headers_or_message: dict[str, Any]) -> str:
    headers = headers_or_message.get("headers", headers_or_message)
    return str(headers[recovery.MESSAGE_HEADER])


def aged(r: Any, seconds: float = 60.0, steps: tuple[str, ...] | None = None) -> None:
    """Make the steps in flight (`steps`, or all) look sent `seconds` before the looks' clock starts."""
    for step in steps or r.zrange(KEYS.in_flight, 0, -1):
        r.zadd(KEYS.in_flight, {step: T0 - seconds})


def test_a_message_lost_on_the_way_is_sent_again_once_and_only_one_copy_runs(redis_db: Any) -> None:
    app, store = make_app(TEST_REDIS_URL, KEYS), RecordStore(redis_db, KEYS)
    store.create_step("web", {}, {}, {}, step_id="s1")
    send(app, store, "s1", countdown=5, time_limit=400, soft_time_limit=370)
    lost = lose(redis_db)
    aged(redis_db)
    assert recovery.find_lost(store, app, "w2@test", at=T0) == []  # missing once: maybe in a BRPOP's gap
    assert recovery.find_lost(store, app, "w2@test", at=T0 + recovery.LOST_GRACE_S / 2) == []
    assert queued(redis_db) == []
    assert recovery.find_lost(store, app, "w2@test", at=T0 + recovery.LOST_GRACE_S) == ["s1"]
    [again] = queued(redis_db)
    for header in ("id", "task", "timelimit", "eta", "expires"):  # the same message, countdown and limits
        assert again["headers"][header] == lost["headers"][header], header
    assert json.loads(base64.b64decode(again["body"]))[1] == {"step_id": "s1", "memo": {"n": 1}}
    assert token(again) != token(lost)
    for later in (10, 20, 30):  # the copy is queued: never sent a third time
        assert recovery.find_lost(store, app, "w2@test", at=T0 + later) == []
    assert len(queued(redis_db)) == 1
    [note] = store.require("s1")["resent"]
    assert note["task_id"] == "s1.poll" and note["by"] == "w2@test"

    assert recovery.admit(redis_db, KEYS, "s1", token(again))  # the copy runs...
    assert not recovery.admit(redis_db, KEYS, "s1", token(lost))  # ...and the lost one, if it turns up, not
    assert redis_db.zcard(KEYS.in_flight) == 1  # in flight until its run ends
    recovery.run_ended(redis_db, KEYS, "s1", token(again))
    assert redis_db.zcard(KEYS.in_flight) == 0


def test_a_message_that_ran_went_back_and_was_lost_again_is_sent_again(redis_db: Any) -> None:
    """A worker died mid-run: its message went back to the queue (a reclaim, a restore), and the
    next worker to take it died in the BRPOP gap."""
    app, store = make_app(TEST_REDIS_URL, KEYS), RecordStore(redis_db, KEYS)
    send(app, store, "s1")
    conn = Connection(TEST_REDIS_URL)
    try:
        message = take(redis_db, conn.SimpleQueue(KEYS.control))
        assert recovery.admit(redis_db, KEYS, "s1", token(message.headers))  # it runs
        aged(redis_db)
        for look in range(4):  # running: in `unacked` under the tag it was taken with
            assert recovery.find_lost(store, app, "w@test", at=T0 + 2 * look) == []
        message.requeue()  # its worker died: back at the head of the queue
        assert recovery.find_lost(store, app, "w@test", at=T0 + 10) == []
        lose(redis_db)
        assert recovery.find_lost(store, app, "w@test", at=T0 + 12) == []
        assert recovery.find_lost(store, app, "w@test", at=T0 + 14) == ["s1"]
        [again] = queued(redis_db)
        assert recovery.admit(redis_db, KEYS, "s1", token(again))
        assert not recovery.admit(redis_db, KEYS, "s1", token(message.headers))
    finally:
        conn.close()


def test_a_running_message_is_held_though_its_twin_was_taken_after_it(redis_db: Any) -> None:
    """A consumer froze with the message (it looked lost, so a twin went out), then thawed: both
    copies are taken, the original by one worker and the twin just after by another. The
    original runs (the twin is then stale): a look sees it held under its own tag, not missing."""
    app, store = make_app(TEST_REDIS_URL, KEYS), RecordStore(redis_db, KEYS)
    conn = Connection(TEST_REDIS_URL)
    try:
        queue = conn.SimpleQueue(KEYS.control)
        send(app, store, "s1")
        _, frozen = redis_db.brpop(KEYS.control, timeout=5)
        aged(redis_db)
        assert recovery.find_lost(store, app, "w@test", at=T0) == []
        assert recovery.find_lost(store, app, "w@test", at=T0 + 2) == ["s1"]
        redis_db.rpush(KEYS.control, frozen)  # the consumer thaws: its copy goes back, the oldest
        original, twin = take(redis_db, queue), take(redis_db, queue)
        assert token(original.headers) == token(json.loads(frozen))
        assert recovery.admit(redis_db, KEYS, "s1", token(original.headers), original.delivery_tag)
        assert not recovery.admit(redis_db, KEYS, "s1", token(twin.headers), twin.delivery_tag)
        twin.ack()  # dropped as a stale copy
        for look in range(6):  # the original runs on: never sent again
            assert recovery.find_lost(store, app, "w@test", at=T0 + 4 + 2 * look) == []
        assert queued(redis_db) == []
    finally:
        conn.close()


def test_a_message_queued_taken_running_or_just_sent_is_never_sent_again(redis_db: Any) -> None:
    app, store = make_app(TEST_REDIS_URL, KEYS), RecordStore(redis_db, KEYS)
    conn = Connection(TEST_REDIS_URL)
    try:
        queue = conn.SimpleQueue(KEYS.control)
        send(app, store, "taken", countdown=3600)
        assert take(redis_db, queue).headers["id"] == "taken.poll"  # held till its ETA, in `unacked`
        send(app, store, "running")
        running = take(redis_db, queue)
        assert recovery.admit(redis_db, KEYS, "running", token(running.headers))
        send(app, store, "fresh")  # sent after the looks below (their clock is T0): not yet looked at...
        lose(redis_db)  # ...even when it is lost at once
        send(app, store, "queued")
        aged(redis_db, steps=("taken", "running", "queued"))
        for look in range(8):
            assert recovery.find_lost(store, app, "w@test", at=T0 + 3 * look) == []
        assert [m["headers"]["id"] for m in queued(redis_db)] == ["queued.poll"]
        running.ack()  # its run ended without sending the step's next message
        recovery.run_ended(redis_db, KEYS, "running", token(running.headers))
        assert "running" not in redis_db.zrange(KEYS.in_flight, 0, -1)
    finally:
        conn.close()


def test_a_message_lost_again_and_again_ends_its_step_saying_so(redis_db: Any) -> None:
    app, store = make_app(TEST_REDIS_URL, KEYS), RecordStore(redis_db, KEYS)
    store.create_step("web", {}, {}, {}, step_id="s1")
    send(app, store, "s1")
    first = lose(redis_db)
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
    assert redis_db.zcard(KEYS.in_flight) == 0
    assert not recovery.admit(redis_db, KEYS, "s1", token(first))  # a late copy no longer runs


# What may happen next to the step's newest message, by where it is (a model the test keeps).
NEXT = {None: ["send"], "ended": ["send", "look"], "gone": ["look"],
        "queued": ["take", "lose", "look"], "taken": ["run", "requeue", "look"],
        "running": ["requeue", "end", "time-limit", "look"], "lost": ["look"]}


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_whatever_happens_a_loss_is_mended_and_only_one_copy_runs(data: st.DataObject) -> None:
    """Invariants: a message queued, taken or running is never sent again; a lost one (or one
    whose run was killed at its hard time limit, which acks it) is sent again at the second look
    LOST_GRACE_S after the loss, up to MAX_RESENDS times; and of the copies sent, the first to
    run is the only one that may."""
    import redis as redis_lib

    r = redis_lib.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    r.flushdb()
    app, store = make_app(TEST_REDIS_URL, KEYS), RecordStore(r, KEYS)
    conn = Connection(TEST_REDIS_URL)
    queue = conn.SimpleQueue(KEYS.control)
    where: str | None = None  # queued, taken, running, lost, ended, gone (given up)
    copies: list[str] = []  # the tokens of every copy of the step's newest message
    held: Any = None  # the kombu message a worker holds
    looks = resends = 0
    at = T0
    try:
        for _ in range(data.draw(st.integers(0, 30), label="events")):
            event = data.draw(st.sampled_from(NEXT[where]))
            if event == "send":
                send(app, store, "s")
                aged(r)
                copies, where, resends = [token(queued(r)[-1])], "queued", 0
            elif event == "take":
                held = take(r, queue)
                assert token(held.headers) in copies
                where = "taken"
            elif event == "run":
                assert recovery.admit(r, KEYS, "s", token(held.headers), held.delivery_tag)
                copies, where = [token(held.headers)], "running"
            elif event == "requeue":
                held.requeue()
                where = "queued"
            elif event == "end":
                held.ack()
                recovery.run_ended(r, KEYS, "s", copies[0])
                where = "ended"
            elif event == "time-limit":  # Celery acks it and kills the run: no task_postrun
                held.ack()
                where, looks = "lost", 0
            elif event == "lose":
                lose(r)
                where, looks = "lost", 0
            elif event == "look":
                before = queued(r)
                acted = recovery.find_lost(store, app, "w@test", at=at)
                at += recovery.LOST_GRACE_S
                if where != "lost":
                    assert acted == [] and queued(r) == before, (where, acted)
                    continue
                looks += 1
                assert acted == (["s"] if looks == 2 else []), (looks, acted)
                if acted and resends == recovery.MAX_RESENDS:
                    assert queued(r) == [] and r.zcard(KEYS.in_flight) == 0
                    where = "gone"
                elif acted:
                    [again] = queued(r)
                    copies = [copies[0], token(again)]  # an earlier twin is stale now
                    where, resends = "queued", resends + 1
        if where in ("queued", "taken", "lost"):  # any copy may be the first to run, then only it
            first = data.draw(st.sampled_from(copies), label="first to run")
            assert recovery.admit(r, KEYS, "s", first)
            assert not any(recovery.admit(r, KEYS, "s", c) for c in copies if c != first)
        elif where == "ended":
            assert r.zcard(KEYS.in_flight) == 0
    finally:
        queue.close()
        conn.close()
        r.flushdb()
        r.close()
