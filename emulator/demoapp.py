"""The demo web app each sandbox "Fargate task" runs: a local process with a performance model.

    python -m emulator.demoapp --host 127.0.0.N --port P

The task's size and container environment arrive as environment variables (SANDBOX_CPU_UNITS,
SANDBOX_MEMORY_MIB, GOGC, ...). `GET /` does one unit of modeled work, `GET /health` answers
at once, `GET /stats` reports counters and modeled utilization as JSON. Time is modeled with
sleeps, never by burning host CPU, so results stay stable on a small machine next to ab.
The model and its constants are explained in emulator/README.md ("Demo app performance model").
Stdlib only: the controller starts many of these and each must start fast.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass

# -- performance model constants (README: "Demo app performance model") -------------------
BASE_MS = 10.0  # service time scale of one request, ms
FIXED_SHARE = 0.5  # part of BASE_MS that no amount of vCPU shortens (I/O, downstream calls)
CPU_SHARE = 0.5  # part of BASE_MS spent on CPU at 1 vCPU with no GC
CPU_EXPONENT = 0.5  # CPU part scales as 1 / vcpu**CPU_EXPONENT: diminishing returns
GC_OVERHEAD_AT_100 = 0.5  # GC adds this fraction to the CPU part at GOGC=100, scaled by 100/GOGC
SLOTS_BASE = 3  # concurrent requests a task serves beyond its per-vCPU slots
SLOTS_PER_VCPU = 4  # more concurrent requests per vCPU; the rest wait in a FIFO queue
JITTER_SIGMA = 0.3  # log-normal spread of service times (mean kept at 1) so p95 > mean
BASE_MIB = 200  # runtime, binary and buffers: memory that does not depend on GOGC
LIVE_HEAP_MIB = 120  # live heap; the Go-like heap peaks at live * (1 + GOGC/100)
OOM_AFTER_S = 1.0  # an over-committed task is killed this long after READY (or on first load)
OOM_EXIT_CODE = 137  # 128 + SIGKILL, what ECS reports for an OOM-killed container
STOP_GRACE_S = 1.0  # on SIGTERM, requests in flight get this long to finish
OOM_MESSAGE = "OutOfMemoryError: Container killed due to memory usage"
# A runtime's own heap cap (a JVM's -Xmx): HEAP_MAX_MIB in the container's environment. A heap
# that outgrows it dies as a JVM does, its last words on stderr (only its log keeps them: ECS
# records exit code 1 and no reason), even when the container had memory to spare.
HEAP_LIMIT_VAR = "HEAP_MAX_MIB"
HEAP_OOM_EXIT_CODE = 1
HEAP_OOM_LINES = ('Exception in thread "main" java.lang.OutOfMemoryError: Java heap space',
                  "\tat emulator.demoapp.allocate(demoapp.py)")

# -- defaults when the controller leaves a variable out ------------------------------------
DEFAULT_CPU_UNITS = 1024
DEFAULT_MEMORY_MIB = 2048
DEFAULT_GOGC = 100  # Go's own default
CPU_UNITS_RANGE = (256, 16384)  # Fargate's smallest and largest task
BAD_CONFIG_EXIT_CODE = 2

BODY = b"ok: one unit of modeled work done\n"  # fixed length, so ab's length check holds
MAX_HEAD_BYTES = 16384
RESPONSE = b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: %s\r\n\r\n%s"
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


@dataclass(frozen=True)
class Model:
    """A task's modeled size and behaviour, computed once from its environment."""

    cpu_units: int
    memory_mib: int
    replicas: int
    gogc: float | None  # None: GOGC=off, the heap never shrinks
    time_scale: float
    start_delay_s: float
    heap_max_mib: float | None = None  # HEAP_MAX_MIB: the runtime's heap cap, None: none

    @property
    def vcpu(self) -> float:
        return self.cpu_units / 1024

    @property
    def slots(self) -> int:
        """Requests served at once; more wait for a slot."""
        return int(SLOTS_BASE + SLOTS_PER_VCPU * self.vcpu)

    @property
    def gc_factor(self) -> float:
        """Multiplier on CPU time for garbage collection: lower GOGC collects more often."""
        return 1.0 if self.gogc is None else 1.0 + GC_OVERHEAD_AT_100 * 100.0 / self.gogc

    @property
    def service_ms(self) -> float:
        """Mean modeled time of one request once it holds a slot (unscaled), ms."""
        return BASE_MS * (FIXED_SHARE + CPU_SHARE * self.gc_factor / float(self.vcpu**CPU_EXPONENT))

    @property
    def working_set_mib(self) -> float:
        """Peak memory: fixed part plus the heap, which GOGC lets grow before collecting."""
        if self.gogc is None:
            return math.inf
        return BASE_MIB + LIVE_HEAP_MIB * (1.0 + self.gogc / 100.0)

    @property
    def out_of_memory(self) -> bool:
        return self.memory_mib < self.working_set_mib

    @property
    def heap_mib(self) -> float:
        """The heap's peak: live heap grown by GOGC before a collection."""
        return math.inf if self.gogc is None else LIVE_HEAP_MIB * (1.0 + self.gogc / 100.0)

    @property
    def out_of_heap(self) -> bool:
        """The heap outgrows its cap (and the container's memory is not what runs out first)."""
        return self.heap_max_mib is not None and self.heap_mib > self.heap_max_mib and not self.out_of_memory


