"""The Celery tasks: thin wrappers that run a pipeline stage and report progress.

A step is the chain adjust -> poll_stability -> benchmark (control, control, load); the
benchmark enqueues collect_metrics for when CloudWatch has the data. Waiting is done by
retrying with a countdown, so no worker slot sleeps while a service settles. Every task
catches what it can: a step always ends with a record that says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import structlog
from celery import current_task, signals
from celery.contrib.abortable import AbortableTask
from celery.exceptions import Ignore

from worker.contract import constants as C
from worker.contract.errors import MeasurementFailed, TransientError
from worker.contract.steps import shadow_name
from worker.flow import adjusting, gate, logs, measuring, recovery, runtime, settling, watch
from worker.flow.app import app
from worker.flow.progress import Throttle, advance

log = logs.get("servo.tasks")
# Transient failures of the benchmark and metrics stages before the step fails. Adjust and
# the poll instead retry until the step's deadline (adjusting.adjust_failed, worker.aws.settle).
AWS_RETRIES = 5

class StepTask(AbortableTask):
    """Base of the stage tasks: progress to the record, the result backend and Flower."""

    _throttle: ClassVar[Throttle] = Throttle()

    def progress(self, step_id: str) -> runtime.ReportStage:
        def report(stage: str, percent: int, message: str) -> None:
            if not self._throttle.due(f"{step_id}:{self.name}", stage):  # each task of a step its own
                return

            def change(record: dict[str, Any]) -> None:
                record["progress"] = advance(record.get("progress"), stage, percent, message)

            shown = runtime.current().store.update(step_id, change)["progress"]
            meta = {"step_id": step_id, **shown}  # the whole step's percent, and the stage's message
            if not self.record_abort(step_id):  # PROGRESS would erase a Flower abort stored meanwhile
                self.update_state(state="PROGRESS", meta=meta)
            self.send_event("task-progress", **meta)  # Flower shows PROGRESS only from events
        return report

    def record_abort(self, step_id: str) -> bool:
        """Make a Flower abort of this task the step's cancel flag, which every later stage
        and the producer read (the abort itself is seen only by this task). True if aborted."""
        if self.is_aborted():
            runtime.current().store.request_cancel(step_id)
            return True
        return False

    def cancel_check(self, step_id: str) -> Callable[[], bool]:
        """What a long stage asks while it runs: is the step cancelled (a Flower abort counts)?"""
        return lambda: self.record_abort(step_id) or runtime.cancelled(runtime.current(), step_id)


@contextmanager
def step_errors(task: StepTask, step_id: str, stage: str, memo: dict[str, Any] | None) -> Iterator[None]:
    """Run a stage: translate RunAgain into task.retry, end the step on errors that stay.
    Transient failures that reach here (benchmark, metrics) are retried with backoff,
    counted in the memo."""
    memo = memo or {}
    retry: tuple[float, dict[str, Any]] | None = None
    try:
        yield
    except runtime.RunAgain as wait:
        retry = (wait.countdown, {**wait.memo, "aws_failures": 0})
    except (TransientError, MeasurementFailed) as exc:
        failures = int(memo.get("aws_failures", 0)) + 1
        if failures <= AWS_RETRIES:
            retry = (min(2.0 ** failures, 30.0), {**memo, "aws_failures": failures})
            log.warning("stage.transient", stage=stage, error=str(exc), attempt=failures)
        else:
            reason = "measurement" if isinstance(exc, MeasurementFailed) else "aws-transient"
            runtime.end(runtime.current(), step_id, "failed", reason=reason, message=f"{stage}: {exc}")
    except Exception as exc:  # a bug or an outage must still end the step with a reason
        log.exception("stage.error", stage=stage)
        runtime.end(runtime.current(), step_id, "failed", reason="error", message=f"{stage}: {exc!r}")
    if retry is not None:  # every step task has max_retries=None: retry never gives up by itself
        raise task.retry(countdown=retry[0], kwargs={"step_id": step_id, "memo": retry[1]})


def current_message(task: StepTask, step_id: str) -> None:
    """Drop a stale copy of the step's message (worker.flow.recovery): Ignore ends the task
    without running the chain's next link."""
    rt, token = runtime.current(), getattr(task.request, recovery.MESSAGE_HEADER, None)
    tag = (task.request.delivery_info or {}).get("delivery_tag")
    if not recovery.admit(rt.store.r, rt.store.keys, step_id, token, None if tag is None else str(tag)):
        log.warning("stage.stale-copy", step_id=step_id, task=task.name, retries=task.request.retries)
        raise Ignore()


@app.task(bind=True, base=StepTask, name=C.TASK_ADJUST, max_retries=None, soft_time_limit=300, time_limit=360)
def adjust(self: StepTask, step_id: str, memo: dict[str, Any] | None = None) -> str:
    current_message(self, step_id)
    with step_errors(self, step_id, "adjust", memo):
        adjusting.adjust_stage(runtime.current(), step_id, memo or {}, self.progress(step_id), gate.blocked)
    return step_id


# No RETRY or SUCCESS state in the result backend for the poll (nothing reads them; Flower
# follows events): a retry's RETRY would erase a Flower abort (ABORTED) stored while its run
# was ending, and the poll retries all the time.
@app.task(bind=True, base=StepTask, name=C.TASK_POLL, max_retries=None, soft_time_limit=60, time_limit=90,
          ignore_result=True)
