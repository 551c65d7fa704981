"""Run a step's adjust and poll stages in this process, through the very functions the
Celery tasks call (`adjusting.adjust_stage`, `settling.run_poll`): a RunAgain's countdown is slept
here instead of re-queued by Celery. The real-worker tests (test_pipeline, test_chaos)
cover the Celery part; these give the settle/rollback paths fast, deterministic tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from worker.contract.config import Config
from worker.contract.records import TERMINAL, RecordStore
from worker.contract.steps import validate_step
from worker.flow import adjusting, lease, runtime, settling


def create(store: RecordStore, config: Config, component: str, settings: dict[str, Any]) -> str:
    """A step record as the producer writes it (validated first)."""
    target = validate_step(config, component, settings)
    return str(store.create_step(component, settings, target.to_dict(), {})["id"])


def adjust(rt: runtime.Runtime, step_id: str, *, timeout: float = 60) -> dict[str, Any]:
    """The adjust task, its retries included, until it is done."""
    _loop(lambda memo: adjusting.adjust_stage(rt, step_id, memo, _progress(rt, step_id), lambda _: None),
          timeout)
    return rt.store.require(step_id)


def settle(rt: runtime.Runtime, step_id: str, *, timeout: float = 60,
           each: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """The poll task, look after look, until the step leaves settling. `each` sees the
    record after every look."""
    def one(memo: dict[str, Any]) -> None:
        try:
            settling.run_poll(rt, step_id, memo, _progress(rt, step_id))
        finally:
            if each is not None:
                each(rt.store.require(step_id))
    _loop(one, timeout)
    return rt.store.require(step_id)


def run(rt: runtime.Runtime, config: Config, component: str, settings: dict[str, Any], *,
        timeout: float = 60) -> dict[str, Any]:
    """A whole step up to the benchmark: create, adjust, settle. A step that settled gives
    its service's lease back (the benchmark stage does, when it is done), so the next
    step may run."""
    step_id = create(rt.store, config, component, settings)
    record = adjust(rt, step_id, timeout=timeout)
    if record["status"] in TERMINAL:
        return record
    record = settle(rt, step_id, timeout=timeout)
    if record["status"] == "measuring":
        lease.release(rt.store.r, rt.lease_key(rt.component(record)), step_id)
    return record


def _loop(stage: Callable[[dict[str, Any]], None], timeout: float) -> None:
    memo: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    while True:
        try:
            stage(memo)
            return
        except runtime.RunAgain as wait:
            memo = wait.memo
            if time.monotonic() > deadline:
                raise TimeoutError(f"stage still retrying after {timeout:g} s") from None
            time.sleep(wait.countdown)  # the stage's own countdown, as Celery would wait it before a retry


def _progress(rt: runtime.Runtime, step_id: str) -> runtime.ReportStage:
    """Progress into the record, as the tasks write it (unthrottled here)."""
    def report(stage: str, percent: int, message: str) -> None:
        rt.store.set_fields(step_id, progress={"percent": percent, "stage": stage, "message": message})
    return report
