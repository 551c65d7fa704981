"""The stages of a step as plain functions over the record store, the config and AWS.

Each stage reads the step record, does its part, and writes the record: Celery tasks
(worker.flow.tasks) only call these. Every stage is safe to run twice: a terminal record is
left alone, adjust reuses the snapshot it stored before changing anything, and the poll
keeps its phase (settling or rolling back) in the record, not only in the retry message
(the poll stage is `worker.flow.settling`; its decisions are `worker.aws.settle`'s).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from worker.aws import fargate, settle, target
from worker.aws.budget import BATCH, SERVICES, TASK_DEFS, Budget, rates_from_env
from worker.aws.clients import Clients
from worker.aws.looks import SharedLooks
from worker.contract import constants as C
from worker.contract import expiry
from worker.contract.config import Component, Config, load_config
from worker.contract.errors import AdjustmentRejected, AwsTerminal, ConfigError, TransientError
from worker.contract.namespace import Keys, process_keys
from worker.contract.numbers import env_number
from worker.contract.records import TERMINAL, RecordStore
from worker.contract.steps import Target
from worker.flow import lease, logs

if TYPE_CHECKING:  # ab's runner loads only where a benchmark runs
    from worker.load.abrun import CancelCheck

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


# -- adjust -------------------------------------------------------------------------------

ADJUST_READS = 1  # DescribeServices: the pre-step snapshot, which adjust then works from
# Task definition reads: the service's revision, ListTaskDefinitions (a family prefix shared
# with other families may take a second page) and the newest revision compared; the sandbox's
# call log counted 4.0 an adjust with 200 services (bench/README.md). Too few here and the
# account is throttled: worker/aws/fargate.py's reuse scan may compare more.
ADJUST_TASK_DEF_READS = 4


def adjusts_per_s(budget: Budget) -> float:
    """Adjusts a second the budget lets through: half the service reads (the rest is the
    looks'), and the task definition reads."""
    return min(budget.rates[SERVICES] / 2 / ADJUST_READS, budget.rates[TASK_DEFS] / ADJUST_TASK_DEF_READS)


def run_adjust(rt: Runtime, step_id: str, progress: ReportStage,
               blocked: Callable[[str], str | None]) -> None:
    rec = rt.store.require(step_id)
    if rec["status"] in TERMINAL or rec["status"] == "settling":
        return
    if why := expiry.why_expired(rt.store, rec):  # queued too long: never runs
        end(rt, step_id, "expired", reason="expired", message=why)
        return
    if why := target.check(rt, rec):  # meant for another account, endpoint, service or config
        end(rt, step_id, "rejected", reason="wrong-target", message=why)
        return
    comp = rt.component(rec)
    if rec["applied"]:  # a redelivery after the change was recorded: only move on
        _applied(rt, step_id, rec["applied"])
        return
    if cancelled(rt, step_id):
        end(rt, step_id, "cancelled", reason="cancelled", message="cancelled before anything changed")
        return
    if why := blocked(comp.name):
        end(rt, step_id, "rejected", reason="invalid-service", message=f"preflight failed: {why}")
        return
    budget, burst = rt.looks.budget, rt.looks.budget.burst(SERVICES)
    # Half the service-read bucket stays for looks: detecting the changes made goes before
    # making new ones. Task definition reads are taken with it, all or none.
    if not budget.take_all({SERVICES: (ADJUST_READS, max(0.0, min(burst / 2, burst - ADJUST_READS))),
                            TASK_DEFS: (ADJUST_TASK_DEF_READS, 0.0)}):
        wait = budget.wait_in_line(step_id, adjusts_per_s(budget))
        progress("queued", 0, f"waiting for the account's API budget (service and task definition reads): "
                              f"next try in {wait:.1f} s")
        raise RunAgain(wait)
    budget.leave_line(step_id)
    key = rt.lease_key(comp)
    if not lease.acquire(rt.store.r, key, step_id):
        holder = lease.holder(rt.store.r, key)
        progress("queued", 0, f"waiting for step {holder} to finish with service {comp.service_name}")
        raise RunAgain(C.LEASE_WAIT_S)
    if rt.store.stage(step_id, "adjust", "start", status="adjusting")["status"] != "adjusting":
        lease.release(rt.store.r, key, step_id)  # cancelled while it waited for the lease
        return
    progress("adjusting", 5, f"adjusting service {comp.service_name}")
    previous, state = rec["previous"], None
    if previous is None:  # stored before any change, so a redelivery rolls back to it
        state = fargate.read_state(rt.clients.ecs, comp)
        previous = asdict(state.snapshot)
        rt.store.set_fields(step_id, previous=previous)
    try:  # adjust works from that same read: nothing has changed the service since
        result = fargate.adjust(rt.clients.ecs, comp, Target.from_dict(rec["target"]),
                                previous=fargate.Snapshot(**previous), state=state)
    except AdjustmentRejected as exc:  # nothing was changed: adjust checks before it mutates
        end(rt, step_id, "rejected", reason=exc.reason, message=exc.message)
        return
    _applied(rt, step_id, result.to_dict())
    what = "registered" if result.registered else "reused" if result.reused else "kept"
    progress("settling", 10, f"{what} {result.task_definition.rsplit('/', 1)[-1]}, "
                             f"desired {result.desired_count}")


def _applied(rt: Runtime, step_id: str, applied: dict[str, Any]) -> None:
    """Record the change and enter settling in one write: a worker dying between two
    writes would leave a step that no later stage picks up."""
    def change(rec: dict[str, Any]) -> None:
        stages = rec["stages"]
        stages.setdefault("adjust", {}).setdefault("end", time.time())
        stages.setdefault("settle", {}).setdefault("start", stages["adjust"]["end"])
        rec.update(applied=applied, status="settling")
    rt.store.update(step_id, change)


def adjust_stage(rt: Runtime, step_id: str, memo: dict[str, Any], progress: ReportStage,
                 blocked: Callable[[str], str | None]) -> None:
    """The adjust task's body: run_adjust, with AWS's errors handled as worker.aws.clients classifies them."""
    try:
        run_adjust(rt, step_id, progress, blocked)
    except TransientError as exc:
        adjust_failed(rt, step_id, exc, memo)
    except AwsTerminal as exc:  # adjust changes nothing before its last call: nothing to undo
        log.error("step.terminal", step_id=step_id, error=str(exc))
        end(rt, step_id, "failed", reason=exc.reason, message=f"adjust: {exc}")


def adjust_failed(rt: Runtime, step_id: str, exc: TransientError, memo: dict[str, Any]) -> None:
    """A transient AWS error in adjust: run it again after a backoff until the step's
    settle deadline (counted from adjust's start); past it, roll back when a pre-step
    snapshot exists (the UpdateService that failed may still have been applied), else end."""
    rec = rt.store.require(step_id)
    comp = rt.component(rec)
    began = float((rec["stages"].get("adjust") or {}).get("start") or rec["created_at"])
    errors = int(memo.get("errors", 0))
    if time.time() < began + comp.settle_timeout:
        log.warning("adjust.transient", step_id=step_id, error=str(exc), attempt=errors + 1)
        raise RunAgain(min(settle.TRANSIENT_FIRST_S * 2 ** min(errors, 10), settle.TRANSIENT_CAP_S),
                    {"errors": errors + 1})
    message = f"AWS kept failing until the {comp.settle_timeout:g} s deadline: {exc}"
    if rec["previous"] is None:  # nothing was read, so nothing was changed
        end(rt, step_id, "failed", reason="aws-transient", message=message)
        return
    now = time.time()

    def change(r: dict[str, Any]) -> None:  # the poll asks ECS for the pre-step state
        r["stages"].setdefault("settle", {}).setdefault("start", now)
        r.update(status="settling", rollback={"reason": "aws-transient", "message": message,
                                              "started_at": now, "requested": False, **r["previous"]})
    rt.store.update(step_id, change)


# -- benchmark ----------------------------------------------------------------------------

def ab_config(rt: Runtime, rec: dict[str, Any]) -> Any:
    overrides = {k: v for k, v in (rec.get("control") or {}).items()
                 if k in ("duration", "warmup", "concurrency", "requests", "headers")}
    if "headers" in overrides:  # JSON carries the step's header lines as a list
        overrides["headers"] = tuple(overrides["headers"])
    return replace(rt.config.ab, **overrides)


def run_benchmark(rt: Runtime, step_id: str, progress: ReportStage,
                  cancelled_by: CancelCheck) -> float | None:
    """Run ab; return when CloudWatch should be read (None: the step is finished)."""
    rec = rt.store.require(step_id)
    if rec["status"] != "measuring":
        return None
    if rec.get("window") and rt.config.cloudwatch:  # redelivered after the run was recorded:
        return float(rec["window"][1]) + rt.config.cloudwatch.delay  # the service may be the next step's now
    cfg = ab_config(rt, rec)
    if not cfg.url:
        end(rt, step_id, "failed", reason="no-load-url", message="ab.url is not set (config or $AB_TEST_URL)")
        return None
    host_key = load_host_key(rt.store.keys)
    if not lease.acquire(rt.store.r, host_key, step_id):  # one load per host: two would distort both
        progress("measuring", 0, f"waiting for step {lease.holder(rt.store.r, host_key)} to finish "
                                 "its benchmark on this host")
        raise RunAgain(C.LEASE_WAIT_S)
    try:
        return _benchmark(rt, step_id, rec, cfg, progress, cancelled_by)
    finally:
        lease.release(rt.store.r, host_key, step_id)


def load_host_key(keys: Keys | None = None) -> str:
    return (keys or process_keys()).load_host(os.environ.get(C.ENV_LOAD_HOST) or socket.gethostname())


def _benchmark(rt: Runtime, step_id: str, rec: dict[str, Any], cfg: Any, progress: ReportStage,
               cancelled_by: CancelCheck) -> float | None:
    from worker.contract.errors import MeasurementFailed
    from worker.load.abrun import AbFailed, run_ab
    from worker.load.measurement import build_measurement

    key = rt.lease_key(rt.component(rec))
    host_key = load_host_key(rt.store.keys)
    rt.store.stage(step_id, "measure", "start")

    def on_progress(phase: str, elapsed: float, planned: float) -> None:
        lease.renew(rt.store.r, key, step_id)
        lease.renew(rt.store.r, host_key, step_id)
        total = cfg.warmup + cfg.duration
        done = elapsed + (cfg.warmup if phase == "measure" else 0)
        progress("measuring", int(100 * done / max(total, 1e-9)),
                 f"{phase} {elapsed:.0f}/{planned:.0f} s at concurrency {cfg.concurrency}")

    try:
        run = run_ab(cfg, progress=on_progress, cancel=lambda: cancelled_by() or cancelled(rt, step_id))
    except AbFailed as exc:
        status = "cancelled" if exc.kind == "cancelled" else "failed"
        end(rt, step_id, status, reason=exc.kind, message=str(exc))
        return None
    except (MeasurementFailed, ConfigError) as exc:
        end(rt, step_id, "failed", reason="measurement", message=str(exc))
        return None
    measurement = build_measurement(run).to_dict()
    fields: dict[str, Any] = {"measurement": measurement, "window": [run.started, run.finished]}
    if run.cancelled:
        end(rt, step_id, "cancelled", reason="cancelled", message="cancelled during the benchmark; "
            "the partial result is kept", **fields)
        return None
    lease.release(rt.store.r, key, step_id)  # the service is free while CloudWatch catches up
    cw = rt.config.cloudwatch
    if cw is None or not cw.metrics:
        end(rt, step_id, "succeeded", **fields)
        return None
    ready = run.finished + cw.delay
    rt.store.stage(step_id, "measure", "end", **fields,
                   progress={"percent": 95, "stage": "measuring",
                             "message": f"waiting {cw.delay:g} s for CloudWatch data"})
    return ready


def run_metrics(rt: Runtime, step_id: str, ready_at: float) -> None:
    from worker.aws.cloudwatch import period_of, read_run, reread_at, short
    from worker.load.measurement import Measurement, with_cloudwatch

    rec = rt.store.require(step_id)
    if rec["status"] in TERMINAL:
        return
    if time.time() < ready_at:
        raise RunAgain(ready_at - time.time())
    cw = rt.config.cloudwatch
    assert cw is not None
    started, finished = rec["window"]
    metrics, window = read_run(rt.clients.cloudwatch, cw.metrics, started, finished)
    again = reread_at(ready_at, cw.delay, period_of(cw.metrics))
    if short(metrics) and time.time() < again:
        raise RunAgain(again - time.time())  # late datapoints: read once more, then report partial
    merged = with_cloudwatch(Measurement.from_dict(rec["measurement"]), metrics, window)
    end(rt, step_id, "succeeded", measurement=merged.to_dict())
