"""The poll stage: look at a settling (or rolling-back) service once, let `settle.decide`
choose the next action, and do it.

Every fact the decision needs is in the step record (when settling began, whether and why
a rollback began and whether ECS accepted it) or in the retry's memo (the last wait, the
transient errors in a row, what the Watcher already read), so a redelivered poll decides
the same. The record is written before AWS is asked for anything that changes the service.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from worker.aws import fargate
from worker.aws.looks import digest
from worker.aws.settle import (
    Action,
    Finish,
    Idle,
    LookAgain,
    Looked,
    Rejected,
    RollBack,
    Rollback,
    Seen,
    Stable,
    Terminal,
    Transient,
    View,
    decide,
)
from worker.aws.stability import TARGETS_PERCENT, Expectation, Watcher
from worker.contract import constants as C
from worker.contract.config import Component
from worker.contract.errors import AdjustmentRejected, AwsTerminal, ServoError, TransientError
from worker.flow import lease, logs, watch
from worker.flow.runtime import ReportStage, RunAgain, Runtime, cancelled, end, poll_pace

log = logs.get("servo.poll")


def run_poll(rt: Runtime, step_id: str, memo: dict[str, Any], progress: ReportStage) -> None:
    """One look at the service. Raises RunAgain to look again; returns when settled or ended."""
    rec = rt.store.require(step_id)
    if rec["status"] != "settling":
        return  # ended, or past settling (a redelivered poll after the step moved on)
    comp = rt.component(rec)
    if memo.get(watch.SLEEP_MEMO):
        watch.woke(rt.store.r, rt.store.keys, comp.cluster, comp.service_name)
    key = rt.lease_key(comp)
    holder = None if lease.acquire(rt.store.r, key, step_id) else lease.holder(rt.store.r, key)
    phase = "settle" if rec.get("rollback") is None else "rollback"
    same = memo.get("phase") == phase  # a rollback must not inherit the step's waits or dead tasks
    pace = poll_pace(rt.store.r, comp, rt.store.keys)
    view = View.of(rec, settle_timeout=comp.settle_timeout, rollback_timeout=comp.rollback_timeout,
                   cancel_requested=cancelled(rt, step_id), lease_holder=holder or None,
                   interval=float(memo.get("interval", 0.0)) if same else 0.0,
                   errors=int(memo.get("errors", 0)) if same else 0, cap=pace.cap)
    watcher: Watcher | None = None
    seen: Seen = Idle()
    if holder is None and not (view.rollback and not view.rollback.requested):
        watcher = _watcher(rt, comp, rec, memo.get("watch") if same else None)
        seen = observe(watcher)
        _remember_deployment(rt, step_id, rec, watcher)
    watched = watcher.memo() if watcher else memo.get("watch") if same else None
    action = decide(view, seen, time.time())
    # A look that left a check for the next one (stopped tasks it could not list yet) does not
    # sleep: the view it judged already shows why, so no watch loop would see news to wake it.
    if isinstance(action, LookAgain) and pace.sleep and _going(seen) and watcher and watcher.seen \
            and not watcher.deferred:
        action = _sleep(view, action, pace.sleep, comp, digest(watcher.seen))
    _act(rt, step_id, comp, view, action, {"phase": phase, "watch": watched}, progress)


@dataclass(frozen=True)
class Sleep(LookAgain):
    """Look again after a long sleep, unless a watch loop wakes the poll on news first."""

    where: tuple[str, str] = ("", "")  # cluster, service
    judged: str = ""  # the digest of the view this look judged: a watch loop wakes on any other


def _going(seen: Seen) -> bool:
    """The look saw a rollout going on, which only a change of the service view can end: target
    health (read once the counts are done) is not in the view, so that wait is not slept."""
    return isinstance(seen, Looked) and seen.obs.state == "settling" and seen.obs.percent < TARGETS_PERCENT


def _sleep(view: View, action: LookAgain, sleep: float, comp: Component, judged: str) -> LookAgain:
    """The look again as a sleep (`_going`: a judged look, so never a transient backoff)."""
    until_deadline = view.deadline - time.time()
    after = max(action.after, min(sleep, until_deadline))
    if after <= action.after:
        return action
    return Sleep(after, action.percent, action.message, where=(comp.cluster, comp.service_name),
                 judged=judged)


def observe(watcher: Watcher) -> Seen:
    """One look, with AWS's errors as what they mean for the step."""
    try:
        return Looked(watcher.poll())
    except (AwsTerminal, AdjustmentRejected, TransientError) as exc:
        return seen_of(exc)


def seen_of(exc: AwsTerminal | AdjustmentRejected | TransientError) -> Seen:
    """An AWS error as what it means for the step (worker.aws.clients.classify made it)."""
    if isinstance(exc, AwsTerminal):
        return Terminal(exc.reason, str(exc))
    if isinstance(exc, AdjustmentRejected):
        return Rejected(exc.reason, exc.message)
    return Transient(str(exc))


