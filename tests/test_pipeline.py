"""The pipeline end to end: real Redis, real Celery workers, moto with the rollout driver,
real ab against a local HTTP server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator.rollout import Plan, RolloutDriver
from producer.api import Producer
from tests.support.aws_setup import config_dict, provision
from tests.support.http_servers import Server, serve
from tests.support.workers import Worker
from worker.aws import Clients
from worker.config import load_config
from worker.records import RecordStore

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def target() -> Iterator[Server]:
    with serve() as server:
        yield server


@pytest.fixture
def stack(clients: Clients, redis_db: Any, target: Server, tmp_path: Path, aws_endpoint: str):
    """A provisioned service, its config, a rollout driver and a producer (no worker yet)."""
    setup = provision(clients, cpu=256, memory=512, desired_count=1)
    raw = config_dict(setup, ab_url=target.url, metrics=[])
    raw.pop("cloudwatch", None)
    raw["ab"].update(duration=1, warmup=0, concurrency=4)
    raw["fargate"][setup.name].update(timeout_service_desired_count=20, rollback_timeout=20)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    env = {"SERVO_CONFIG": str(path), "AWS_ENDPOINT_URL": aws_endpoint,
           "SERVO_REDIS_URL": os.environ["SERVO_REDIS_URL"]}
    store = RecordStore.from_url(os.environ["SERVO_REDIS_URL"])
    producer = Producer(load_config(str(path)), store)
    plans: dict[str, Plan] = {}
    driver = RolloutDriver(clients.elbv2, setup.cluster, setup.service,
                           plan=lambda td, n: plans.get(td.rsplit(":", 1)[-1], Plan(start_delay=0.3)))
    workers: list[Worker] = []

    class Stack:
        def __init__(self) -> None:
            self.setup, self.env, self.producer, self.store, self.plans = setup, env, producer, store, plans
            self.driver, self.path = driver, path

        def worker(self, name: str = "w1", **options: Any) -> Worker:
            w = Worker(name, env, tmp_path, **options)
            workers.append(w)
            w.wait_ready()
            return w

    with driver:
        yield Stack()
        for w in workers:
            w.stop()
    assert not driver.errors, driver.errors


def test_one_step_end_to_end(stack: Any, clients: Clients) -> None:
    stack.worker()
    handle = stack.producer.submit("web", {"cpu": 0.5, "mem": 1, "GOGC": 90})
    record = handle.wait(timeout=60)
    assert record["status"] == "succeeded", record
    assert record["applied"]["registered"] is True
    assert set(record["stages"]) == {"adjust", "settle", "measure"}
    metrics = record["measurement"]["metrics"]
    assert metrics["requests throughput"]["value"] > 100
    assert metrics["number of errors"]["value"] == 0
    svc = clients.ecs.describe_services(cluster=stack.setup.cluster, services=["web"])["services"][0]
    assert svc["taskDefinition"] == record["applied"]["task_definition"]
