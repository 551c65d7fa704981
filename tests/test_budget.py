"""The shared looks and the account-wide API budget (worker/aws/looks.py, worker/aws/budget.py),
against moto in server mode and the real Redis database: two workers are two SharedLooks
with their own boto3 clients and Redis connections, and the calls that reach AWS are
counted where they leave botocore (tests/support/aws_calls.py)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import TEST_REDIS_URL
from tests.support.aws_calls import recording
from tests.support.aws_setup import CROWD, Setup, config_dict, provision_crowded
from worker.aws.budget import (
    CLAIMED,
    DEFAULT_RATES,
    ELB,
    IN_FLIGHT,
    LOGS,
    REGISTERS,
    SERVICES,
    SHORT,
    TASK_DEFS,
    TASKS,
    UPDATES,
    Budget,
    parse_budget,
)
from worker.aws.clients import Clients
from worker.aws.looks import SharedLooks
from worker.contract.config import Component, parse_config
from worker.contract.errors import ConfigError
from worker.contract.namespace import Keys

EXTRA = CROWD


@pytest.fixture
def setup(clients: Clients) -> Setup:
    return provision_crowded(clients)


def component(setup: Setup, service: str | None = None) -> Component:
    comp = parse_config(config_dict(setup), environ={}).component(setup.name)
    if service is None:
        return comp
    from dataclasses import replace
    return replace(comp, service_name=service)


def worker(rates: dict[str, float] | None = None, fresh_s: float = 0.25) -> tuple[SharedLooks, Clients]:
    """What one worker process has: its own Redis connection, budget and AWS clients."""
    r = redis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    looks = SharedLooks(Budget(r, Keys(), rates or DEFAULT_RATES), fresh_s=fresh_s)
    return looks, Clients.from_env(max_attempts=1)


def test_two_workers_share_one_view_and_the_second_makes_no_call(setup: Setup, redis_db: Any) -> None:
    comp = component(setup)
    since = time.time() - 1
    with recording() as calls:
        first, first_clients = worker()
        second, second_clients = worker()
        seen = first.service(first_clients.ecs, comp, since)
        made = list(calls)
        again = second.service(second_clients.ecs, comp, since)
    assert made == ["ecs:DescribeServices"] and first.calls == 1
    assert calls == made and second.calls == 0  # the second worker read the view from Redis
    assert again is not None and again["serviceName"] == seen["serviceName"] == setup.service
    assert again["deployments"][0]["createdAt"] == seen["deployments"][0]["createdAt"]  # datetimes survive


def test_a_view_from_before_the_step_is_not_used(setup: Setup, redis_db: Any) -> None:
    comp = component(setup)
    looks, clients = worker()
    looks.service(clients.ecs, comp, time.time() - 1)
    looks.service(clients.ecs, comp, time.time() + 1)  # the step began after that view
    assert looks.calls == 2


def test_one_call_names_ten_services_the_asker_and_the_oldest_views(setup: Setup, redis_db: Any) -> None:
    looks, clients = worker({**DEFAULT_RATES, SERVICES: 1000})
    keys, now = Keys(), time.time()
    names = [f"svc-{i}" for i in range(EXTRA)]
    redis_db.zadd(keys.wanted(setup.cluster), {n: now for n in [*names, setup.service]})
    # svc-10 was never looked at; svc-0 longest ago, svc-9 and then web most recently.
    redis_db.zadd(keys.looked(setup.cluster), {f"svc-{i}": now - 100 + i for i in range(10)})
    redis_db.zadd(keys.looked(setup.cluster), {setup.service: now})
    kind, _, claimed = looks.budget.look(setup.cluster, keys.view(setup.cluster), "svc-5", now=now,
                                         since=now - 1000, fresh=0.25)
    assert kind == CLAIMED
    assert claimed == ["svc-5", "svc-10", "svc-0", "svc-1", "svc-2", "svc-3", "svc-4", "svc-6", "svc-7",
                       "svc-8"]
    redis_db.delete(keys.looked(setup.cluster))
    looks.service(clients.ecs, component(setup), now - 1)  # the asker's own look stores ten views
    assert redis_db.hlen(keys.view(setup.cluster)) == 10
    assert looks.calls == 1


def test_claims_never_name_a_service_another_claims_call_is_describing(setup: Setup, redis_db: Any) -> None:
    looks, _ = worker({**DEFAULT_RATES, SERVICES: 1000})
    keys, now, view = Keys(), time.time(), Keys().view(setup.cluster)
    names = [f"svc-{i}" for i in range(EXTRA)] + [setup.service]  # 12 settling services
    redis_db.zadd(keys.wanted(setup.cluster), {n: now for n in names})
    first = looks.budget.look(setup.cluster, view, "svc-0", now=now, since=now - 1, fresh=0.25)
    assert first[0] == CLAIMED and len(first[2]) == 10
    rest = [n for n in names if n not in first[2]]
    # A service of the first call asks: it waits for that call's view, and pays nothing.
    tokens = float(redis_db.hget(keys.budget(SERVICES), "tokens"))
    answer = looks.budget.look(setup.cluster, view, first[2][3], now=now, since=now - 1, fresh=0.25)
    assert answer[0] == IN_FLIGHT
    assert float(redis_db.hget(keys.budget(SERVICES), "tokens")) <= tokens + 1e-6  # no token taken
    # One that is not in it gets a call naming only the two services nobody is describing.
    second = looks.budget.look(setup.cluster, view, rest[0], now=now, since=now - 1, fresh=0.25)
    assert second[0] == CLAIMED and sorted(second[2]) == sorted(rest)


def test_a_poll_waits_for_the_call_in_flight_instead_of_paying_again(setup: Setup, redis_db: Any) -> None:
    keys, since = Keys(), time.time() - 1
    redis_db.zadd(keys.wanted(setup.cluster), {"svc-3": time.time()})
    got: list[Any] = []
    with recording() as calls:  # clients built inside, so their calls are recorded
        first, first_clients = worker()
        second, second_clients = worker()
        kind, _, names = first.budget.look(setup.cluster, keys.view(setup.cluster), setup.service,
                                           now=time.time(), since=since, fresh=0.25)
        assert kind == CLAIMED and names == [setup.service, "svc-3"]
        waiting = threading.Thread(target=lambda: got.append(
            second.service(second_clients.ecs, component(setup, "svc-3"), since)))
        waiting.start()
        first._describe(first_clients.ecs, component(setup), names)  # the first claim's call lands
        waiting.join()
    assert calls == ["ecs:DescribeServices"] and second.calls == 0
    assert got[0] is not None and got[0]["serviceName"] == "svc-3"


def test_when_the_budget_is_short_a_poll_gets_the_newest_view_and_makes_no_call(
        setup: Setup, redis_db: Any) -> None:
    comp = component(setup)
    rates = {**DEFAULT_RATES, SERVICES: 0.01}  # two calls, then one every 100 s
    first, first_clients = worker(rates, fresh_s=0)
    second, second_clients = worker(rates, fresh_s=0)
    since = time.time() - 1
    first.service(first_clients.ecs, comp, since)
    seen = first.service(first_clients.ecs, comp, since)  # the bucket's second token
    with recording() as calls:
        again = second.service(second_clients.ecs, comp, since)
    assert calls == [] and again == seen
    assert second.service(second_clients.ecs, comp, time.time() + 1) is None  # nothing newer to judge


def test_the_budget_holds_across_two_workers(setup: Setup, redis_db: Any) -> None:
    rate, window = 4.0, 1.5
    rates = {**DEFAULT_RATES, SERVICES: rate}
    since = time.time() - 1
    stop = time.time() + window
    with recording() as calls:
        workers = [worker(rates, fresh_s=0) for _ in range(2)]

        def poll(looks: SharedLooks, clients: Clients, service: str) -> None:
            comp = component(setup, service)
            while time.time() < stop:
                looks.service(clients.ecs, comp, since)

        threads = [threading.Thread(target=poll, args=(*w, f"svc-{i}")) for i, w in enumerate(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    described = calls.count("ecs:DescribeServices")
    assert described == sum(looks.calls for looks, _ in workers)
    assert 1 <= described <= rate * window + rate  # the sustained rate plus one second's burst
    assert all(looks.calls for looks, _ in workers)  # both got their turn


def test_target_health_is_read_once_for_a_few_seconds(setup: Setup, redis_db: Any, clients: Clients) -> None:
    tg = clients.ecs.describe_services(cluster=setup.cluster, services=[setup.service])["services"][0][
        "loadBalancers"][0]["targetGroupArn"]
    first, first_clients = worker()
    second, second_clients = worker()
    assert first.target_health(first_clients.elbv2, tg) == second.target_health(second_clients.elbv2, tg)
    assert (first.calls, second.calls) == (1, 0)


def test_stopped_tasks_wait_for_the_task_budget(redis_db: Any) -> None:
    r = redis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    looks = SharedLooks(Budget(r, Keys(), {**DEFAULT_RATES, TASKS: 2}))
    assert looks.may_list_tasks()  # ListTasks and DescribeTasks: the bucket's two tokens
    assert not looks.may_list_tasks()


def test_tokens_of_two_families_are_taken_together_or_not_at_all(redis_db: Any) -> None:
    r = redis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    budget = Budget(r, Keys(), {**DEFAULT_RATES, SERVICES: 0.01, TASK_DEFS: 0.01})  # burst 2 each
    assert budget.take(TASK_DEFS, 2)  # the task definition bucket is empty now
    assert not budget.take_all({SERVICES: (1, 0.0), TASK_DEFS: (1, 0.0)})
    assert budget.take(SERVICES, 2)  # the failed take left both service-read tokens


def test_steps_waiting_for_the_budget_come_back_in_the_order_they_came(redis_db: Any) -> None:
    r = redis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    budget = Budget(r, Keys(), DEFAULT_RATES)
    waits = [budget.wait_in_line(f"step-{i}", per_s=2.0) for i in range(40)]
    assert waits[:3] == [0.5, 1.0, 1.5] and waits[-1] == 10.0  # by place in line, at most 10 s
    assert budget.wait_in_line("step-2", per_s=2.0) == 1.5  # asking again keeps its place
    budget.leave_line("step-0")
    assert budget.wait_in_line("step-2", per_s=2.0) == 1.0
    assert budget.wait_in_line("step-1", per_s=100.0) == 0.3  # never sooner than BUDGET_WAIT_S


def test_while_a_step_waits_for_its_adjust_the_looks_leave_it_its_service_read(redis_db: Any) -> None:
    """Looks spend the whole budget when many services settle; a step waiting in the adjust
    line must still get its read, or adjusts starve behind the looks."""
    r = redis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    keys, now = Keys(), time.time()
    budget = Budget(r, keys, {**DEFAULT_RATES, SERVICES: 0.01})  # burst 2: nothing refills meanwhile
    view = keys.view("c")

    def look(asker: str) -> int:
        return budget.look("c", view, asker, now=now, since=now - 1, fresh=0.25)[0]

    assert look("svc-0") == CLAIMED  # one of the two tokens
    budget.wait_in_line("step-1", per_s=2.0)
    assert look("svc-1") == SHORT  # the last token is the waiting adjust's
    assert budget.take_all({SERVICES: (1, 0.0)})  # ... and the adjust gets it
    budget.leave_line("step-1")
    r.delete(keys.budget(SERVICES))  # a full bucket again, nobody in line
    assert look("svc-2") == CLAIMED and look("svc-3") == CLAIMED  # the looks may take both


def test_a_reserve_keeps_tokens_for_the_looks(redis_db: Any) -> None:
    r = redis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    budget = Budget(r, Keys(), {**DEFAULT_RATES, SERVICES: 0.01})  # burst 2: nothing refills meanwhile
    assert not budget.take(SERVICES, 1, reserve=1.5)  # an adjust would leave less than the reserve
    assert budget.take(SERVICES, 1) and budget.take(SERVICES, 1)  # the looks still get both tokens
    assert not budget.take(SERVICES, 1)


# half of AWS's documented sustained rates (ECS describes 20/s, task definition reads 20/s,
# Elastic Load Balancing 10/s)
# Half of AWS's published sustained rates (ECS: 20 service reads, 20 task reads, 20 task
# definition reads, 5 UpdateService, 1 RegisterTaskDefinition a second; ELB: 10 describes;
# CloudWatch Logs: 25 GetLogEvents).
HALF_OF_AWS = {SERVICES: 10.0, TASKS: 10.0, ELB: 5.0, TASK_DEFS: 10.0, UPDATES: 2.5, REGISTERS: 0.5,
               LOGS: 12.5}


def test_the_budget_setting_is_checked_and_names_what_is_wrong() -> None:
    assert parse_budget("") == HALF_OF_AWS
    assert parse_budget("services=20, elb=2.5") == {**HALF_OF_AWS, SERVICES: 20.0, ELB: 2.5}
    for bad, says in (("services=0", "services"), ("elb=many", "elb"), ("disks=3", "disks"),
                      ("services", "NAME=CALLS_PER_SECOND"), ("tasks=1e9", "tasks")):
        with pytest.raises(ConfigError, match=says):
            parse_budget(bad)


@given(st.dictionaries(st.sampled_from(["services", "tasks", "elb", "taskdefs", "updates", "registers",
                                        "logs"]),
                       st.floats(min_value=0.001, max_value=1000, allow_nan=False)))
def test_any_valid_budget_reads_back_as_written(rates: dict[str, float]) -> None:
    text = ",".join(f"{k}={v!r}" for k, v in rates.items())
    parsed = parse_budget(text)
    short = {"services": SERVICES, "tasks": TASKS, "elb": ELB, "taskdefs": TASK_DEFS, "updates": UPDATES,
             "registers": REGISTERS, "logs": LOGS}
    assert parsed == {**HALF_OF_AWS, **{short[k]: v for k, v in rates.items()}}


def test_the_meter_reports_calls_per_second_per_family_once_a_minute() -> None:
    from worker.aws.budget import Meter

    meter = Meter(since=1000.0)
    assert meter.count(SERVICES, 1, now=1010.0) is None
    assert meter.count(ELB, 30, now=1030.0) is None
    assert meter.count(SERVICES, 599, now=1060.0) == {ELB: 0.5, SERVICES: 10.0}
    assert meter.count(SERVICES, 1, now=1061.0) is None  # a new minute began


def test_a_step_that_needs_a_new_revision_waits_for_a_registration_and_changes_nothing_meanwhile(
        setup: Setup, redis_db: Any, tmp_path: Any) -> None:
    """AWS sustains one RegisterTaskDefinition a second per account. A step whose revision
    is new finds the registrations spent: it waits in line having changed nothing, and its
    next try takes a registration with its reads before it starts."""
    import yaml

    from producer.api import Producer
    from worker.contract.config import load_config
    from worker.contract.records import RecordStore
    from worker.flow import adjusting, runtime

    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config_dict(setup)))
    config, store = load_config(str(path)), RecordStore(redis_db)
    step_id = Producer(config, store).submit(setup.name, {"GOGC": 60}).id
    rt = runtime.Runtime(store=store, config=config)
    while rt.looks.budget.take(REGISTERS):  # another sweep registered a moment ago
        pass
    with recording() as calls, pytest.raises(runtime.RunAgain) as again:
        adjusting.run_adjust(rt, step_id, lambda *a: None, lambda _: None)
    assert again.value.memo == {"register": True}
    assert not {"ecs:RegisterTaskDefinition", "ecs:UpdateService"} & set(calls), calls
    assert store.require(step_id)["applied"] is None
    redis_db.delete(store.keys.budget(REGISTERS))  # a second later: the bucket refilled
    with recording() as calls:  # a new runtime: its clients' calls are recorded (made inside)
        later = runtime.Runtime(store=store, config=config)
        adjusting.run_adjust(later, step_id, lambda *a: None, lambda _: None, again.value.memo)
    assert calls.count("ecs:RegisterTaskDefinition") == calls.count("ecs:UpdateService") == 1
    assert store.require(step_id)["status"] == "settling"