def poll_stability(self: StepTask, step_id: str, memo: dict[str, Any] | None = None) -> str:
    current_message(self, step_id)
    self.record_abort(step_id)  # run_poll reads the cancel flag and rolls back
    with step_errors(self, step_id, "settle", memo):
        settling.run_poll(runtime.current(), step_id, memo or {}, self.progress(step_id))
    return step_id


@app.task(bind=True, base=StepTask, name=C.TASK_BENCHMARK, max_retries=None)
def benchmark(self: StepTask, step_id: str, memo: dict[str, Any] | None = None) -> str:
    current_message(self, step_id)
    with step_errors(self, step_id, "measure", memo):
        rt = runtime.current()
        ready_at = measuring.run_benchmark(rt, step_id, self.progress(step_id), self.cancel_check(step_id))
        if ready_at is not None:
            collect_metrics.apply_async(kwargs={"step_id": step_id, "memo": {"ready_at": ready_at}},
                                        countdown=max(ready_at - time.time(), 0),
                                        task_id=f"{step_id}.metrics",
                                        shadow=shadow_name(rt.store.require(step_id), "metrics"))
    return step_id


@app.task(bind=True, base=StepTask, name=C.TASK_METRICS, max_retries=None, soft_time_limit=120,
          time_limit=150)
def collect_metrics(self: StepTask, step_id: str, memo: dict[str, Any] | None = None) -> str:
    current_message(self, step_id)
    ready_at = float((memo or {}).get("ready_at", 0))
    with step_errors(self, step_id, "metrics", memo):
        try:
            measuring.run_metrics(runtime.current(), step_id, ready_at)
        except runtime.RunAgain as wait:
            raise runtime.RunAgain(wait.countdown, {"ready_at": ready_at}) from None
    return step_id


# -- logging: JSON on every line, bound to the task and its step ---------------------------

@signals.celeryd_init.connect  # before Celery's own start-up warnings
@signals.setup_logging.connect  # and instead of Celery's logging setup
def _setup_logging(**_: Any) -> None:
    logs.configure()


@signals.task_prerun.connect
def _bind(task_id: str = "", task: Any = None, kwargs: dict[str, Any] | None = None, **_: Any) -> None:
    structlog.contextvars.clear_contextvars()
    step_id = (kwargs or {}).get("step_id")
    structlog.contextvars.bind_contextvars(
        task_id=task_id, task_name=getattr(task, "name", None), step_id=step_id,
        retries=getattr(getattr(task, "request", None), "retries", 0),
        stage=getattr(task, "name", "").rsplit(".", 1)[-1] or None)
    if step_id:
        store = runtime.current().store
        record = store.get(step_id)
        if record:
            structlog.contextvars.bind_contextvars(component=record["component"])
            worker = getattr(getattr(task, "request", None), "hostname", None) or "unknown"
            recovery.note_run(store, record, getattr(task, "name", "").rsplit(".", 1)[-1], worker)


@signals.task_postrun.connect
def _unbind(task: Any = None, kwargs: dict[str, Any] | None = None, **_: Any) -> None:
    """After every run: the step's message has run (worker.flow.recovery: nothing of the step is
    in flight unless the run sent its next message); unbind the log context."""
    step_id = (kwargs or {}).get("step_id")
    try:
        if step_id and str(getattr(task, "name", "")).startswith("servo."):
            store = runtime.current().store
            token = getattr(task.request, recovery.MESSAGE_HEADER, None)
            recovery.run_ended(store.r, store.keys, step_id, token)
    finally:
        structlog.contextvars.clear_contextvars()


# Fast recovery (worker.flow.recovery): heartbeats and reclaims in the main process, on every
# broker connection; the tag of every message taken is noted before it can run.
app.steps["consumer"].add(recovery.RecoveryStep)
app.steps["consumer"].add(watch.WatchStep)  # and the watch loop that wakes sleeping polls
recovery.patch_kombu_restore()


@signals.task_received.connect
def _took(request: Any = None, **_: Any) -> None:
    recovery.on_task_received(request)


@signals.before_task_publish.connect
def _stamp(headers: dict[str, Any] | None = None, body: Any = None, routing_key: str | None = None,
           **_: Any) -> None:
    """Every stage message a worker's task sends becomes its step's next one (worker.flow.recovery).
    Only from inside a task: a producer that imported this module publishes to its own
    Redis and namespace, not necessarily this process's runtime's."""
    if not current_task or not current_task.request.id:  # a proxy: falsy outside a task
        return
    if watch.sending_twin():  # a woken poll's twin has its own token (worker.flow.watch.wake)
        return
    kwargs = body[1] if isinstance(body, list | tuple) and len(body) > 1 else None
    step_id = kwargs.get("step_id") if isinstance(kwargs, dict) else None
    if headers is not None and step_id and str(headers.get("task", "")).startswith("servo."):
        store = runtime.current().store
        token = recovery.on_publish(store.r, store.keys, headers, step_id,
                                    sent=recovery.resend_entry(headers, body, routing_key))
        sleeps = isinstance(kwargs, dict) and (kwargs.get("memo") or {}).get(watch.SLEEP_MEMO)
        if sleeps and headers.get("task") == C.TASK_POLL:  # a poll that sleeps: a watch loop may wake it
            watch.note_sleep(store.r, store.keys, token, headers, body, routing_key)
