"""A local load balancer standing in for the ALB listener in front of a sandbox service.

It runs its own asyncio loop in a background thread, answers HTTP/1.x clients (keep-alive
as they ask, so `ab -k` works) and forwards each request round-robin to the current targets
over a small pool of reused HTTP/1.1 connections per target. Like an ALB:

- only targets in the current set (healthy, not draining) get NEW requests; a request in
  flight on a removed target completes, then its connection is closed;
- no targets: 503 at once; a target that refuses or drops the connection: 502; a target
  that does not answer within `TARGET_TIMEOUT_S`: 504 (these are the LB's own 5xx);
- counters for CloudWatch's AWS/ApplicationELB RequestCount, HTTPCode_Target_5XX_Count and
  TargetResponseTime, read and reset with `stats_and_reset()`.

Stdlib only. `python -m emulator.lb --port P --target HOST:PORT ...` runs one by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

Target = tuple[str, int]
Reply = tuple[bytes, bytes, bytes]  # status line, header lines, body
T = TypeVar("T")

POOL_IDLE_MAX = 32  # idle upstream connections kept per target; more are closed after use
TARGET_TIMEOUT_S = 60.0  # ALB's default idle timeout: a target silent this long gets a 504
CONNECT_TIMEOUT_S = 5.0  # a target that does not accept a connection this fast counts as down
MAX_HEAD_BYTES = 65536  # request or response head larger than this is refused
START_TIMEOUT_S = 10.0
# Headers not passed on: hop-by-hop ones, and Content-Length, which is always rewritten.
NOT_FORWARDED = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding",
                           b"upgrade", b"content-length"})
REASONS = {400: b"Bad Request", 502: b"Bad Gateway", 503: b"Service Unavailable", 504: b"Gateway Timeout"}


@dataclass(frozen=True)
class LbStats:
    """Counts since the previous read, as the ALB's CloudWatch metrics would show them."""

    requests: int  # RequestCount: every request received, whatever its answer
    http_5xx: int  # HTTPCode_Target_5XX_Count: 5xx answered by a target
    target_response_time_sum_s: float  # TargetResponseTime, summed over the samples
    target_response_time_samples: int  # requests that got a response from a target
    elb_5xx: int = 0  # HTTPCode_ELB_5XX_Count: 502/503/504 made by the load balancer itself


class _Head:
    """A parsed HTTP/1.x message head: first line, headers (lower-case names), body length."""

    def __init__(self, raw: bytes):
        lines = raw[:-4].split(b"\r\n")
        self.first = lines[0]
        pairs = (line.partition(b":") for line in lines[1:])
        self.headers = [(n.strip().lower(), v.strip()) for n, _, v in pairs]
        length = next((v for n, v in self.headers if n == b"content-length"), None)
        self.length: int | None = int(length) if length is not None and length.isdigit() else None

    def get(self, name: bytes) -> bytes:
        return next((v for n, v in self.headers if n == name), b"").lower()

    def forwarded(self) -> bytes:
        """Headers to send on (not hop-by-hop, not Content-Length), each line ending in CRLF."""
        return b"".join(b"%s: %s\r\n" % (n, v) for n, v in self.headers if n not in NOT_FORWARDED)


