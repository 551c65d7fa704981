"""A sweep on the sandbox with several real workers, and the means to kill the one that holds
the running step: used by tests/test_recovery.py and bench/recovery.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

from tests.support.sandbox_stack import optimize_config, submitting_to
from tests.support.workers import Worker
from worker.contract.namespace import Keys
from worker.flow import recovery

LOAD: dict[str, Any] = {"duration": 1, "warmup": 0}  # short runs: the kills are what is measured


def holder(r: redis.Redis, keys: Keys, step_id: str, *, running: bool = False) -> str | None:
    """The node name of the worker instance holding a message of `step_id` now, or None.

    With `running`, only the holder of the message the step is running now (its current one,
    noted under the tag it is held by, with no next message or woken twin sent yet): stopped,
    that worker is the only one that can move the step, so only a reclaim moves it again. A
    holder of a sleeping poll is not that: a watch loop elsewhere may wake a twin of it, and the
    step then moves on (and may end) without any reclaim."""
    current, nxt, wake = r.hmget(keys.cursor(step_id), "current", "next", "wake")
    if running and (nxt or wake or not current):
        return None
    for instance, hostname in r.hgetall(keys.workers).items():
        for tag in r.smembers(keys.held(instance)):
            payload = r.hget(recovery.UNACKED, tag)
            if not payload:
                continue
            headers = json.loads(payload)[0].get("headers") or {}
            if recovery.step_of(str(headers.get("id") or "")) != step_id:
                continue
            token = headers.get(recovery.MESSAGE_HEADER)
            if not running or (token == current and r.hget(keys.cursor(step_id), f"taken:{token}") == tag):
                return str(hostname)
    return None


def moved_since(record: dict[str, Any], at: float) -> bool:
    """True when a stage task wrote the record after `at` (a reclaim or resend entry alone is
    not a move)."""
    entries = [*(record.get("reclaims") or []), *(record.get("resent") or [])]
    noted = [e["at"] for e in entries if e["at"] >= at]
    return float(record["updated_at"]) > max([at, *noted]) + 1e-3


class Fleet:
    """Named workers that can be killed and started again under the same node name."""

    def __init__(self, env: dict[str, str], log_dir: Path, names: tuple[str, ...]) -> None:
        self.env, self.log_dir = env, log_dir
        self.workers: dict[str, Worker] = {}
        self.started: list[Worker] = []
        for name in names:
            self.start(name)
        for worker in self.workers.values():
            worker.wait_ready()

    def start(self, name: str) -> Worker:
        log_dir = self.log_dir / f"run{len(self.started)}"
        log_dir.mkdir(parents=True, exist_ok=True)
        worker = Worker(name, self.env, log_dir)
        self.workers[name] = worker
        self.started.append(worker)
        return worker

    def by_node(self, node: str) -> str:
        return node.split("@", 1)[0]

    def kill_and_restart(self, node: str) -> None:
        name = self.by_node(node)
        self.workers[name].kill()
        self.start(name).wait_ready()

    def exited(self) -> list[str]:
        return [w.name for w in self.workers.values() if w.proc.poll() is not None]

    def stop(self) -> None:
        for worker in self.started:
            worker.stop()


@contextmanager
def sandbox_fleet(workdir: Path, redis_url: str, endpoint_url: str | None = None,
                  names: tuple[str, ...] = ("w1", "w2"),
                  extra_env: dict[str, str] | None = None) -> Iterator[Any]:
    """Yield (sandbox, fleet, producer) on the sandbox's demo service, default recovery settings."""
    from emulator.sandbox import Sandbox
    from producer.api import Producer
    from worker.contract.config import load_config
    from worker.contract.records import RecordStore

    with Sandbox("fast", endpoint_url=endpoint_url, config_out=workdir / "config.yaml") as box:
        optimize_config(box.config_path)
        with submitting_to(box.endpoint_url):
            env = {**box.env, "SERVO_REDIS_URL": redis_url, **(extra_env or {})}
            fleet = Fleet(env, workdir, names)
            try:
                producer = Producer(load_config(str(box.config_path), environ={}),
                                    RecordStore.from_url(redis_url))
                yield box, fleet, producer
            finally:
                fleet.stop()