def model_from_env(environ: Mapping[str, str]) -> Model:
    """Read the task's model settings; ValueError names the variable that is wrong."""

    def number(name: str, default: float) -> float:
        raw = environ.get(name, "").strip()
        try:
            return float(raw) if raw else default
        except ValueError:
            raise ValueError(f"{name}={raw!r} is not a number") from None

    cpu = int(number("SANDBOX_CPU_UNITS", DEFAULT_CPU_UNITS))
    if not CPU_UNITS_RANGE[0] <= cpu <= CPU_UNITS_RANGE[1]:
        raise ValueError(f"SANDBOX_CPU_UNITS={cpu} is outside {CPU_UNITS_RANGE[0]}..{CPU_UNITS_RANGE[1]}")
    gogc_raw = environ.get("GOGC", "").strip().lower()
    gogc = None if gogc_raw == "off" else number("GOGC", DEFAULT_GOGC)
    if gogc is not None and gogc <= 0:
        raise ValueError(f"GOGC={gogc_raw!r} must be positive or 'off'")
    model = Model(
        cpu_units=cpu, memory_mib=int(number("SANDBOX_MEMORY_MIB", DEFAULT_MEMORY_MIB)),
        replicas=int(number("SANDBOX_REPLICAS", 1)), gogc=gogc,
        time_scale=number("SANDBOX_TIME_SCALE", 1.0), start_delay_s=number("SANDBOX_START_DELAY", 0.0),
        heap_max_mib=number(HEAP_LIMIT_VAR, 0.0) or None,
    )
    if model.memory_mib <= 0 or model.time_scale < 0 or model.start_delay_s < 0:
        raise ValueError("SANDBOX_MEMORY_MIB must be positive, SANDBOX_TIME_SCALE and "
                         "SANDBOX_START_DELAY not negative")
    return model


