"""Starting a worker the way a Celery user would: `celery -A worker worker`, no -Q."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_REDIS_URL
from tests.support.workers import Worker
from worker.contract.namespace import process_keys

pytestmark = pytest.mark.slow


def served_queues(name: str) -> set[str]:
    from worker.flow.app import make_app

    app = make_app(TEST_REDIS_URL)
    for _ in range(3):  # a loaded machine may answer a broadcast late: ask again
        replies = app.control.inspect(destination=[name], timeout=5).active_queues() or {}
        if replies.get(name):
            break
    return {q["name"] for q in replies.get(name, [])}


def test_celery_dash_a_worker_serves_both_queues(tmp_path: Path, redis_db: object) -> None:
    worker = Worker("plain", {}, tmp_path, queues=None, concurrency=1, pool="solo",
                    command=[sys.executable, "-m", "celery", "-A", "worker", "worker"])
    try:
        worker.wait_ready()
        assert served_queues(worker.name) == set(process_keys().queues)  # the namespace's control and load
    finally:
        worker.stop()


def test_a_queued_stage_carries_its_component_and_settings_as_its_shown_name(tmp_path: Path,
                                                                            redis_db: object) -> None:
    import json

    from producer.api import Producer
    from tests.support.cli_run import write_config

    Producer.from_config(write_config(tmp_path)).submit("web", {"cpu": 0.5, "GOGC": 90})
    [raw] = redis_db.lrange(process_keys().control, 0, -1)  # type: ignore[attr-defined]
    headers = json.loads(raw)["headers"]
    assert headers["task"] == "servo.adjust"  # what runs
    assert headers["shadow"] == "web cpu=0.5 GOGC=90: adjust"  # what Flower and the log show


def test_servo_fargate_worker_starts_celery_on_both_queues_with_the_config(tmp_path: Path,
                                                                         redis_db: object) -> None:
    from tests.support.cli_run import write_config

    cfg = write_config(tmp_path)
    worker = Worker("wrapped", {}, tmp_path, queues=None, concurrency=1, pool="solo",
                    command=[sys.executable, "-m", "producer.cli", "worker", "--config", cfg, "--"])
    try:
        worker.wait_ready()
        assert served_queues(worker.name) == set(process_keys().queues)  # the namespace's control and load
        assert f"(config {cfg}, namespace {process_keys().namespace})" in worker.log()
    finally:
        worker.stop()


def test_servo_fargate_worker_refuses_a_bad_config_before_starting_celery(tmp_path: Path) -> None:
    from tests.support.cli_run import assert_clean_failure, run, write_config

    result = run("worker", "--config", write_config(tmp_path, {"fargate": {"web": {"cluster": 5}}}))
    assert_clean_failure(result, code=2)


def test_servo_fargate_worker_dash_q_names_the_namespaces_queue(tmp_path: Path, redis_db: object) -> None:
    """`-Q load` is the namespace's load queue (`tests.load` here): Celery given the bare name
    would serve the default namespace's, where no step of this namespace is ever sent."""
    from tests.support.cli_run import write_config

    cfg = write_config(tmp_path)
    command = [sys.executable, "-m", "producer.cli", "worker", "--config", cfg, "-Q", "load", "--"]
    worker = Worker("loadonly", {}, tmp_path, queues=None, concurrency=1, pool="solo", command=command)
    try:
        worker.wait_ready()
        assert process_keys().load != "load"  # the tests run in a namespace of their own
        assert served_queues(worker.name) == {process_keys().load}
    finally:
        worker.stop()


def test_servo_fargate_worker_refuses_a_queue_that_is_not_control_or_load(tmp_path: Path) -> None:
    from tests.support.cli_run import assert_clean_failure, run, write_config

    result = run("worker", "--config", write_config(tmp_path), "-Q", "control,celery")
    assert_clean_failure(result, code=2)
    assert "--queues: 'celery' is not a queue; allowed: control, load" in result.err
