"""Preflight on the sandbox, and the worker refusing a component whose setup fails."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator.profiles import FAST
from emulator.sandbox import Sandbox
from worker.aws import Clients
from worker.config import load_config
from worker.namespace import process_keys
from worker.preflight import run_checks

pytestmark = pytest.mark.slow


@pytest.fixture
def sandbox(aws_endpoint: str, tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(FAST, endpoint_url=aws_endpoint, config_out=tmp_path / "config.yaml") as box:
        yield box


def test_clean_sandbox_passes_every_check_it_can_verify(sandbox: Sandbox, clients: Clients) -> None:
    results = run_checks(load_config(str(sandbox.config_path), environ={}), clients)
    verdicts = {r.id: r.verdict for r in results}
    assert not [r for r in results if r.verdict == "fail"], [
        (r.id, r.verdict, r.finding) for r in results if r.verdict == "fail"]
    # ALB metrics exist only after their first datapoint: before any request, a warning.
    warned = {r.id: r.finding for r in results if r.verdict == "warn"}
    assert set(warned) <= {"metrics.exist"}, warned
    assert all("latency" in f or "errors_5xx" in f for f in warned.values())
    # What moto cannot answer is shown as such, never as a pass.
    assert verdicts["permissions.iam"] == "unverified"
    assert verdicts["cluster.exists"] == verdicts["service.launch-type"] == "pass"
    assert verdicts["loadpath.reachable"] == "pass"


def test_worker_refuses_steps_for_a_component_that_fails_preflight(
        clients: Clients, redis_db: Any, tmp_path: Path, aws_endpoint: str) -> None:
    import os

    from emulator.rollout import RolloutDriver
    from producer.api import Producer
    from tests.support.aws_setup import config_dict, provision
    from tests.support.workers import Worker
    from worker.records import RecordStore

    setup = provision(clients, target_type="instance")  # Fargate needs `ip` target groups
    raw = config_dict(setup, ab_url="http://127.0.0.1:9/", metrics=[])
    raw.pop("cloudwatch")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    env = {"SERVO_CONFIG": str(path), "AWS_ENDPOINT_URL": aws_endpoint,
           "SERVO_REDIS_URL": os.environ["SERVO_REDIS_URL"]}
    with RolloutDriver(clients.elbv2, setup.cluster, setup.service):
        worker = Worker("w1", env, tmp_path)
        try:
            worker.wait_ready()
            producer = Producer(load_config(str(path)), RecordStore.from_url(env["SERVO_REDIS_URL"]))
            record = producer.submit("web", {"GOGC": 90}).wait(timeout=60)
            deadline = time.monotonic() + 10
            while "preflight.refused" not in worker.log() and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            worker.stop()
    assert (record["status"], record["reason"]) == ("rejected", "invalid-service")
    assert "preflight failed: lb.target-type" in record["message"]
    assert record["applied"] is None  # nothing was changed
    revisions = clients.ecs.list_task_definitions(familyPrefix="web")["taskDefinitionArns"]
    assert revisions == [setup.task_definition_arn]
    refused = [json.loads(line) for line in worker.log().splitlines()
               if line.startswith("{") and "preflight.refused" in line]
    assert refused and refused[0]["component"] == "web" and "lb.target-type" in refused[0]["why"]


def test_a_preflight_pass_is_shared_through_redis_so_a_new_process_does_not_check_again(
        sandbox: Sandbox, clients: Clients, redis_db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from worker import tasks

    monkeypatch.setenv("SERVO_CONFIG", str(sandbox.config_path))
    monkeypatch.setattr(tasks, "_runtime", None)  # this process's own runtime, for this config
    monkeypatch.setattr(tasks, "_passed", {})
    assert tasks.blocked("web") is None  # checked against the sandbox: passes
    [key] = redis_db.keys(process_keys().preflight("web", "*"))
    assert 0 < redis_db.ttl(key) <= tasks.PREFLIGHT_TTL_S

    setup = sandbox.setup
    clients.ecs.delete_service(cluster=setup.cluster, service=setup.service, force=True)
    tasks._passed.clear()  # a new pool child: nothing in memory, the pass is in Redis
    assert tasks.blocked("web") is None  # trusted for its TTL, no checks run

    redis_db.delete(key)  # the pass expired: another new process checks again, sees the change
    tasks._passed.clear()
    why = tasks.blocked("web")
    assert why is not None and "service" in why
    assert redis_db.keys(process_keys().preflight("web", "*")) == []  # a failure is never shared
