"""The demo app as the sandbox runs it: real processes, real ab, the modeled trade-offs."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from emulator.demoapp import OOM_EXIT_CODE, OOM_MESSAGE, model_from_env
from tests.support.demo_procs import DemoFleet, run_ab, wait_ready
from tests.support.waiting import wait_until

BIG_MEMORY = 8192  # enough for any GOGC: these tests are about latency, not OOM


@pytest.fixture
def fleet() -> Iterator[DemoFleet]:
    with DemoFleet() as f:
        yield f


def stats(url: str) -> dict[str, float]:
    with urllib.request.urlopen(url + "stats", timeout=5) as resp:
        return dict(json.load(resp))


def test_model_numbers_match_the_readme_table() -> None:
    """Slots, mean service time and working set follow the documented formulas."""
    small = model_from_env({"SANDBOX_CPU_UNITS": "256", "SANDBOX_MEMORY_MIB": "512", "GOGC": "100"})
    assert (small.slots, round(small.service_ms, 1), small.working_set_mib) == (4, 20.0, 440.0)
    big = model_from_env({"SANDBOX_CPU_UNITS": "2048", "GOGC": "200"})
    assert (big.slots, round(big.service_ms, 1), big.working_set_mib) == (11, 9.4, 560.0)
    assert model_from_env({"SANDBOX_MEMORY_MIB": "512", "GOGC": "170"}).out_of_memory
    assert not model_from_env({"SANDBOX_MEMORY_MIB": "512", "GOGC": "160"}).out_of_memory
    assert model_from_env({"GOGC": "off"}).out_of_memory  # the heap only grows


def test_more_cpu_lowers_latency_with_diminishing_returns(fleet: DemoFleet) -> None:
    """Below the slot count: 0.25 -> 1 vCPU saves more than 1 -> 2 vCPU."""
    demos = {cpu: fleet.start(cpu=cpu, memory=BIG_MEMORY) for cpu in (256, 1024, 2048)}
    with ThreadPoolExecutor(3) as pool:  # 4 clients: every size has 4 slots or more, no queueing
        runs = dict(zip(demos, pool.map(lambda d: run_ab(d.url, 4, 1), demos.values()), strict=True))
    mean = {cpu: r.mean_ms for cpu, r in runs.items()}
    assert mean[256] > mean[1024] > mean[2048]
    assert mean[256] - mean[1024] > 2 * (mean[1024] - mean[2048])
    assert 17 < mean[256] < 25  # modeled 20 ms, plus a little loopback and timer overhead


def test_requests_beyond_the_slots_queue(fleet: DemoFleet) -> None:
    """0.25 vCPU serves 4 requests at once: 12 clients wait about 3 service times."""
    demo = fleet.start(cpu=256, memory=BIG_MEMORY)
    at_slots = run_ab(demo.url, 4, 1)
    beyond = run_ab(demo.url, 12, 1)
    assert 2.5 < beyond.mean_ms / at_slots.mean_ms < 3.5
    assert 2.5 < beyond.rps / at_slots.rps * 3 < 3.5  # same throughput: the slots are the limit


def test_gogc_trades_cpu_time_for_memory(fleet: DemoFleet) -> None:
    """Low GOGC: slower requests, smaller working set; high GOGC: the reverse."""
    low, high = (fleet.start(cpu=256, memory=BIG_MEMORY, GOGC=g) for g in (50, 200))
    with ThreadPoolExecutor(2) as pool:
        slow, fast = pool.map(lambda d: run_ab(d.url, 4, 1), (low, high))
    assert slow.mean_ms > 1.2 * fast.mean_ms  # modeled 25.0 vs 17.5 ms
    assert stats(low.url)["memory_mib"] == 380.0
    assert stats(high.url)["memory_mib"] == 560.0


def test_memory_below_the_working_set_kills_the_task_with_137(fleet: DemoFleet) -> None:
    """0.5 GiB holds GOGC 100 (440 MiB) but not GOGC 200 (560 MiB): that task dies after READY."""
    fits = fleet.start(cpu=256, memory=512, GOGC=100)
    dies = fleet.start(cpu=256, memory=512, GOGC=200)
    code, err = dies.wait(timeout=5)
    assert code == OOM_EXIT_CODE
    assert OOM_MESSAGE in err
    assert fits.proc.poll() is None
    assert stats(fits.url)["memory_utilization_percent"] == pytest.approx(100 * 440 / 512, abs=0.01)


def test_out_of_memory_task_dies_on_first_load(fleet: DemoFleet) -> None:
    """Before its timer fires (slow modeled clock), the first request kills it."""
    demo = fleet.start(cpu=256, memory=512, GOGC=200, time_scale=100)
    assert urllib.request.urlopen(demo.url + "health", timeout=5).status == 200  # health is no load
    with pytest.raises(OSError):
        urllib.request.urlopen(demo.url, timeout=5)
    code, err = demo.wait(timeout=5)
    assert (code, OOM_MESSAGE in err) == (OOM_EXIT_CODE, True)


def test_health_answers_at_once_while_every_slot_is_busy(fleet: DemoFleet) -> None:
    """8 slow requests on 4 slots (4 queued); /health does not wait behind them."""
    demo = fleet.start(cpu=256, memory=BIG_MEMORY, time_scale=25)  # one request: ~0.5 s
    with ThreadPoolExecutor(8) as pool:
        for _ in range(8):
            pool.submit(lambda: urllib.request.urlopen(demo.url, timeout=10).read())
        wait_until(lambda: stats(demo.url)["in_flight"] == 8, 5, "all 8 requests to be in flight", every=0.02)
        assert urllib.request.urlopen(demo.url + "health", timeout=5).status == 200
        # Still all 8 in flight: had /health queued behind them it would have waited ~0.5 s
        # for a slot, and one of the 8 would have ended by then.
        assert stats(demo.url)["in_flight"] == 8


def test_stats_count_requests_and_report_utilization(fleet: DemoFleet) -> None:
    demo = fleet.start(cpu=1024, memory=2048, GOGC=100)
    stats(demo.url)  # opens a fresh utilization window
    run = run_ab(demo.url, 7, requests=350)  # 7 slots kept busy
    first, second = stats(demo.url), stats(demo.url)
    assert (first["requests"], first["errors"], run.errors) == (350, 0, 0)
    assert first["busy_seconds"] == pytest.approx(350 * 0.0125, rel=0.1)  # 12.5 ms mean each
    assert first["cpu_utilization_percent"] > 60
    assert second["cpu_utilization_percent"] == 0.0  # nothing since the previous read
    assert first["memory_mib"] == 440.0
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(demo.url + "nope", timeout=5)
    assert stats(demo.url)["errors"] == 1


def test_start_delay_postpones_ready(fleet: DemoFleet) -> None:
    demo = fleet.start(ready=False, start_delay=0.5)
    assert wait_ready(demo.proc) >= 0.5


def test_bad_settings_exit_with_a_message(fleet: DemoFleet) -> None:
    demo = fleet.start(ready=False, cpu=128)
    code, err = demo.wait(timeout=10)
    assert code == 2
    assert "SANDBOX_CPU_UNITS=128" in err


def test_sigterm_ends_the_app_cleanly(fleet: DemoFleet) -> None:
    demo = fleet.start()
    demo.proc.terminate()
    code, err = demo.wait(timeout=5)
    assert (code, err) == (0, "")