def _watcher(rt: Runtime, comp: Component, rec: dict[str, Any], memo: dict[str, Any] | None) -> Watcher:
    rollback = rec.get("rollback")
    if rollback is None:
        applied = rec["applied"]
        expect = Expectation(applied["task_definition"], applied["desired_count"], applied["deployment_id"],
                             rec["stages"]["settle"]["start"])
    else:
        prev = rec["previous"]
        expect = Expectation(prev["task_definition"], prev["desired_count"], rollback.get("deployment_id"),
                             rollback["started_at"])
    return Watcher(rt.clients, comp, expect, memo, looks=rt.looks)


def _remember_deployment(rt: Runtime, step_id: str, rec: dict[str, Any], watcher: Watcher) -> None:
    """The deployment id, once first seen (moto and a late UpdateService answer omit it)."""
    rollback = rec.get("rollback")
    known = (rec["applied"] if rollback is None else rollback).get("deployment_id")
    found = watcher.expect.deployment_id
    if known or not found:
        return

    def change(r: dict[str, Any]) -> None:
        (r["applied"] if rollback is None else r["rollback"])["deployment_id"] = found
    rt.store.update(step_id, change)


def _act(rt: Runtime, step_id: str, comp: Component, view: View, action: Action, memo: dict[str, Any],
         progress: ReportStage) -> None:
    if isinstance(action, LookAgain):
        progress("settling", action.percent, action.message)
        interval = view.interval if action.transient else min(action.after, view.cap)
        errors = view.errors + 1 if action.transient else 0
        sleep = {}
        if isinstance(action, Sleep):  # a watch loop may wake it: worker/flow/watch.py
            sleep = {watch.SLEEP_MEMO: [*action.where, action.after, action.judged]}
        raise RunAgain(action.after, {**memo, "interval": interval, "errors": errors, **sleep})
    rt.looks.forget(comp)  # no more looks at it: a batch names only services still settling
    if isinstance(action, Stable):
        rec = rt.store.require(step_id)
        runs = {k: rec["applied"][k] for k in ("task_definition", "desired_count")}
        rt.store.stage(step_id, "settle", "end", status="measuring", runs=runs)
        progress("measuring", 0, action.message)  # measuring starts (worker/flow/progress.py)
        return
    if isinstance(action, RollBack):
        _roll_back(rt, step_id, comp, view, action, memo, progress)
        return
    _finish(rt, step_id, comp, action)


def _roll_back(rt: Runtime, step_id: str, comp: Component, view: View, action: RollBack, memo: dict[str, Any],
               progress: ReportStage) -> None:
    """Record why first (a redelivery must not forget it), then ask ECS for the pre-step
    revision and count. An error asking is judged like any look's error."""
    started = view.rollback.started_at if view.rollback else time.time()
    rec = rt.store.require(step_id)
    rollback = {**(rec.get("rollback") or {}), "reason": action.reason, "message": action.message,
                "started_at": started, "requested": False, **rec["previous"]}
    if view.rollback is None:
        log.warning("step.rollback", step_id=step_id, reason=action.reason, message=action.message)
    rt.store.set_fields(step_id, rollback=rollback)
    progress("settling", 50, f"rolling back: {action.reason}")
    after = replace(view, rollback=Rollback(action.reason, action.message, started, False), interval=0.0,
                    errors=view.errors if view.rollback else 0)
    try:
        dep = fargate.rollback(rt.clients.ecs, comp, fargate.Snapshot(**rec["previous"]))
    except (AwsTerminal, AdjustmentRejected, TransientError) as exc:
        then = decide(after, seen_of(exc), time.time())  # look again later, or give up
        _act(rt, step_id, comp, after, then, {"phase": "rollback"}, progress)
        return
    rt.store.set_fields(step_id, rollback={**rollback, "requested": True, "deployment_id": dep})
    raise RunAgain(C.DEFAULT_POLL_FIRST_S, {"phase": "rollback"})


def _finish(rt: Runtime, step_id: str, comp: Component, action: Finish) -> None:
    rec = rt.store.require(step_id)
    if action.runs == "read":
        runs = service_runs(rt, comp)
    else:
        runs = {k: rec[action.runs][k] for k in ("task_definition", "desired_count")}
    fields: dict[str, Any] = {"runs": runs}
    if action.rollback_ok is not None:
        fields["rollback"] = {**(rec.get("rollback") or {}), "ok": action.rollback_ok,
                              "message": action.rollback_message}
    if action.reason == "rollback-failed":
        log.error("step.rollback-failed", step_id=step_id, message=action.message, runs=runs)
    end(rt, step_id, action.status, reason=action.reason, message=action.message, **fields)


def service_runs(rt: Runtime, comp: Component) -> dict[str, Any]:
    """What the service runs now, read from AWS (or why it could not be read)."""
    try:
        service = fargate.describe_service(rt.clients.ecs, comp)
    except ServoError as exc:
        return {"error": f"could not read the service: {exc}"}
    return {"task_definition": service["taskDefinition"], "desired_count": int(service["desiredCount"])}
