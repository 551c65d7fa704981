"""The measure stage: run apache bench against the settled service, record its part of the
measurement, then add CloudWatch's datapoints for the same window once they are published."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from worker.contract import constants as C
from worker.contract.errors import ConfigError
from worker.contract.namespace import Keys, process_keys
from worker.contract.records import TERMINAL
from worker.flow import lease
from worker.flow.runtime import ReportStage, RunAgain, Runtime, cancelled, end

if TYPE_CHECKING:  # ab's runner loads only where a benchmark runs
    from worker.load.abrun import CancelCheck

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
