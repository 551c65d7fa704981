"""The Celery tasks: thin wrappers that run a pipeline stage and report progress.

A step is the chain adjust -> poll_stability -> benchmark (control, control, load); the
benchmark enqueues collect_metrics for when CloudWatch has the data. Waiting is done by
retrying with a countdown, so no worker slot sleeps while a service settles. Every task
catches what it can: a step always ends with a record that says why.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections import OrderedDict
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
from worker.flow import logs, pipeline, recovery
from worker.flow import settling as poll
from worker.flow.app import app
from worker.flow.progress import advance

log = logs.get("servo.tasks")
# Transient failures of the benchmark and metrics stages before the step fails. Adjust and
# the poll instead retry until the step's deadline (pipeline.adjust_failed, worker.aws.settle).
AWS_RETRIES = 5
PROGRESS_EVERY_S = 0.5  # record and Flower updates at most this often, and on every change of stage
PROGRESS_MEMORY = 4096  # steps whose last progress time a process remembers
PREFLIGHT_TTL_S = 600  # critical checks are repeated this often, so a fixed setup is noticed

_runtime: pipeline.Runtime | None = None
_passed: dict[str, float] = {}  # component -> when its critical checks last passed


def runtime() -> pipeline.Runtime:
    global _runtime  # noqa: PLW0603 - one per worker process, built on first use
    if _runtime is None:
        _runtime = pipeline.Runtime.from_env()
    return _runtime


def blocked(component: str) -> str | None:
    """Why the worker refuses steps for `component` (failed critical checks), or None.
    A pass is trusted for PREFLIGHT_TTL_S, and shared through Redis with every process of
    every worker running the same component config against the same endpoint, so a new
    pool child does not run the checks again. A failure is checked again at the next
    step, so a setup the user fixes is taken at once."""
    now = time.time()
    if now - _passed.get(component, 0.0) < PREFLIGHT_TTL_S:
        return None
    rt = runtime()
    left = rt.store.r.ttl(_pass_key(rt, component))
    if left > 0:
        _passed[component] = now - (PREFLIGHT_TTL_S - left)
        return None
    from worker.aws.preflight import critical_failures

    found = critical_failures(rt.config, rt.clients)
    pipe = rt.store.r.pipeline()
    for name in rt.config.components:
        if name not in found:
            _passed[name] = now
            pipe.set(_pass_key(rt, name), now, ex=PREFLIGHT_TTL_S)
    pipe.execute()
    results = found.get(component)
    return "; ".join(f"{r.id}: {r.finding}" for r in results) if results else None


def _pass_key(rt: pipeline.Runtime, component: str) -> str:
    """The Redis key of a preflight pass: the component's config and the AWS endpoint and
    region it was checked against, hashed (a worker with other settings checks for itself)."""
    basis = json.dumps([dataclasses.asdict(rt.config.component(component)), rt.clients.ecs.meta.endpoint_url,
                        rt.clients.ecs.meta.region_name], sort_keys=True, default=str)
    return rt.store.keys.preflight(component, hashlib.sha256(basis.encode()).hexdigest()[:16])


class StepTask(AbortableTask):
    """Base of the stage tasks: progress to the record, the result backend and Flower."""

    # Per step: one process runs many steps' tasks; a shared throttle would let one step's
    # update hold back another's. Bounded, oldest dropped first.
    _last_progress: ClassVar[OrderedDict[str, tuple[float, str]]] = OrderedDict()

    def progress(self, step_id: str) -> pipeline.ReportStage:
        def report(stage: str, percent: int, message: str) -> None:
            now = time.monotonic()
            key = f"{step_id}:{self.name}"  # each task of a step reports its own progress
            last_at, last_stage = self._last_progress.get(key, (0.0, ""))
            if stage == last_stage and now - last_at < PROGRESS_EVERY_S:
                return
            self._last_progress[key] = (now, stage)
            self._last_progress.move_to_end(key)
            while len(self._last_progress) > PROGRESS_MEMORY:
                self._last_progress.popitem(last=False)
            def change(record: dict[str, Any]) -> None:
                record["progress"] = advance(record.get("progress"), stage, percent, message)

            shown = runtime().store.update(step_id, change)["progress"]
            meta = {"step_id": step_id, **shown}  # the whole step's percent, and the stage's message
            self.update_state(state="PROGRESS", meta=meta)
            self.send_event("task-progress", **meta)  # Flower shows PROGRESS only from events
        return report

    def record_abort(self, step_id: str) -> bool:
        """Make a Flower abort of this task the step's cancel flag, which every later stage
        and the producer read (the abort itself is seen only by this task). True if aborted."""
        if self.is_aborted():
            runtime().store.request_cancel(step_id)
            return True
        return False

    def cancel_check(self, step_id: str) -> Callable[[], bool]:
        """What a long stage asks while it runs: is the step cancelled (a Flower abort counts)?"""
        return lambda: self.record_abort(step_id) or pipeline.cancelled(runtime(), step_id)


@contextmanager
def step_errors(task: StepTask, step_id: str, stage: str, memo: dict[str, Any] | None) -> Iterator[None]:
    """Run a stage: translate RunAgain into task.retry, end the step on errors that stay.
    Transient failures that reach here (benchmark, metrics) are retried with backoff,
    counted in the memo."""
    memo = memo or {}
    retry: tuple[float, dict[str, Any]] | None = None
    try:
        yield
    except pipeline.RunAgain as wait:
        retry = (wait.countdown, {**wait.memo, "aws_failures": 0})
    except (TransientError, MeasurementFailed) as exc:
        failures = int(memo.get("aws_failures", 0)) + 1
        if failures <= AWS_RETRIES:
            retry = (min(2.0 ** failures, 30.0), {**memo, "aws_failures": failures})
            log.warning("stage.transient", stage=stage, error=str(exc), attempt=failures)
        else:
            reason = "measurement" if isinstance(exc, MeasurementFailed) else "aws-transient"
            pipeline.end(runtime(), step_id, "failed", reason=reason, message=f"{stage}: {exc}")
    except Exception as exc:  # a bug or an outage must still end the step with a reason
        log.exception("stage.error", stage=stage)
        pipeline.end(runtime(), step_id, "failed", reason="error", message=f"{stage}: {exc!r}")
    if retry is not None:  # every step task has max_retries=None: retry never gives up by itself
        raise task.retry(countdown=retry[0], kwargs={"step_id": step_id, "memo": retry[1]})


def current_message(task: StepTask, step_id: str) -> None:
    """Drop a stale copy of the step's message (worker.flow.recovery): Ignore ends the task
    without running the chain's next link."""
    rt, token = runtime(), getattr(task.request, recovery.MESSAGE_HEADER, None)
    if not recovery.admit(rt.store.r, rt.store.keys, step_id, token):
        log.warning("stage.stale-copy", step_id=step_id, task=task.name, retries=task.request.retries)
        raise Ignore()