class _Upstream:
    """One HTTP/1.1 connection to a target, reusable for another request once answered."""

    def __init__(self, target: Target, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.target, self.reader, self.writer = target, reader, writer

    def close(self) -> None:
        self.writer.close()


class LoadBalancer:
    """An ALB listener on `host:port` (port 0: any free port, see `.port` after `start()`)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port
        self._targets: tuple[Target, ...] = ()
        self._rr = itertools.count()
        self._idle: dict[Target, list[_Upstream]] = {}
        self._clients: set[asyncio.StreamWriter] = set()
        self._counts = [0, 0, 0.0, 0, 0]  # the fields of LbStats, in order
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    # -- control, from any thread ---------------------------------------------------------
    def start(self) -> None:
        """Listen and serve in a background thread; returns once the port is bound."""
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), name=f"lb-{self.host}", daemon=True)
        self._thread.start()
        ready.result(timeout=START_TIMEOUT_S)

    def stop(self) -> None:
        """Stop listening, close every client and upstream connection, end the thread."""
        if self._loop is None or self._thread is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop may already be gone
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=START_TIMEOUT_S)
        self._loop = self._thread = None

    def set_targets(self, targets: list[Target]) -> None:
        """Replace the set of targets that get new requests. Once this returns, no request is
        sent to a target left out; requests already on one complete, then their connections
        close (draining)."""
        new = tuple(dict.fromkeys((str(h), int(p)) for h, p in targets))
        self._call(lambda: self._apply_targets(new))

    @property
    def targets(self) -> list[Target]:
        return list(self._targets)

    def stats_and_reset(self) -> LbStats:
        """The counters since the previous call (or start), then zero them."""

        def take() -> LbStats:
            counts, self._counts = self._counts, [0, 0, 0.0, 0, 0]
            return LbStats(int(counts[0]), int(counts[1]), float(counts[2]), int(counts[3]), int(counts[4]))

        return self._call(take)

    def __enter__(self) -> LoadBalancer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the loop thread ------------------------------------------------------------------
    def _call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the loop thread (so it never races a request) and return its result."""
        loop = self._loop
        if loop is None or threading.current_thread() is self._thread:
            return fn()

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout=START_TIMEOUT_S)

    def _apply_targets(self, targets: tuple[Target, ...]) -> None:
        self._targets = targets
        for target in [t for t in self._idle if t not in targets]:
            for up in self._idle.pop(target):
                up.close()

    def _run(self, ready: concurrent.futures.Future[None]) -> None:
        loop = asyncio.new_event_loop()
        try:
            self._server = loop.run_until_complete(asyncio.start_server(
                self._serve_client, self.host, self.port, limit=MAX_HEAD_BYTES, backlog=1024))
        except OSError as exc:
            ready.set_exception(exc)
            loop.close()
            return
        self.port = self._server.sockets[0].getsockname()[1]
        self._loop = loop
        ready.set_result(None)
        try:
            loop.run_forever()
        finally:
            self._server.close()
            for writer in list(self._clients):
                writer.close()
            for ups in self._idle.values():
                for up in ups:
                    up.close()
            self._idle.clear()
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))  # let cancelled handlers unwind
            loop.close()

    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            while True:
                head = _Head(await reader.readuntil(b"\r\n\r\n"))
                body = await reader.readexactly(head.length) if head.length else b""
                parts = head.first.split(b" ")
                version = parts[2] if len(parts) == 3 else b""
                conn = head.get(b"connection")
                keep = b"keep-alive" in conn if version == b"HTTP/1.0" else b"close" not in conn
                self._counts[0] += 1
                if not version.startswith(b"HTTP/1."):
                    status_line, headers, rbody = self._own(400)
                    keep = False
                else:
                    status_line, headers, rbody = await self._forward(parts[0], parts[1], head, body)
                writer.write(b"%s\r\n%sContent-Length: %d\r\nConnection: %s\r\n\r\n%s" % (
                    status_line, headers, len(rbody), b"keep-alive" if keep else b"close", rbody))
                await writer.drain()
                if not keep:
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError,
                asyncio.CancelledError):
            pass  # cancelled only when the load balancer stops
        finally:
            self._clients.discard(writer)
            writer.close()

    def _pick(self) -> Target | None:
        targets = self._targets
        return targets[next(self._rr) % len(targets)] if targets else None

    async def _forward(self, method: bytes, path: bytes, head: _Head, body: bytes) -> Reply:
        """Send one request to a target; (status line, headers, body) to answer the client."""
        request = b"%s %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s" % (
            method, path, head.forwarded(), len(body), body)
        for _attempt in range(3):  # a reused connection may have been closed by the target meanwhile
            target = self._pick()
            if target is None:
                return self._own(503)
            up, reused = self._idle.get(target, []), True
            up_conn = up.pop() if up else None
            if up_conn is None:
                reused = False
                try:
                    async with asyncio.timeout(CONNECT_TIMEOUT_S):
                        streams = await asyncio.open_connection(*target, limit=MAX_HEAD_BYTES)
                    up_conn = _Upstream(target, *streams)
                except (OSError, TimeoutError):
                    return self._own(502)
            if target not in self._targets:  # removed while connecting: never send it new work
                up_conn.close()
                continue
            started = time.monotonic()
            try:
                async with asyncio.timeout(TARGET_TIMEOUT_S):
                    up_conn.writer.write(request)
                    rhead = _Head(await up_conn.reader.readuntil(b"\r\n\r\n"))
                    rbody = await (up_conn.reader.readexactly(rhead.length) if rhead.length is not None
                                   else up_conn.reader.read())
            except TimeoutError:
                up_conn.close()
                return self._own(504)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                up_conn.close()
                if reused:
                    continue
                return self._own(502)
            self._counts[2] += time.monotonic() - started
            self._counts[3] += 1
            status = rhead.first.split(b" ", 2)
            if len(status) > 1 and status[1].startswith(b"5"):
                self._counts[1] += 1
            self._release(up_conn, rhead)
            return rhead.first, rhead.forwarded(), rbody
        return self._own(502)

    def _release(self, up: _Upstream, rhead: _Head) -> None:
        """Pool the connection for the next request, unless its target is gone or it is spent."""
        idle = self._idle.setdefault(up.target, []) if up.target in self._targets else None
        spent = rhead.length is None or b"close" in rhead.get(b"connection")
        if idle is None or spent or len(idle) >= POOL_IDLE_MAX:
            up.close()
        else:
            idle.append(up)

    def _own(self, status: int) -> Reply:
        """A response the load balancer makes itself (counted as an ELB 5xx when it is one)."""
        if status >= 500:
            self._counts[4] += 1
        return _response(status)


def _response(status: int) -> Reply:
    """A response the load balancer makes itself."""
    return (b"HTTP/1.1 %d %s" % (status, REASONS[status]), b"Content-Type: text/plain\r\n",
            b"%d %s\n" % (status, REASONS[status].lower()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m emulator.lb", description="Run a local load balancer.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--target", action="append", default=[], help="HOST:PORT, repeatable")
    args = parser.parse_args(argv)
    lb = LoadBalancer(args.host, args.port)
    lb.start()
    lb.set_targets([(h, int(p)) for h, _, p in (t.rpartition(":") for t in args.target)])
    print(f"READY http://{args.host}:{lb.port}/", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()
    lb.stop()


if __name__ == "__main__":
    main()
