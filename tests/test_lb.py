"""The local load balancer: real demo app targets, real ab through it, on loopback."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from emulator.lb import LoadBalancer
from tests.support.demo_procs import Demo, DemoFleet, run_ab, stop
from tests.support.waiting import wait_until

FAST: dict[str, Any] = {"cpu": 2048, "memory": 4096, "time_scale": 0.2}  # ~2 ms per request, 11 slots


@pytest.fixture
def fleet() -> Iterator[DemoFleet]:
    with DemoFleet() as f:
        yield f


@pytest.fixture
def lb() -> Iterator[LoadBalancer]:
    with LoadBalancer() as balancer:
        yield balancer


def url_of(lb: LoadBalancer) -> str:
    return f"http://127.0.0.1:{lb.port}/"


def demo_stats(demo: Demo) -> dict[str, Any]:
    with urllib.request.urlopen(demo.url + "stats", timeout=5) as resp:
        stats: dict[str, Any] = json.load(resp)
    return stats


def served(demo: Demo) -> int:
    return int(demo_stats(demo)["requests"])


def drained(*demos: Demo) -> bool:
    """No request in flight on any of `demos`: what was already sent to them has completed."""
    return all(demo_stats(d)["in_flight"] == 0 for d in demos)


def test_balances_evenly_and_counts_like_cloudwatch(fleet: DemoFleet, lb: LoadBalancer) -> None:
    a, b = fleet.start(host="127.0.0.2", **FAST), fleet.start(host="127.0.0.3", **FAST)
    lb.set_targets([a.target, b.target])
    run = run_ab(url_of(lb), 8, 1)
    assert run.errors == 0 and run.complete > 500
    wait_until(lambda: drained(a, b), 5, "the requests in flight when ab's time ran out to complete")
    assert abs(served(a) - served(b)) <= 2  # round-robin
    got = lb.stats_and_reset()
    assert got.requests == got.target_response_time_samples
    assert run.complete <= got.requests <= run.complete + 8  # ab drops the ones in flight at -t
    assert (got.http_5xx, got.elb_5xx) == (0, 0)
    assert 0.001 < got.target_response_time_sum_s / got.target_response_time_samples < run.mean_ms / 1000
    assert lb.stats_and_reset().requests == 0


def test_swapping_targets_mid_run_loses_no_request(fleet: DemoFleet, lb: LoadBalancer) -> None:
    """A, B -> B, C -> C while ab runs: 0 errors; A and B get nothing new once removed and
    may then be stopped, as the controller does after draining."""
    a, b, c = (fleet.start(host=f"127.0.0.{n}", **FAST) for n in (4, 5, 6))
    lb.set_targets([a.target, b.target])
    with ThreadPoolExecutor(1) as pool:
        load = pool.submit(run_ab, url_of(lb), 16, 2)
        wait_until(lambda: served(a) and served(b), 10, "ab's load to reach A and B")
        lb.set_targets([b.target, c.target])
        wait_until(lambda: drained(a), 5, "A's last requests, already in flight, to complete")
        a_final = served(a)
        stop(a.proc)
        wait_until(lambda: served(c), 5, "C to get requests")
        lb.set_targets([c.target])
        wait_until(lambda: drained(b), 5, "B's last requests, already in flight, to complete")
        b_final = served(b)
        run = load.result()
    assert run.errors == 0 and run.complete > 1000
    assert served(b) == b_final
    assert served(c) > 0 and a_final > 0
    assert run.complete <= lb.stats_and_reset().requests <= run.complete + 16


def test_no_targets_means_503_at_once(lb: LoadBalancer) -> None:
    run = run_ab(url_of(lb), 4, requests=40)
    assert run.non_2xx == 40
    assert run.mean_ms < 500  # answered without waiting for a target (the bound only catches a wait)
    got = lb.stats_and_reset()
    assert (got.requests, got.elb_5xx, got.http_5xx, got.target_response_time_samples) == (40, 40, 0, 0)


def test_keep_alive_and_plain_clients_both_work(fleet: DemoFleet, lb: LoadBalancer) -> None:
    demo = fleet.start(**FAST)
    lb.set_targets([demo.target])
    kept = run_ab(url_of(lb), 4, requests=400)
    plain = run_ab(url_of(lb), 4, requests=400, keepalive=False)
    assert (kept.errors, kept.keep_alive) == (0, 400)
    assert (plain.errors, plain.keep_alive, plain.complete) == (0, 0, 400)


def test_a_dead_target_gives_502_and_target_5xx_are_counted(fleet: DemoFleet, lb: LoadBalancer) -> None:
    dead = fleet.start(**FAST)
    stop(dead.proc)
    with failing_server() as broken:
        lb.set_targets([dead.target, broken])
        run = run_ab(url_of(lb), 2, requests=20)
    assert run.non_2xx == 20
    got = lb.stats_and_reset()
    assert (got.requests, got.elb_5xx, got.http_5xx, got.target_response_time_samples) == (20, 10, 10, 10)


def test_stop_ends_the_thread_and_closes_the_port() -> None:
    balancer = LoadBalancer()
    balancer.start()
    port, thread = balancer.port, balancer._thread
    balancer.stop()
    assert thread is not None and not thread.is_alive()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)


class _Failing(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = b"boom\n"
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def failing_server() -> Iterator[tuple[str, int]]:
    """A target that answers 500 to everything, as (host, port)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