@app.task(bind=True, base=StepTask, name=C.TASK_ADJUST, max_retries=None, soft_time_limit=300, time_limit=360)
def adjust(self: StepTask, step_id: str, memo: dict[str, Any] | None = None) -> str:
    current_message(self, step_id)
    with step_errors(self, step_id, "adjust", memo):
        pipeline.adjust_stage(runtime(), step_id, memo or {}, self.progress(step_id), blocked)
    return step_id


@app.task(bind=True, base=StepTask, name=C.TASK_POLL, max_retries=None, soft_time_limit=60, time_limit=90)
def poll_stability(self: StepTask, step_id: str, memo: dict[str, Any] | None = None) -> str:
    current_message(self, step_id)
    self.record_abort(step_id)  # run_poll reads the cancel flag and rolls back
    with step_errors(self, step_id, "settle", memo):
        poll.run_poll(runtime(), step_id, memo or {}, self.progress(step_id))
    return step_id


@app.task(bind=True, base=StepTask, name=C.TASK_BENCHMARK, max_retries=None)
def benchmark(self: StepTask, step_id: str, memo: dict[str, Any] | None = None) -> str:
    current_message(self, step_id)
    with step_errors(self, step_id, "measure", memo):
        ready_at = pipeline.run_benchmark(runtime(), step_id, self.progress(step_id),
                                          self.cancel_check(step_id))
        if ready_at is not None:
            collect_metrics.apply_async(kwargs={"step_id": step_id, "memo": {"ready_at": ready_at}},
                                        countdown=max(ready_at - time.time(), 0),
                                        task_id=f"{step_id}.metrics",
                                        shadow=shadow_name(runtime().store.require(step_id), "metrics"))
    return step_id


@app.task(bind=True, base=StepTask, name=C.TASK_METRICS, max_retries=None, soft_time_limit=120,
          time_limit=150)
def collect_metrics(self: StepTask, step_id: str, memo: dict[str, Any] | None = None) -> str:
    current_message(self, step_id)
    ready_at = float((memo or {}).get("ready_at", 0))
    with step_errors(self, step_id, "metrics", memo):
        try:
            pipeline.run_metrics(runtime(), step_id, ready_at)
        except pipeline.RunAgain as wait:
            raise pipeline.RunAgain(wait.countdown, {"ready_at": ready_at}) from None
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
        record = runtime().store.get(step_id)
        if record:
            structlog.contextvars.bind_contextvars(component=record["component"])
            worker = getattr(getattr(task, "request", None), "hostname", None) or "unknown"
            recovery.note_run(runtime().store, record, getattr(task, "name", "").rsplit(".", 1)[-1], worker)


@signals.task_postrun.connect
def _unbind(**_: Any) -> None:
    structlog.contextvars.clear_contextvars()


# Fast recovery (worker.flow.recovery): heartbeats and reclaims in the main process, on every
# broker connection; the tag of every message taken is noted before it can run.
app.steps["consumer"].add(recovery.RecoveryStep)
recovery.patch_kombu_restore()


@signals.task_received.connect
def _took(request: Any = None, **_: Any) -> None:
    recovery.on_task_received(request)


@signals.before_task_publish.connect
def _stamp(headers: dict[str, Any] | None = None, body: Any = None, **_: Any) -> None:
    """Every stage message a worker's task sends becomes its step's next one (worker.flow.recovery).
    Only from inside a task: a producer that imported this module publishes to its own
    Redis and namespace, not necessarily this process's runtime's."""
    if not current_task or not current_task.request.id:  # a proxy: falsy outside a task
        return
    kwargs = body[1] if isinstance(body, list | tuple) and len(body) > 1 else None
    step_id = kwargs.get("step_id") if isinstance(kwargs, dict) else None
    if headers is not None and step_id and str(headers.get("task", "")).startswith("servo."):
        recovery.on_publish(runtime().store.r, runtime().store.keys, headers, step_id)


@signals.worker_ready.connect
def _preflight_at_start(**_: Any) -> None:
    """Run the critical checks once at start, saying in the log why a component is refused."""
    try:
        for name in runtime().config.components:
            why = blocked(name)
            if why:
                log.error("preflight.refused", component=name, why=why)
            else:
                log.info("preflight.ok", component=name)
    except Exception as exc:  # the worker still starts; each step checks again
        log.exception("preflight.error", error=str(exc))
