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
from collections.abc import Callable
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
from worker.flow import lease, logs

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

    @classmethod
    def from_env(cls) -> Runtime:
        from worker.flow.app import redis_url

        return cls(store=RecordStore.from_url(redis_url()), config=load_config())

    @cached_property
    def clients(self) -> Clients:
        return Clients.for_config(self.config)  # the config's aws: section, else the boto3 chain

    @cached_property
    def looks(self) -> SharedLooks:
        """The views and API budget every worker of the namespace shares (worker/aws/looks.py)."""
        return SharedLooks(Budget(self.store.r, self.store.keys, rates_from_env(os.environ)))

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


def poll_cap(r: Any, comp: Component, keys: Keys | None = None) -> float:
    """Longest wait between two looks at a settling service: $SERVO_POLL_CAP when set; else
    0.4 s while few services settle, and longer as more do: as long as the API budget's
    DescribeServices (10 services each) take to look at all of them once, or, with
    $SERVO_DESCRIBE_RATE set, that many services a second. Polls between are free: they read
    the shared view (worker/aws/looks.py). 0.4 s up to 40 services, 2 s at 200."""
    fixed = env_number(C.ENV_POLL_CAP, 0, minimum=0, maximum=3600)
    if fixed:
        return fixed
    now = time.time()
    key = (keys or process_keys()).settling
    pipe = r.pipeline()
    pipe.zadd(key, {f"{comp.cluster}/{comp.service_name}": now})
    pipe.zremrangebyscore(key, "-inf", now - C.SETTLING_WINDOW_S)
    pipe.zcard(key)
    pipe.expire(key, 60)
    settling = int(pipe.execute()[2])
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
