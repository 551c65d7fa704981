"""What every stage of a step runs over: the worker's Runtime (record store, config, AWS
clients, shared looks, budget), how a stage ends a step, asks to run again later, or learns the
step was cancelled, and the poll cap that paces looks.

Each stage reads the step record, does its part, and writes the record: Celery tasks
(worker/flow/tasks.py) only call the stages (adjusting.py, settling.py, measuring.py). Every
stage is safe to run twice: a terminal record is left alone, adjust reuses the snapshot it
stored before changing anything, and the poll keeps its phase (settling or rolling back) in
the record, not only in the retry message.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from worker.aws.budget import BATCH, SERVICES, Budget, rates_from_env
from worker.aws.clients import Clients
from worker.aws.looks import SharedLooks
from worker.contract import constants as C
from worker.contract.config import Component, Config, load_config
from worker.contract.errors import ConfigError
from worker.contract.namespace import Keys, process_keys
from worker.contract.numbers import env_number
from worker.contract.records import RecordStore
from worker.flow import lease, logs, watch

log = logs.get("servo.pipeline")


ReportStage = Callable[[str, int, str], None]  # (stage, percent, message)


class RunAgain(Exception):
    """The stage is not done yet, which is no failure: it waits for the next look at a
    settling service, a lease, the API budget or CloudWatch's delay. The task runs again after
    `countdown` seconds (Celery's retry is only the vehicle: no failure is counted)."""

    def __init__(self, countdown: float, memo: dict[str, Any] | None = None):
        super().__init__(f"again in {countdown:.2f} s")
        self.countdown = max(countdown, 0.0)
        self.memo = memo or {}


@dataclass
class Runtime:
    """What stages need, built once per worker process."""

    store: RecordStore
    config: Config
    app: Any = None  # the Celery app that sends woken polls (worker.flow.watch)

    @classmethod
    def from_env(cls, app: Any = None) -> Runtime:
        from worker.flow.app import app as default_app
        from worker.flow.app import redis_url

        return cls(store=RecordStore.from_url(redis_url()), config=load_config(), app=app or default_app)

    @cached_property
    def clients(self) -> Clients:
        return Clients.for_config(self.config)  # the config's aws: section, else the boto3 chain

    @cached_property
    def looks(self) -> SharedLooks:
        """The views and API budget every worker of the namespace shares (worker/aws/looks.py)."""
        return SharedLooks(Budget(self.store.r, self.store.keys, rates_from_env(os.environ)),
                           on_news=self._wake if self.app is not None else None)

    def _wake(self, cluster: str, services: Sequence[str]) -> None:
        """Wake the sleeping polls whose service a look just saw change (worker/flow/watch.py)."""
        for service in services:
            try:  # the look may be another step's: a wake that fails is never that step's error
                watch.wake(self.store.r, self.store.keys, self.app, cluster, service)
            except Exception as exc:  # the sleeping copy stays valid: the poll wakes at its own time
                log.warning("watch.wake-failed", cluster=cluster, service=service, error=repr(exc))

    def component(self, record: dict[str, Any]) -> Component:
        return self.config.component(record["component"])

    def lease_key(self, comp: Component) -> str:
        return lease.lease_key(comp.cluster, comp.service_name, self.store.keys)


def end(rt: Runtime, step_id: str, status: str, *, reason: str | None = None,
        message: str | None = None, **fields: Any) -> dict[str, Any]:
    """Finish the step and free its service."""
    record = rt.store.finish(step_id, status, reason=reason, message=message, **fields)
    try:
        comp = rt.component(record)
    except ConfigError:
        return record
    lease.release(rt.store.r, rt.lease_key(comp), step_id)
    log.info("step.end", step_id=step_id, status=record["status"], reason=reason, message=message)
    return record


@dataclass(frozen=True)
class Pace:
    """How often a settling service's poll looks: at most `cap` apart, or, when `sleep` is set,
    that long while the rollout goes on (a watch loop wakes it on news: worker/flow/watch.py)."""

    cap: float
    sleep: float | None = None


def poll_pace(r: Any, comp: Component, keys: Keys | None = None) -> Pace:
    """The poll cap: $SERVO_POLL_CAP when set; else 0.4 s while few services settle, and longer
    as more do: as long as the API budget's DescribeServices (10 services each) take to look at
    all of them once, or, with $SERVO_DESCRIBE_RATE set, that many services a second. Polls
    between are free: they read the shared view (worker/aws/looks.py). 0.4 s up to 40
    services, 2 s at 200. And whether the poll may sleep instead (watch.sleep_for)."""
    now = time.time()
    keys = keys or process_keys()
    pipe = r.pipeline()
    pipe.zadd(keys.settling, {f"{comp.cluster}/{comp.service_name}": now})
    pipe.zremrangebyscore(keys.settling, "-inf", now - C.SETTLING_WINDOW_S)
    pipe.zcard(keys.settling)
    pipe.expire(keys.settling, 60)
    pipe.exists(keys.watching)
    reply = pipe.execute()
    settling, alive = int(reply[2]), bool(reply[4])
    cap = _cap(settling)
    return Pace(cap, watch.sleep_for(settling, cap, alive))


def poll_cap(r: Any, comp: Component, keys: Keys | None = None) -> float:
    return poll_pace(r, comp, keys).cap


def look_period(r: Any, keys: Keys) -> float:
    """How old a view may grow before a watch loop looks again: the poll cap for the services
    settling now."""
    pipe = r.pipeline()
    pipe.zremrangebyscore(keys.settling, "-inf", time.time() - C.SETTLING_WINDOW_S)
    pipe.zcard(keys.settling)
    return _cap(int(pipe.execute()[1]))


def _cap(settling: int) -> float:
    fixed = env_number(C.ENV_POLL_CAP, 0, minimum=0, maximum=3600)
    if fixed:
        return fixed
    rate = env_number(C.ENV_DESCRIBE_RATE, 0, minimum=0, maximum=10_000) \
        or rates_from_env(os.environ)[SERVICES] * BATCH
    return max(C.DEFAULT_POLL_CAP_S, settling / rate)


def cancelled(rt: Runtime, step_id: str) -> bool:
    return rt.store.cancel_requested(step_id)


_current: Runtime | None = None


def current() -> Runtime:
    """This worker process's runtime, built from its environment on first use."""
    global _current  # noqa: PLW0603 - one per worker process
    if _current is None:
        _current = Runtime.from_env()
    return _current
