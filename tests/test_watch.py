"""The watch loop's parts (worker/flow/watch.py, budget.WATCH, looks.watch) against the real
Redis database and moto in server mode: which services a round names, which polls it wakes,
and that a woken poll's two messages never both run."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TEST_REDIS_URL
from tests.support.aws_setup import CROWD, Setup, config_dict, provision_crowded
from worker.aws.budget import CLAIMED, DEFAULT_RATES, IDLE, SERVICES, SHORT, Budget
from worker.aws.clients import Clients
from worker.aws.looks import SharedLooks, digest
from worker.contract.config import Component, parse_config
from worker.contract.namespace import Keys
from worker.flow import recovery, watch

EXTRA = CROWD


@pytest.fixture
def setup(clients: Clients) -> Setup:
    return provision_crowded(clients)


def component(setup: Setup) -> Component:
    return parse_config(config_dict(setup), environ={}).component(setup.name)


def looks(rates: dict[str, float] | None = None) -> SharedLooks:
    r = redis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    return SharedLooks(Budget(r, Keys(), rates or {**DEFAULT_RATES, SERVICES: 1000}))


def sleep(r: Any, cluster: str, service: str, step_id: str, *, for_s: float = 10.0, judged: str = "",
          keys: Keys | None = None) -> str:
    """What a poll's retry that sleeps leaves behind (tasks._stamp): its token is the step's next."""
    keys = keys or Keys()
    token = recovery.on_publish(r, keys, {}, step_id)
    body = ((), {"step_id": step_id, "memo": {watch.SLEEP_MEMO: [cluster, service, for_s, judged]}},
            {"chain": []})
    watch.note_sleep(r, keys, token, {"task": "servo.poll_stability", "id": f"{step_id}.settle"}, body,
                     keys.control)
    return token


def test_a_round_names_only_sleeping_services_with_stale_views_oldest_first(redis_db: Any) -> None:
    keys, now, budget = Keys(), time.time(), looks().budget
    for i in range(12):
        sleep(redis_db, "c", f"s{i}", f"step{i}")
    redis_db.zadd(keys.looked("c"), {f"s{i}": now - 100 + i for i in range(12)})
    redis_db.zadd(keys.looked("c"), {"s0": now - 0.1, "s1": now + 4})  # fresh; in flight
    redis_db.zadd(keys.looked("c"), {"awake": now - 500})  # its poll looks for itself
    kind, _, names = budget.watch("c", now=now, stale=1.0)
    assert kind == CLAIMED
    assert names == [f"s{i}" for i in range(2, 12)]
    kind, wait, names = budget.watch("c", now=now, stale=1.0)  # all in flight now but s0
    assert (kind, names) == (IDLE, [])
    assert 0.85 <= wait <= 0.95  # s0 is due 0.9 s from now


def test_a_round_takes_no_token_when_nothing_is_due_and_forgets_polls_past_their_sleep(
        redis_db: Any) -> None:
    keys, budget = Keys(), looks({**DEFAULT_RATES, SERVICES: 1}).budget
    assert budget.watch("c", now=time.time(), stale=1.0)[0] == IDLE  # nothing sleeps
    sleep(redis_db, "c", "gone", "step-gone", for_s=-10)  # its sleep ended long ago
    sleep(redis_db, "c", "s", "step-s")
    first = budget.watch("c", now=time.time(), stale=1.0)
    assert first[0] == CLAIMED and first[2] == ["s"]
    assert redis_db.hkeys(keys.wake("c")) == ["s"]  # the stale sleeper is forgotten
    redis_db.zrem(keys.looked("c"), "s")
    assert budget.watch("c", now=time.time(), stale=1.0)[0] == CLAIMED  # the burst's second token
    redis_db.zrem(keys.looked("c"), "s")
    assert budget.watch("c", now=time.time(), stale=1.0)[0] == SHORT  # one token a second, spent
    watch.woke(redis_db, keys, "c", "s")
    assert budget.watch("c", now=time.time(), stale=1.0)[0] == IDLE
    assert not redis_db.sismember(keys.watched, "c")  # no sleeper left: the cluster is not watched


def test_a_round_wakes_the_sleeping_polls_whose_service_is_not_as_they_judged_it(
        setup: Setup, redis_db: Any, clients: Clients) -> None:
    woken: list[tuple[str, list[str]]] = []
    shared, keys = looks(), Keys()
    shared.on_news = lambda cluster, names: woken.append((cluster, list(names)))
    named = [setup.service, "svc-0", "svc-1"]
    # Each poll judged its service as it is now.
    for service in clients.ecs.describe_services(cluster=setup.cluster, services=named)["services"]:
        sleep(redis_db, setup.cluster, service["serviceName"], f"step-{service['serviceName']}",
              judged=digest(service))
    first = shared.watch(clients.ecs, setup.cluster, stale=0.0)
    assert len(first.looked) == 3 and first.changed == [] and woken == []  # nothing moved
    clients.ecs.update_service(cluster=setup.cluster, service="svc-1", desiredCount=2)
    redis_db.delete(keys.looked(setup.cluster))
    again = shared.watch(clients.ecs, setup.cluster, stale=0.0)
    assert again.changed == ["svc-1"] and woken == [(setup.cluster, ["svc-1"])] and shared.calls == 2


def test_a_polls_own_look_that_names_a_sleeping_service_wakes_it_too(
        setup: Setup, redis_db: Any, clients: Clients) -> None:
    """A sleeping service may be described as a rider of an awake poll's call: that view is
    news to its poll as well (else the watch loop would compare against it and see nothing)."""
    woken: list[str] = []
    shared, keys, now = looks(), Keys(), time.time()
    shared.on_news = lambda cluster, names: woken.extend(names)
    svc0 = clients.ecs.describe_services(cluster=setup.cluster, services=["svc-0"])["services"][0]
    sleep(redis_db, setup.cluster, "svc-0", "step-svc-0", judged=digest(svc0))
    clients.ecs.update_service(cluster=setup.cluster, service="svc-0", desiredCount=3)
    redis_db.zadd(keys.wanted(setup.cluster), {"svc-0": now})
    shared.service(clients.ecs, component(setup), now - 1)  # the asker's call names svc-0 as a rider
    assert woken == ["svc-0"]


def test_the_digest_follows_what_a_poll_judges_and_nothing_else() -> None:
    service = {"status": "ACTIVE", "taskDefinition": "td:2", "desiredCount": 2, "runningCount": 1,
               "pendingCount": 1, "events": [{"id": "e1", "message": "m"}],
               "deployments": [{"id": "d1", "status": "PRIMARY", "runningCount": 1,
                                "rolloutState": "IN_PROGRESS", "updatedAt": 1}]}
    same = json.loads(json.dumps(service))
    same["deployments"][0]["updatedAt"] = 2  # a time stamp alone is no news
    assert digest(same) == digest(service)
    for change in ({"runningCount": 2}, {"rolloutState": "COMPLETED"}, {"failedTasks": 1},
                   {"status": "DRAINING"}):
        moved = json.loads(json.dumps(service))
        moved["deployments"][0].update(change)
        assert digest(moved) != digest(service), change
    evented = {**service, "events": [{"id": "e2", "message": "task stopped"}, *service["events"]]}
    assert digest(evented) != digest(service)


OPS = st.permutations(["wake", "run sleeping", "run twin", "send next"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=OPS)
def test_a_woken_poll_runs_once_whichever_message_comes_first(redis_db: Any, order: list[str]) -> None:
    """The sleeping message and its early twin: at most one runs, and until one has run,
    one of them still can (a wake never leaves a step with no message that may run)."""
    redis_db.flushdb()
    keys = Keys()
    step = "step-1"
    recovery.admit(redis_db, keys, step, "current-run")  # the poll run that went to sleep
    sleeping = sleep(redis_db, "c", "web", step)
    twin: str | None = None
    ran: list[str] = []
    sent_next = False
    for op in order:
        if op == "wake":
            claimed = watch.claim_wake(redis_db, keys, "c", "web")
            twin = claimed[1] if claimed else None
            assert (claimed is None) == bool(ran or sent_next)  # only a poll that still sleeps is woken
        elif op == "run sleeping" and recovery.admit(redis_db, keys, step, sleeping):
            ran.append("sleeping")
        elif op == "run twin" and twin is not None and recovery.admit(redis_db, keys, step, twin):
            ran.append("twin")
        elif op == "send next" and ran:  # the copy that ran retries: a new next, both old ones stale
            recovery.on_publish(redis_db, keys, {}, step)
            sent_next = True
        if not ran:
            assert recovery.admit(redis_db, keys, step, "never") is False
    assert len(ran) == 1
    if order.index("run sleeping") < order.index("wake") or twin is None:
        assert ran == ["sleeping"]


# -- hostile review (r2e): failures that must stay local, twins that keep their token --------

def worker_runtime(setup: Setup) -> Any:
    from worker.contract.records import RecordStore
    from worker.flow.app import app
    from worker.flow.runtime import Runtime

    return Runtime(store=RecordStore.from_url(TEST_REDIS_URL), config=parse_config(config_dict(setup),
                                                                                       environ={}), app=app)


def test_a_cluster_whose_look_fails_does_not_stop_the_round_for_the_others(
        setup: Setup, redis_db: Any, clients: Clients) -> None:
    """A sleeping poll in a cluster that was deleted (or any look that fails for good) must
    not keep the loop from looking at the other clusters and waking their cancelled steps:
    else their polls sleep the whole 10 s while the loop still says it is alive. (The deleted
    cluster's own poll meets the error at its own time.)"""
    from worker.flow.app import app

    rt = worker_runtime(setup)
    keys = rt.store.keys
    loop = watch.Watch(app)
    loop._runtime = rt
    svc0 = clients.ecs.describe_services(cluster=setup.cluster, services=["svc-0"])["services"][0]
    sleep(redis_db, setup.cluster, "svc-0", "step-moved", judged=digest(svc0), keys=keys)
    sleep(redis_db, setup.cluster, "svc-1", "step-cancelled", judged="whatever", keys=keys)
    rt.store.request_cancel("step-cancelled")
    sleep(redis_db, "deleted-cluster", "web", "step-gone", keys=keys)
    clients.ecs.update_service(cluster=setup.cluster, service="svc-0", desiredCount=2)
    for _ in range(2):  # the loop goes round again after an error (Watch._loop)
        with contextlib.suppress(Exception):
            loop.round()
    assert redis_db.hget(keys.cursor("step-cancelled"), "wake"), "the cancelled step's poll still sleeps"
    assert redis_db.hget(keys.cursor("step-moved"), "wake"), "the moved service's poll still sleeps"



def test_a_twin_sent_from_inside_a_task_keeps_its_own_token_and_the_sleeping_copy_stays_valid(
        redis_db: Any) -> None:
    """A poll's look that names a sleeping service as a rider wakes it from inside that poll's
    task (runtime._wake): the twin must not be stamped as the step's next message (which would
    make the sleeping copy stale before the twin is even sent: a failed send loses the step),
    nor be noted as a poll that sleeps for 10 s more."""
    from worker.flow import tasks
    from worker.flow.app import app

    keys = tasks.runtime.current().store.keys
    sleeping = sleep(redis_db, "c", "web", "step-1", keys=keys)

    @app.task(name="tests.review.wake_inside_a_task")
    def wake_inside() -> bool:
        return watch.wake(redis_db, keys, app, "c", "web")

    assert wake_inside.apply().get() is True
    cursor = redis_db.hgetall(keys.cursor("step-1"))
    queued = [json.loads(m) for m in redis_db.lrange(keys.control, 0, -1)]
    assert len(queued) == 1
    assert cursor["next"] == sleeping  # the sleeping copy may still run, should the twin be lost
    assert cursor["wake"] == queued[0]["headers"][recovery.MESSAGE_HEADER]
    assert redis_db.zcard(keys.sleeping("c")) == 0  # the twin runs now: it is not asleep


def test_a_wake_that_fails_to_send_does_not_fail_the_look_that_found_the_news(
        setup: Setup, redis_db: Any, clients: Clients) -> None:
    """A poll's look that names a sleeping service as a rider wakes it from inside that poll
    (runtime._wake). If the twin cannot be sent (here: a broker that does not answer), that is
    the sleeping poll's loss of an early wake only, never an error of the poll that looked:
    raised there, it would end that other step as failed ('error') without a rollback."""
    from dataclasses import replace

    from worker.flow.app import make_app

    app = make_app(TEST_REDIS_URL)
    app.conf.broker_url = "redis://127.0.0.1:9/0"  # the broker does not answer (nothing listens there)
    rt = replace(worker_runtime(setup), app=app)
    keys, now = rt.store.keys, time.time()
    svc0 = clients.ecs.describe_services(cluster=setup.cluster, services=["svc-0"])["services"][0]
    sleeping = sleep(redis_db, setup.cluster, "svc-0", "step-svc-0", judged=digest(svc0), keys=keys)
    clients.ecs.update_service(cluster=setup.cluster, service="svc-0", desiredCount=3)
    redis_db.zadd(keys.wanted(setup.cluster), {"svc-0": now})
    seen = rt.looks.service(clients.ecs, component(setup), now - 1)  # names svc-0 as a rider
    assert seen is not None and seen["serviceName"] == setup.service
    assert redis_db.hget(keys.cursor("step-svc-0"), "next") == sleeping  # its own time still comes
