"""The adjust stage: check the step is still wanted and meant for this target, take the
service's lease and the API budget, snapshot the service, and register and roll out the
step's task definition (worker/aws/fargate.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from worker.aws import fargate, settle, target
from worker.aws.budget import ADJUST_SERVICE_READS, REGISTERS, SERVICES, TASK_DEFS, UPDATES, Budget
from worker.contract import constants as C
from worker.contract import expiry
from worker.contract.errors import AdjustmentRejected, AwsTerminal, TransientError
from worker.contract.records import TERMINAL
from worker.contract.steps import Target
from worker.flow import lease, logs
from worker.flow.runtime import ReportStage, RunAgain, Runtime, cancelled, end

log = logs.get("servo.pipeline")


# Task definition reads: the service's revision, ListTaskDefinitions (a family prefix shared
# with other families may take a second page) and the newest revision compared; the sandbox's
# call log counted 4.0 an adjust with 200 services (bench/README.md). Too few here and the
# account is throttled: worker/aws/fargate.py's reuse scan may compare more.
ADJUST_TASK_DEF_READS = 4


def adjusts_per_s(budget: Budget, registers: bool = False) -> float:
    """Adjusts a second the budget lets through: half the service reads (the rest is the
    looks'), the task definition reads, the UpdateServices, and for steps that register a
    revision, the registrations (AWS sustains 1 a second per account)."""
    rates = budget.rates
    rate = min(rates[SERVICES] / 2 / ADJUST_SERVICE_READS, rates[TASK_DEFS] / ADJUST_TASK_DEF_READS,
               rates[UPDATES])
    return min(rate, rates[REGISTERS]) if registers else rate


def run_adjust(rt: Runtime, step_id: str, progress: ReportStage,
               blocked: Callable[[str], str | None], memo: dict[str, Any] | None = None) -> None:
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
    budget = rt.looks.budget
    # The service read is left to it by the looks while it waits in line (worker/aws/budget.py,
    # LOOK); task definition reads and the UpdateService are taken with it, all or none, and a
    # registration too once an earlier try found that the step needs one.
    registers = bool((memo or {}).get("register"))
    costs = {SERVICES: (ADJUST_SERVICE_READS, 0.0), TASK_DEFS: (ADJUST_TASK_DEF_READS, 0.0),
             UPDATES: (1, 0.0), **({REGISTERS: (1, 0.0)} if registers else {})}
    if not budget.take_all(costs):
        wait = budget.wait_in_line(step_id, adjusts_per_s(budget, registers))
        what = "reads and a registration" if registers else "reads"
        progress("queued", 0, f"waiting for the account's API budget (service and task definition {what}): "
                              f"next try in {wait:.1f} s")
        raise RunAgain(wait, {"register": registers})
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
                                previous=fargate.Snapshot(**previous), state=state,
                                may_register=lambda: registers or budget.take(REGISTERS))
    except AdjustmentRejected as exc:  # nothing was changed: adjust checks before it mutates
        end(rt, step_id, "rejected", reason=exc.reason, message=exc.message)
        return
    except fargate.RegisterLater:  # nothing was changed: the next try takes a registration first
        wait = budget.wait_in_line(step_id, adjusts_per_s(budget, registers=True))
        progress("queued", 5, f"waiting for the account's API budget (a task definition registration): "
                              f"next try in {wait:.1f} s")
        raise RunAgain(wait, {"register": True}) from None
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
        run_adjust(rt, step_id, progress, blocked, memo)
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
