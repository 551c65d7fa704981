"""The settle/rollback state machine (worker.aws.settle.decide) against random observation
sequences, errors included: hypothesis plays a poll loop over a two-state service model
(it runs the pre-step revision or the step's) and checks the invariants of issue 10."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from worker.aws.settle import (
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
    status_of,
)
from worker.aws.stability import Observation

TERMINAL_REASONS = ("access-denied", "aws-not-found", "aws-invalid")
# Fewer random runs per mutant when mutmut runs these tests (setup.cfg [mutmut]).
EXAMPLES = 60 if "MUTANT_UNDER_TEST" in os.environ else 300

looks = st.builds(Looked, st.one_of(
    st.builds(Observation, st.just("settling"), st.text(max_size=8), st.integers(0, 100)),
    st.builds(Observation, st.just("stable"), st.text(max_size=8), st.just(100)),
    st.builds(Observation, st.just("failed"), st.text(max_size=8), st.just(0),
              st.sampled_from(["start-failed", "unstable"])),
))
errors = st.one_of(
    st.builds(Transient, st.sampled_from(["ThrottlingException", "ServerException", "ClientException"])),
    st.builds(Terminal, st.sampled_from(TERMINAL_REASONS), st.just("DescribeServices on service web")),
    st.builds(Rejected, st.just("invalid-service"), st.just("service web: MISSING")),
)
seens = st.lists(st.one_of(looks, errors), max_size=40)
requests = st.lists(st.sampled_from(["ok", "ok", "transient", "terminal"]), max_size=10)


@dataclass
class Run:
    """The end of one simulated step."""

    action: Stable | Finish
    service: str  # "previous" or "applied": what the modelled service runs at the end
    now: float
    rollback: Rollback | None
    transient_end_before_deadline: bool


def play(seen_list: list[Seen], request_results: list[str], settle_timeout: float, rollback_timeout: float,
         cancel_at: float | None, lease_lost_at: float | None) -> Run:
    """A poll loop over a modelled service, as worker.flow.settling runs it."""
    service, now, interval, errs = "applied", 0.0, 0.0, 0
    rollback: Rollback | None = None
    seen_iter, req_iter = iter(seen_list), iter(request_results)
    early_transient_end = False
    for _ in range(100_000):
        view = View(0.0, settle_timeout, rollback_timeout, rollback,
                    cancel_requested=cancel_at is not None and now >= cancel_at,
                    lease_holder="other" if lease_lost_at is not None and now >= lease_lost_at else None,
                    interval=interval, errors=errs, cap=0.4)
        seen: Seen = next(seen_iter, Transient("after the sequence: AWS keeps failing"))
        if rollback is not None and not rollback.requested:
            seen = Idle()
        if isinstance(seen, Looked) and seen.obs.state == "stable" and service != (
                "applied" if rollback is None else "previous"):
            seen = Looked(Observation("settling", "not yet"))  # a look shows the service as it is
        action = decide(view, seen, now)
        if isinstance(action, RollBack):
            if action.reason == "aws-transient" and view.rollback is None and now < view.deadline:
                early_transient_end = True
            started = rollback.started_at if rollback else now
            rollback = Rollback(action.reason, action.message, started, False)
            result = next(req_iter, "ok")
            if result == "ok":
                service, rollback = "previous", replace(rollback, requested=True)
                interval, errs = 0.0, 0
                now += 0.1
                continue
            failed: Seen = (Transient("Throttling") if result == "transient"
                            else Terminal("access-denied", "x"))
            view = replace(view, rollback=rollback, interval=0.0)
            action = decide(view, failed, now)
            assert not isinstance(action, RollBack | Stable)
        if isinstance(action, LookAgain):
            assert action.after >= 0
            if action.transient:
                errs += 1
            else:
                interval, errs = action.after, 0
            now += max(action.after, 0.01)
            continue
        assert isinstance(action, Stable | Finish)
        return Run(action, service, now, rollback, early_transient_end)
    raise AssertionError("the state machine never ended the step")


scenario = given(seen_list=seens, request_results=requests, settle_timeout=st.floats(0.5, 30),
                 rollback_timeout=st.floats(0.5, 30), cancel_at=st.none() | st.floats(0, 40),
                 lease_lost_at=st.none() | st.floats(0, 40))


@scenario
@settings(max_examples=EXAMPLES, deadline=None)
def test_when_a_step_ends_the_service_runs_what_its_record_says(**kw: object) -> None:
    run = play(**kw)  # type: ignore[arg-type]
    if isinstance(run.action, Stable):
        assert run.service == "applied" and run.rollback is None
        return
    end = run.action
    if end.runs != "read":  # "read" records what AWS says, whatever it is
        assert end.runs == run.service == "previous"
    if end.rollback_ok:
        assert run.service == "previous"


@scenario
@settings(max_examples=EXAMPLES, deadline=None)
def test_every_failure_rolls_back_except_a_lost_lease(**kw: object) -> None:
    run = play(**kw)  # type: ignore[arg-type]
    if isinstance(run.action, Finish) and run.action.reason != "lease-lost":
        assert run.rollback is not None
        assert run.action.rollback_ok is not None
        if run.action.rollback_ok:
            assert run.action.status == status_of(run.rollback.reason)
            assert run.action.reason == run.rollback.reason
        else:
            assert (run.action.status, run.action.reason, run.action.runs) == (
                "failed", "rollback-failed", "read")


@scenario
@settings(max_examples=EXAMPLES, deadline=None)
def test_a_transient_error_never_ends_a_step_before_its_deadline(**kw: object) -> None:
    run = play(**kw)  # type: ignore[arg-type]
    assert not run.transient_end_before_deadline
    if isinstance(run.action, Finish) and run.action.reason != "lease-lost":
        assert run.now <= kw["settle_timeout"] + kw["rollback_timeout"] + 1  # type: ignore[operator]


@given(view=st.builds(View, st.floats(0, 100), st.floats(1, 60), st.floats(1, 60),
                      interval=st.floats(0, 1), errors=st.integers(0, 30)),
       message=st.text(max_size=8), ahead=st.floats(0.001, 0.999))
def test_transient_before_the_deadline_is_a_bounded_look_again(view: View, message: str,
                                                               ahead: float) -> None:
    now = view.deadline - ahead * view.settle_timeout
    action = decide(view, Transient(message), now)
    assert isinstance(action, LookAgain) and action.transient
    assert 0 <= action.after <= view.deadline - now + 1e-9


@given(reason=st.sampled_from(TERMINAL_REASONS), late=st.booleans(), started=st.floats(0, 100),
       requested=st.booleans())
def test_a_terminal_error_ends_the_phase_at_once(reason: str, late: bool, started: float,
                                                 requested: bool) -> None:
    view = View(started, 10, 10)
    now = started + (20 if late else 1)
    assert decide(view, Terminal(reason, "UpdateService on service web"), now) == RollBack(
        reason, "UpdateService on service web")
    rolling = replace(view, rollback=Rollback(reason, "m", started + 1, requested))
    action = decide(rolling, Terminal(reason, "DescribeServices on service web"), now)
    assert isinstance(action, Finish) and (action.status, action.reason) == ("failed", "rollback-failed")
    assert "DescribeServices on service web" in action.message


@given(seen=st.one_of(looks, errors), now=st.floats(0, 100), interval=st.floats(0, 1),
       errs=st.integers(0, 20), rolling=st.booleans())
def test_a_redelivered_poll_that_lost_its_memo_decides_the_same(seen: Seen, now: float, interval: float,
                                                                 errs: int, rolling: bool) -> None:
    rb = Rollback("timeout", "m", 30.0, True) if rolling else None
    with_memo = View(0.0, 50, 50, rb, interval=interval, errors=errs)
    without = replace(with_memo, interval=0.0, errors=0)
    a, b = decide(with_memo, seen, now), decide(without, seen, now)
    if isinstance(a, LookAgain):
        assert isinstance(b, LookAgain) and (a.percent, a.message, a.transient) == (b.percent, b.message,
                                                                                    b.transient)
    else:
        assert a == b


def test_cancel_rolls_back_while_settling_and_is_ignored_while_rolling_back() -> None:
    view = View(0.0, 10, 10, cancel_requested=True)
    assert decide(view, Looked(Observation("settling", "1/2")), 1) == RollBack(
        "cancelled", "cancelled while settling")
    rolling = replace(view, rollback=Rollback("cancelled", "cancelled while settling", 2, True))
    assert decide(rolling, Looked(Observation("stable", "2/2")), 3) == Finish(
        "cancelled", "cancelled", "cancelled while settling", "previous", True, "2/2")


def test_a_rollback_not_yet_accepted_is_asked_for_again_until_its_deadline() -> None:
    view = View(0.0, 10, 5, Rollback("timeout", "late", 10.0, False))
    assert decide(view, Idle(), 14.9) == RollBack("timeout", "late")
    late = decide(view, Idle(), 15.0)
    assert isinstance(late, Finish) and late.reason == "rollback-failed" and late.rollback_ok is False


def test_looks_double_from_the_first_interval_up_to_the_cap() -> None:
    settling = Looked(Observation("settling", "1/2", 40))
    first = decide(View(0.0, 60, 60), settling, 1)
    assert first == LookAgain(0.1, 10 + 36, "1/2")
    later = decide(View(0.0, 60, 60, interval=0.3, cap=0.4), settling, 1)
    assert isinstance(later, LookAgain) and later.after == 0.4
    near = decide(View(0.0, 60, 60, interval=0.3, cap=0.4), settling, 59.9)
    assert isinstance(near, LookAgain) and abs(near.after - 0.1) < 1e-9


def test_transient_backoff_doubles_to_its_cap() -> None:
    view = View(0.0, 600, 60)
    waits = [decide(replace(view, errors=n), Transient("x"), 1).after for n in range(8)]  # type: ignore[union-attr]
    assert waits == [0.5, 1, 2, 4, 8, 16, 20, 20]


def test_failed_looks_while_rolling_back() -> None:
    view = View(0.0, 10, 10, Rollback("unstable", "m", 10.0, True))
    start_failed = Looked(Observation("failed", "task stopped", reason="start-failed"))
    assert isinstance(decide(view, start_failed, 11), LookAgain)  # ECS retries the old revision's tasks
    gone = decide(view, Looked(Observation("failed", "deployment gone", reason="unstable")), 11)
    assert isinstance(gone, Finish) and gone.reason == "rollback-failed" and "deployment gone" in gone.message
    stuck = decide(view, Looked(Observation("settling", "0/2")), 20)
    assert isinstance(stuck, Finish) and "not stable after 10 s: 0/2" in stuck.message


def test_settling_outcomes() -> None:
    view = View(100.0, 10, 10)
    assert decide(view, Looked(Observation("stable", "2/2")), 101) == Stable("2/2")
    assert decide(view, Looked(Observation("failed", "oom", reason="start-failed")), 101) == RollBack(
        "start-failed", "oom")
    assert decide(view, Looked(Observation("failed", "gone")), 101) == RollBack("unstable", "gone")
    assert decide(view, Looked(Observation("settling", "1/2")), 110) == RollBack(
        "timeout", "not stable after 10 s: 1/2")
    assert decide(view, Rejected("invalid-service", "gone"), 101) == RollBack("invalid-service", "gone")
    past = decide(view, Transient("Throttling"), 110)
    assert past == RollBack("aws-transient", "AWS kept failing until the 10 s deadline: Throttling")
    lost = decide(replace(view, lease_holder="s2"), Looked(Observation("stable", "2/2")), 101)
    assert isinstance(lost, Finish)
    assert (lost.reason, lost.runs, lost.rollback_ok) == ("lease-lost", "read", None)


def test_status_of_a_rolled_back_step() -> None:
    reasons = ("cancelled", "timeout", "start-failed", "aws-transient", "access-denied")
    assert [status_of(r) for r in reasons] == [
        "cancelled", "rejected", "rejected", "failed", "failed"]


def test_the_view_reads_the_record_as_the_poll_stored_it() -> None:
    record = {"stages": {"settle": {"start": 12.5}}, "rollback": None}
    view = View.of(record, settle_timeout=60, rollback_timeout=30, interval=0.2)
    assert (view.settle_started, view.deadline, view.interval, view.rollback) == (12.5, 72.5, 0.2, None)
    record["rollback"] = {"reason": "timeout", "message": "m", "started_at": 80.0}
    rolling = View.of(record, settle_timeout=60, rollback_timeout=30)
    assert rolling.rollback == Rollback("timeout", "m", 80.0, False) and rolling.deadline == 110.0
    record["rollback"]["requested"] = True
    view = View.of(record, settle_timeout=60, rollback_timeout=30)
    assert view.rollback == Rollback("timeout", "m", 80.0, True)


def test_each_decision_says_what_it_waits_for_and_how_far_along_it_is() -> None:
    settling, rolling = View(0.0, 60, 60), View(0.0, 60, 60, Rollback("timeout", "late", 10.0, True))
    assert decide(settling, Transient("ThrottlingException"), 1) == LookAgain(
        0.5, 10, "AWS: ThrottlingException; looking again", transient=True)
    assert decide(rolling, Transient("ServerException"), 11) == LookAgain(
        0.5, 50, "AWS: rolling back: ServerException; looking again", transient=True)
    assert decide(settling, Idle(), 1) == LookAgain(0.1, 10, "waiting for the first look")
    assert decide(replace(rolling, interval=0.1), Idle(), 11) == LookAgain(0.2, 50, "rolling back")
    assert decide(rolling, Looked(Observation("settling", "0/2 running")), 11) == LookAgain(
        0.1, 50, "rolling back: 0/2 running")
    lost = decide(replace(settling, lease_holder="s2"), Idle(), 1)
    assert lost == Finish("failed", "lease-lost", "step s2 took the service while this step's worker was "
                          "down; this step did not finish", "read", None)
    failing = replace(rolling, rollback=Rollback("timeout", "late", 10.0, True))
    assert decide(failing, Transient("Throttling"), 70) == Finish(
        "failed", "rollback-failed", "rollback failed: AWS kept failing for 60 s: Throttling (the step had "
        "failed: timeout: late)", "read", False, "AWS kept failing for 60 s: Throttling")
    unasked = replace(rolling, rollback=Rollback("timeout", "late", 10.0, False))
    assert decide(unasked, Idle(), 70) == Finish(
        "failed", "rollback-failed", "rollback failed: ECS did not accept the rollback in 60 s (the step had "
        "failed: timeout: late)", "read", False, "ECS did not accept the rollback in 60 s")
