"""Settling and rolling back a step: one pure state machine.

`decide(view, observation, now)` says what the poll task does next: look again after N s,
roll back (reason, message), declare the step stable, or finish it (status, reason,
message, and what the service runs). The poll task (`poll.run_poll`) only observes
the service, calls `decide`, and acts; everything `decide` needs about the past is in the
step record (`View.of`), so a redelivered poll reaches the same decision.

The rules it keeps:
- a transient AWS error is "look again later" until the phase's deadline, never an end;
- every failure while settling (rejected, timeout, transient past the deadline, terminal,
  cancel) rolls back; a rollback is retried until `rollback_timeout`, and one that cannot
  complete finishes `failed` with reason `rollback-failed` and what the service really runs;
- a terminal error ends the phase at once (settling: roll back now; rolling back: give up);
- while rolling back, failing tasks are waited out (the pre-step revision ran before), but a
  failed or replaced rollback deployment gives up at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from worker.aws.stability import Observation
from worker.contract import constants as C
from worker.contract.errors import FAIL_REASONS

TRANSIENT_FIRST_S = 0.5  # first wait after a transient error; doubles per error in a row
TRANSIENT_CAP_S = 20.0  # longest wait after transient errors (botocore standard mode's cap)
Runs = Literal["previous", "applied", "read"]  # what the service runs at the end: read = ask AWS


# -- what the decision reads -----------------------------------------------------------------

@dataclass(frozen=True)
class Rollback:
    """A rollback the record says has begun."""

    reason: str  # why the step failed: a REJECT_REASONS or FAIL_REASONS entry
    message: str
    started_at: float  # epoch seconds: its deadline counts from here
    requested: bool  # UpdateService back to the pre-step revision went through


@dataclass(frozen=True)
class View:
    """The step record and component settings the decision needs (pure data)."""

    settle_started: float  # epoch seconds
    settle_timeout: float
    rollback_timeout: float
    rollback: Rollback | None = None
    cancel_requested: bool = False
    lease_holder: str | None = None  # another step that holds the service's lease now
    interval: float = 0.0  # the wait before this look (0: the first look)
    errors: int = 0  # transient errors in a row before this observation
    cap: float = C.DEFAULT_POLL_CAP_S  # longest wait between two looks

    @classmethod
    def of(cls, record: Mapping[str, Any], *, settle_timeout: float, rollback_timeout: float,
           **live: Any) -> View:
        rb = record.get("rollback")
        rollback = None if rb is None else Rollback(rb["reason"], rb["message"], float(rb["started_at"]),
                                                    bool(rb.get("requested")))
        return cls(float(record["stages"]["settle"]["start"]), settle_timeout, rollback_timeout,
                   rollback, **live)

    @property
    def deadline(self) -> float:
        if self.rollback is None:
            return self.settle_started + self.settle_timeout
        return self.rollback.started_at + self.rollback_timeout


# -- what the poll saw -------------------------------------------------------------------------

@dataclass(frozen=True)
class Looked:
    """AWS answered and the look was judged (stability.evaluate)."""

    obs: Observation


@dataclass(frozen=True)
class Transient:
    """AWS answered with a transient error (throttling, 5xx, a conflict, the network)."""

    message: str


@dataclass(frozen=True)
class Terminal:
    """AWS refused for good (access denied, not found, invalid parameter); `reason` is one of
    FAIL_REASONS and `message` names the action and resource."""

    reason: str
    message: str


@dataclass(frozen=True)
class Rejected:
    """An AdjustmentRejected raised while polling (the service vanished, an unmapped refusal)."""

    reason: str
    message: str


@dataclass(frozen=True)
class Idle:
    """Nothing was looked at: the rollback must be asked for first."""


Seen = Looked | Transient | Terminal | Rejected | Idle


# -- what to do next ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LookAgain:
    after: float  # seconds
    percent: int
    message: str
    transient: bool = False  # the wait is a backoff after a transient error


@dataclass(frozen=True)
class RollBack:
    """Record why (if not yet recorded), then ask ECS for the pre-step revision and count."""

    reason: str
    message: str


@dataclass(frozen=True)
class Stable:
    message: str


@dataclass(frozen=True)
class Finish:
    status: str  # rejected, cancelled or failed
    reason: str
    message: str
    runs: Runs
    rollback_ok: bool | None  # None: no rollback was attempted
    rollback_message: str = ""


Action = LookAgain | RollBack | Stable | Finish


def decide(view: View, seen: Seen, now: float) -> Action:
    """The next action of a settling or rolling-back step (pure)."""
    if view.lease_holder is not None:
        # Another step owns the service now and stored it as its own pre-step state: a
        # rollback here would undo that step's change under it, so this step only reports.
        return Finish("failed", "lease-lost", f"step {view.lease_holder} took the service while this "
                      "step's worker was down; this step did not finish", "read", None)
    if view.rollback is None:
        return _settling(view, seen, now)
    return _rolling_back(view, view.rollback, seen, now)


def _settling(view: View, seen: Seen, now: float) -> Action:
    late = now >= view.deadline
    if view.cancel_requested:
        return RollBack("cancelled", "cancelled while settling")
    if isinstance(seen, Terminal | Rejected):
        return RollBack(seen.reason, seen.message)
    if isinstance(seen, Transient):
        if late:
            return RollBack("aws-transient", f"AWS kept failing until the {view.settle_timeout:g} s "
                            f"deadline: {seen.message}")
        return _backoff(view, now, 10, seen.message)
    if isinstance(seen, Idle):
        return _look_again(view, now, 10, "waiting for the first look")
    obs = seen.obs
    if obs.state == "stable":
        return Stable(obs.message)
    if obs.state == "failed":
        return RollBack(obs.reason or "unstable", obs.message)
    if late:
        return RollBack("timeout", f"not stable after {view.settle_timeout:g} s: {obs.message}")
    return _look_again(view, now, 10 + int(obs.percent * 0.9), obs.message)


def _rolling_back(view: View, rb: Rollback, seen: Seen, now: float) -> Action:
    late = now >= view.deadline
    if isinstance(seen, Terminal | Rejected):
        return _rollback_failed(rb, seen.message)
    if isinstance(seen, Transient):
        if late:
            return _rollback_failed(rb, f"AWS kept failing for {view.rollback_timeout:g} s: {seen.message}")
        return _backoff(view, now, 50, f"rolling back: {seen.message}")
    if not rb.requested:
        if late:
            return _rollback_failed(rb, f"ECS did not accept the rollback in {view.rollback_timeout:g} s")
        return RollBack(rb.reason, rb.message)
    if isinstance(seen, Idle):
        return _look_again(view, now, 50, "rolling back")
    obs = seen.obs
    if obs.state == "stable":
        return Finish(status_of(rb.reason), rb.reason, rb.message, "previous", True, obs.message)
    if obs.state == "failed" and obs.reason != "start-failed":
        return _rollback_failed(rb, obs.message)  # the rollback's own deployment failed or was replaced
    if late:
        return _rollback_failed(rb, f"not stable after {view.rollback_timeout:g} s: {obs.message}")
    # Tasks of the pre-step revision that fail to start (or the step's own, just before the
    # rollback began) are ECS's to retry: the revision ran before, so wait for it.
    return _look_again(view, now, 50, f"rolling back: {obs.message}")


def _rollback_failed(rb: Rollback, why: str) -> Finish:
    return Finish("failed", "rollback-failed", f"rollback failed: {why} (the step had failed: {rb.reason}: "
                  f"{rb.message})", "read", False, why)


def status_of(reason: str) -> str:
    """The final status of a step rolled back for `reason`."""
    if reason == "cancelled":
        return "cancelled"
    return "failed" if reason in FAIL_REASONS else "rejected"


def _look_again(view: View, now: float, percent: int, message: str) -> LookAgain:
    after = C.DEFAULT_POLL_FIRST_S if view.interval <= 0 else min(view.interval * 2, view.cap)
    return LookAgain(_until(view, now, after), percent, message)


def _backoff(view: View, now: float, percent: int, message: str) -> LookAgain:
    after = min(TRANSIENT_FIRST_S * 2 ** min(view.errors, 10), TRANSIENT_CAP_S)
    return LookAgain(_until(view, now, after), percent, f"AWS: {message}; looking again", transient=True)


def _until(view: View, now: float, after: float) -> float:
    """Never wait past the deadline: the look right after it decides."""
    return max(min(after, view.deadline - now), 0.0)
