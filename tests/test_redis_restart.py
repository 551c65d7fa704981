"""A Redis restart mid-step loses no step record and the step still finishes.

Runs its own append-only redis-server (as docker-compose does) and restarts it while a
step is settling. With Celery 5.7 / kombu 5.7 the worker may exit on the lost broker
connection (kombu restores unacked messages through the connection it just released:
`'NoneType' object has no attribute 'hostname'`); the test then does what a supervisor
(compose's restart policy, systemd) does: it starts the worker again."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from emulator.rollout import Plan, RolloutDriver
from producer.api import Producer
from tests.conftest import free_port
from tests.support.aws_setup import config_dict, provision
from tests.support.http_servers import serve
from tests.support.workers import Worker
from worker.aws import Clients
from worker.records import RecordStore

pytestmark = pytest.mark.slow


class RedisServer:
    """A redis-server with append-only persistence in `data`, on `port`."""

    def __init__(self, data: Path, port: int):
        self.data, self.port = data, port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is installed by make setup / .ci/run"
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--appendonly", "yes", "--dir", str(self.data), "--save", ""],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: Redis flushes the append-only file and exits
            self.proc.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path, free_port())
    server.start()
    yield server
    server.stop()


def test_redis_restart_mid_step_keeps_the_record_and_finishes_the_step(
        own_redis: RedisServer, clients: Clients, aws_endpoint: str, tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{own_redis.port}/0"
    setup = provision(clients)
    with serve() as target:
        raw = config_dict(setup, ab_url=target.url, metrics=[])
        raw.pop("cloudwatch")
        raw["ab"].update(duration=1, warmup=0, concurrency=2)
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(raw))
        env = {"SERVO_CONFIG": str(path), "AWS_ENDPOINT_URL": aws_endpoint, "SERVO_REDIS_URL": url,
               "SERVO_VISIBILITY_TIMEOUT": "5", "SERVO_RESTORE_INTERVAL": "1"}
        store = RecordStore.from_url(url)
        with RolloutDriver(clients.elbv2, setup.cluster, setup.service, plan=Plan(start_delay=4)):
            workers = [Worker("w1", env, tmp_path)]
            try:
                workers[0].wait_ready()
                producer = Producer.from_config(str(path), url)
                handle = producer.submit("web", {"GOGC": 120})
                wait_until(lambda: store.require(handle.id)["status"] == "settling")
                own_redis.stop()
                time.sleep(1)
                own_redis.start()
                assert store.require(handle.id)["status"] == "settling"  # the record survived

                def finished_or_restarted() -> Any:
                    if workers[-1].proc.poll() is not None:  # the supervisor's job
                        workers.append(Worker(f"w{len(workers) + 1}", env, tmp_path))
                    return _terminal(store, handle.id)

                record = wait_until(finished_or_restarted, timeout=60)
            finally:
                for worker in workers:
                    worker.stop()
    assert record["status"] == "succeeded", record
    assert len(clients.ecs.list_task_definitions(familyPrefix="web")["taskDefinitionArns"]) == 2


def _terminal(store: RecordStore, step_id: str) -> Any:
    try:
        record = store.require(step_id)
    except redis.ConnectionError:
        return None
    return record if record["status"] in ("succeeded", "failed", "rejected", "cancelled") else None


def wait_until(probe: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError("condition not reached")


