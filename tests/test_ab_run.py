"""Real apache bench against real local servers: what the stage reports and how it fails."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest

from tests.support import http_servers as hs
from worker.contract.config import AbAuth, AbConfig
from worker.load.abrun import AbFailed, run_ab
from worker.load.measurement import build_measurement


def quick(url: str, **changes: object) -> AbConfig:
    """1 s runs, no warmup: enough requests against a local server, and fast tests."""
    fields: dict[str, object] = {"url": url, "concurrency": 4, "duration": 1, "warmup": 0, "timeout": 5}
    fields.update(changes)
    return AbConfig(**fields)  # type: ignore[arg-type]


@pytest.fixture
def fast() -> Iterator[hs.Server]:
    with hs.serve() as server:
        yield server


def test_fast_server_gives_throughput_latency_and_window(fast: hs.Server) -> None:
    before = time.time()
    run = run_ab(quick(fast.url, keepalive=True))
    r = run.result
    assert r.complete > 1000 and r.requests_per_second > 1000
    assert r.errors == 0 and r.keepalive == r.complete
    assert 0 < r.percentile(50) <= r.percentile(99) <= r.percentile(100)  # type: ignore[operator]
    assert before <= run.started < run.finished <= time.time()
    assert 0.9 < run.finished - run.started < 2.5
    assert not run.cancelled and not r.interrupted


@pytest.mark.parametrize("responder", [hs.THIRTY_PERCENT_FIRST_OK, hs.THIRTY_PERCENT_FIRST_503],
                         ids=["first-200", "first-503"])
def test_error_rate_is_thirty_percent_whichever_response_comes_first(responder: hs.Responder) -> None:
    with hs.serve(responder=responder) as server:
        r = run_ab(quick(server.url)).result
    assert r.length_errors == 0  # -l: a 503's longer body is not a Length failure
    assert r.error_rate == pytest.approx(0.3, abs=0.02)
    assert r.errors == r.non_2xx


def test_two_processes_merge_into_one_result(fast: hs.Server) -> None:
    run = run_ab(quick(fast.url, keepalive=True, processes=2))
    assert run.processes == 2 and run.result.concurrency == 4
    assert run.result.complete > 1000 and len(run.result.percentiles_ms) == 101
    assert run.command[run.command.index("-c") + 1] == "2"


def test_warmup_numbers_are_discarded(fast: hs.Server) -> None:
    run = run_ab(quick(fast.url, warmup=1))
    # The server saw the warmup's requests too; the result counts only the measured run's.
    assert fast.requests > run.result.complete * 1.5
    assert run.finished - run.started < 2.5  # the window covers the measured run only


def test_reset_connections_fail_with_reset_quoting_ab() -> None:
    with hs.serve(mode="reset") as server, pytest.raises(AbFailed) as info:
        run_ab(quick(server.url, concurrency=2))
    assert info.value.kind == "reset"
    assert "Connection reset by peer" in str(info.value)


def test_a_server_that_never_answers_times_out() -> None:
    with hs.serve(mode="hang") as server, pytest.raises(AbFailed) as info:
        run_ab(quick(server.url, concurrency=2, timeout=1, duration=5))
    assert info.value.kind == "timeout"
    assert "1 s timeout" in str(info.value) and "70007" in str(info.value)


def test_a_closed_port_is_refused_and_unreachable() -> None:
    with pytest.raises(AbFailed) as info:
        run_ab(quick(f"http://127.0.0.1:{hs.closed_port()}"))
    assert info.value.kind == "refused" and info.value.unreachable
    assert "Connection refused (111)" in str(info.value)


def test_cancel_stops_ab_with_sigint_and_keeps_the_partial_result(fast: hs.Server) -> None:
    stop = threading.Event()
    seen: list[tuple[str, float, float]] = []

    def progress(phase: str, elapsed: float, planned: float) -> None:
        seen.append((phase, elapsed, planned))
        stop.set()  # cancel after the first progress report, about 1 s in

    began = time.monotonic()
    run = run_ab(quick(fast.url, duration=30), progress=progress, cancel=stop.is_set)
    assert time.monotonic() - began < 30  # stopped, not run to its planned 30 s
    assert run.cancelled and run.result.interrupted
    assert run.result.complete > 0 and run.result.requests_per_second > 0
    assert seen[0][0] == "measure" and seen[0][2] == 30


def test_cancel_during_warmup_measures_nothing(fast: hs.Server) -> None:
    with pytest.raises(AbFailed) as info:
        run_ab(quick(fast.url, warmup=30), cancel=lambda: True)
    assert info.value.kind == "cancelled"


def test_credentials_never_reach_the_command_or_the_measurement(fast: hs.Server) -> None:
    env = {"BENCH_USER": "alice", "BENCH_PASS": "hunter2-secret"}
    run = run_ab(quick(fast.url, auth=AbAuth("BENCH_USER", "BENCH_PASS")), environ=env)
    assert "***" in run.command
    text = json.dumps(build_measurement(run).to_dict())
    assert "hunter2-secret" not in text and "alice:" not in text
