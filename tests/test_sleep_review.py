"""Hostile review of the sleeping polls (worker/flow/settling.py, worker/flow/watch.py): a poll
whose look left part of its judgement for later must not sleep on it. Real Redis and moto; the
stages are called as a worker calls them."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from producer.api import Producer
from tests.support.aws_setup import config_dict, provision
from tests.support.waiting import wait_until
from worker.aws.budget import TASKS
from worker.aws.clients import Clients
from worker.aws.looks import dumps
from worker.contract.config import load_config
from worker.contract.records import RecordStore
from worker.flow import adjusting, runtime, settling, watch
from worker.flow.app import app


def test_a_poll_that_could_not_list_its_failed_tasks_does_not_sleep_on_them(
        clients: Clients, redis_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ECS counts a failed task of the new deployment, but the task-read budget is spent, so
    the look cannot list the stopped tasks (stability.Watcher._check_stopped: 'the next look
    asks again'). The view it judged already shows the failure, so no watch loop will ever see
    news: a poll that sleeps now sees the failure only when its 10 s are up."""
    monkeypatch.setenv("SERVO_IDLE_POLLS", "0.05")  # even one settling service sleeps 10 s
    setup = provision(clients, cpu=256, memory=512, desired_count=1)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config_dict(setup)))
    config = load_config(str(path))
    store = RecordStore(redis_db)
    step_id = Producer(config, store).submit(setup.name, {"GOGC": 70}).id
    rt = runtime.Runtime(store=store, config=config, app=app)

    def progress(*_: Any) -> None:
        pass

    adjusting.run_adjust(rt, step_id, progress, lambda _: None)
    rec = store.require(step_id)
    assert rec["status"] == "settling", rec
    comp = rt.component(rec)
    # What a look stores: the new deployment, one task failed (ECS counted it), none running.
    service = clients.ecs.describe_services(cluster=setup.cluster, services=[setup.service])["services"][0]
    old = {**service["deployments"][0], "status": "ACTIVE", "runningCount": 1, "pendingCount": 0}
    ours = {**old, "id": "ecs-svc/ours", "status": "PRIMARY",
            "taskDefinition": rec["applied"]["task_definition"], "runningCount": 0, "pendingCount": 1,
            "failedTasks": 1, "rolloutState": "IN_PROGRESS"}
    service.update(taskDefinition=ours["taskDefinition"], deployments=[ours, old])
    redis_db.hset(store.keys.view(comp.cluster), comp.service_name, dumps({"at": time.time(),
                                                                           "service": service}))
    redis_db.zadd(store.keys.looked(comp.cluster), {comp.service_name: time.time()})
    redis_db.set(store.keys.watching, "1", px=60_000)  # a watch loop is alive
    while rt.looks.budget.take(TASKS, 2):  # the task reads are spent for now
        pass
    with pytest.raises(runtime.RunAgain) as again:
        settling.run_poll(rt, step_id, {}, progress)
    assert watch.SLEEP_MEMO not in again.value.memo, again.value.memo
    assert again.value.countdown < watch.SLEEP_MAX_S


def test_a_worker_that_serves_only_the_load_queue_runs_no_watch_loop(
        clients: Clients, redis_db: Any, tmp_path: Path, aws_endpoint: str) -> None:
    """Polls run on the control queue only; a load host needs no AWS credentials (README).
    A watch loop there claims DescribeServices from the shared budget for looks that fail
    (NoCredentials), every second, and says a loop is alive."""
    from tests.support.workers import Worker
    from worker.contract.namespace import process_keys

    setup = provision(clients, cpu=256, memory=512, desired_count=1)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config_dict(setup)))
    keys = process_keys()
    memo = {watch.SLEEP_MEMO: [setup.cluster, setup.service, 10.0, ""]}  # a poll sleeps
    watch.note_sleep(redis_db, keys, "token", {"task": "servo.poll_stability", "id": "s.poll"},
                     ((), {"step_id": "s", "memo": memo}, {}), keys.control)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") or k == "AWS_DEFAULT_REGION"}
    env.update(SERVO_CONFIG=str(path), AWS_ENDPOINT_URL=aws_endpoint, HOME=str(tmp_path))
    w = Worker("loadonly", env, tmp_path, queues=keys.load, inherit_env=False)
    try:
        w.wait_ready()
        wait_until(lambda: redis_db.hlen(keys.workers) == 1, 20, "the worker's heartbeat")
        assert not redis_db.exists(keys.watching), w.log()
        assert '"event": "watch.' not in w.log()
    finally:
        w.stop()