class App:
    """The running app: modeled work behind a slot semaphore, counters for /stats."""

    def __init__(self, model: Model, seed: int):
        self.model = model
        self.slots = asyncio.Semaphore(model.slots)
        self.random = random.Random(seed)  # noqa: S311 - modeled jitter, seeded so a run repeats
        self.requests = 0
        self.errors = 0
        self.in_flight = 0
        self.connections: set[asyncio.StreamWriter] = set()
        self.busy_s = 0.0  # slot-seconds spent serving, modeled time (unscaled)
        self._window_start = time.monotonic()
        self._window_busy_s = 0.0

    async def work(self) -> None:
        """One unit of work: wait for a slot, then hold it for a jittered service time."""
        if self.model.out_of_memory:
            oom_kill()  # the first real allocation under load is what the kernel refuses
        if self.model.out_of_heap:
            heap_oom()
        sigma = JITTER_SIGMA
        ms = self.model.service_ms * math.exp(self.random.gauss(0.0, sigma) - sigma * sigma / 2)
        self.in_flight += 1
        try:
            async with self.slots:
                await asyncio.sleep(ms / 1000 * self.model.time_scale)
        finally:
            self.in_flight -= 1
        self.busy_s += ms / 1000
        self._window_busy_s += ms / 1000

    def stats(self) -> dict[str, float | int]:
        """Counters since start (`requests`: units of work done, `errors`: 4xx answers);
        utilization over the time since the previous /stats read."""
        now = time.monotonic()
        wall = (now - self._window_start) / (self.model.time_scale or 1.0)  # in modeled seconds
        busy, self._window_busy_s, self._window_start = self._window_busy_s, 0.0, now
        cpu = 100.0 * busy / (wall * self.model.slots) if wall > 0 else 0.0
        ws = self.model.working_set_mib
        return {
            "requests": self.requests, "errors": self.errors, "busy_seconds": round(self.busy_s, 6),
            "cpu_utilization_percent": round(min(cpu, 100.0), 3),
            "memory_mib": round(ws, 1),
            "memory_utilization_percent": round(100.0 * ws / self.model.memory_mib, 3),
            "in_flight": self.in_flight, "slots": self.model.slots,
            "service_ms": round(self.model.service_ms, 3), "vcpu": self.model.vcpu,
        }

    async def respond(self, method: str, path: str) -> tuple[int, bytes, str]:
        """Status, body and content type for one request."""
        if method not in ("GET", "HEAD"):
            return 405, b"method not allowed\n", "text/plain"
        route = path.split("?", 1)[0]
        if route == "/":
            await self.work()
            self.requests += 1
            return 200, BODY, "text/plain"
        if route == "/health":
            return 200, b"healthy\n", "text/plain"
        if route == "/stats":
            return 200, json.dumps(self.stats()).encode() + b"\n", "application/json"
        return 404, b"not found\n", "text/plain"

    async def serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """HTTP/1.x on one connection, keep-alive as the client asks, until it closes."""
        self.connections.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                method, path, keep, length = parse_request_head(head)
                if length:
                    await reader.readexactly(length)
                status, body, ctype = await self.respond(method, path) if method else (400, b"", "text/plain")
                self.errors += status >= 400
                conn = b"keep-alive" if keep else b"close"
                # One write for head and body: two would meet delayed ACKs on keep-alive connections.
                writer.write(RESPONSE % (status, REASONS[status].encode(), ctype.encode(), len(body), conn,
                                         b"" if method == "HEAD" else body))
                await writer.drain()
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return  # cancelled only at shutdown, after the grace period: nothing left to do
        finally:
            self.connections.discard(writer)
            writer.close()


def parse_request_head(head: bytes) -> tuple[str, str, bool, int]:
    """(method, path, keep-alive, body length) of a request head; method '' if malformed."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return "", "", False, 0
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip().lower()
    conn = headers.get("connection", "")
    keep = "keep-alive" in conn if parts[2] == "HTTP/1.0" else "close" not in conn
    length = headers.get("content-length", "0")
    return parts[0], parts[1], keep, int(length) if length.isdigit() else 0


def oom_kill() -> None:
    """Die the way an OOM-killed container does: the reason on stderr, exit code 137."""
    print(OOM_MESSAGE, file=sys.stderr, flush=True)
    os._exit(OOM_EXIT_CODE)  # no cleanup: the kernel gives none either


def heap_oom() -> None:
    """Die the way a JVM out of heap does: the exception on stderr, exit code 1."""
    for line in HEAP_OOM_LINES:
        print(line, file=sys.stderr)
    sys.stderr.flush()
    os._exit(HEAP_OOM_EXIT_CODE)


async def serve(model: Model, host: str, port: int) -> None:
    """Start (after the modeled start-up delay), print READY, serve until SIGTERM/SIGINT."""
    await asyncio.sleep(model.start_delay_s)
    app = App(model, seed=port)
    server = await asyncio.start_server(app.serve_connection, host, port, limit=MAX_HEAD_BYTES, backlog=1024)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("READY", flush=True)
    if model.out_of_memory:
        loop.call_later(OOM_AFTER_S * model.time_scale, oom_kill)
    elif model.out_of_heap:
        loop.call_later(OOM_AFTER_S * model.time_scale, heap_oom)
    async with server:
        await stop.wait()  # ECS sends SIGTERM; a prompt clean exit is what a good container does
        server.close()
        deadline = time.monotonic() + STOP_GRACE_S
        while app.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        for writer in list(app.connections):
            writer.close()
        await asyncio.sleep(0)  # let the handlers see their connections closed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.demoapp", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        model = model_from_env(os.environ)
    except ValueError as exc:
        print(f"demoapp: {exc}", file=sys.stderr, flush=True)
        return BAD_CONFIG_EXIT_CODE
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(model, args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
