"""A Redis restart mid-sweep loses no step record, no worker exits, and the sweep finishes.

Runs its own append-only redis-server (as docker-compose does) and stops it for a few
seconds while a step is settling. With Celery 5.7 / kombu 5.7 a worker used to exit on the
lost broker connection (kombu restored unacked messages through the connection it had
just released: `'NoneType' object has no attribute 'hostname'`); worker.flow.recovery defers
that restore and reclaims the messages once connected again. No supervisor here, and the
default visibility timeout (an hour): the sweep must finish on the recovery path alone."""

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
from emulator.taskproc import free_port
from producer.api import Producer, StepSpec
from tests.support.aws_setup import config_dict, provision
from tests.support.http_servers import serve
from tests.support.waiting import wait_until
from tests.support.workers import Worker
from worker.aws.clients import Clients
from worker.contract.records import TERMINAL, RecordStore

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

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False
        wait_until(answers, 5, f"redis-server to answer on port {self.port}")

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


OUTAGE_S = 6.0  # longer than redis-py's own reconnect retries: Celery sees the connection drop


def test_redis_restart_mid_sweep_keeps_every_record_and_every_worker(
        own_redis: RedisServer, clients: Clients, aws_endpoint: str, tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{own_redis.port}/0"
    setup = provision(clients)
    with serve() as target:
        raw = config_dict(setup, ab_url=target.url, metrics=[])
        raw.pop("cloudwatch")
        raw["ab"].update(duration=1, warmup=0, concurrency=2)
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(raw))
        env = {"SERVO_CONFIG": str(path), "AWS_ENDPOINT_URL": aws_endpoint, "SERVO_REDIS_URL": url}
        store = RecordStore.from_url(url)
        with RolloutDriver(clients.elbv2, setup.cluster, setup.service, plan=Plan(start_delay=3)):
            workers = [Worker("w1", env, tmp_path), Worker("w2", env, tmp_path)]
            try:
                for worker in workers:
                    worker.wait_ready()
                producer = Producer.from_config(str(path), url)
                sweep = producer.submit_sweep([StepSpec("web", {"GOGC": g}) for g in (120, 130, 140)])
                wait_until(lambda: store.require(sweep.step_ids[1])["status"] == "settling", 60,
                           "the second step to reach settling")
                own_redis.stop()
                time.sleep(OUTAGE_S)  # the outage itself: what the test is about, not a wait
                own_redis.start()
                assert [r["id"] for r in store.many(sweep.step_ids)] == sweep.step_ids  # records survived
                records = wait_until(lambda: _all_terminal(store, sweep.step_ids), 90,
                                     "every step of the sweep to end")
                exited = [w.name for w in workers if w.proc.poll() is not None]
                logs = "".join(w.log() for w in workers)
            finally:
                for worker in workers:
                    worker.stop()
    assert exited == [], "a worker exited on the Redis restart"
    assert "Connection to broker lost" in logs  # the restart did reach the workers
    assert [r["status"] for r in records] == ["succeeded"] * 3, [(r["status"], r["message"]) for r in records]
    assert len(clients.ecs.list_task_definitions(familyPrefix="web")["taskDefinitionArns"]) == 4


def _all_terminal(store: RecordStore, step_ids: list[str]) -> Any:
    try:
        records = store.many(step_ids)
    except redis.ConnectionError:
        return None
    return records if all(r["status"] in TERMINAL for r in records) else None

