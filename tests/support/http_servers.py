"""Small threaded HTTP servers on 127.0.0.1 that tests aim apache bench at.

Each answers in one `sendall` (a header write followed by a body write would meet
delayed ACKs and cap a keep-alive client at ~25 requests per connection per second),
speaks just enough HTTP/1.0 and 1.1 for ab and wrk, and keeps a connection open when
the request asks for keep-alive, as ab's `-k` needs.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from emulator.taskproc import free_port

Responder = Callable[[int], tuple[int, bytes]]  # request number -> (status, body)

REASONS = {200: "OK", 503: "Service Unavailable"}
READ_LIMIT = 65536
RESET_DELAY_S = 0.01


def ok(_: int) -> tuple[int, bytes]:
    """Every request gets 200 and a short body."""
    return 200, b"ok\n"


def every_tenth(errors: tuple[int, ...]) -> Responder:
    """503 (with a longer body than the 200s) for request numbers whose last digit is in `errors`."""

    def respond(n: int) -> tuple[int, bytes]:
        if n % 10 in errors:
            return 503, b"service unavailable, try later\n"
        return 200, b"ok\n"

    return respond


# 30% 503s, the very first response being 200 or 503: without -l, ab would count every
# response whose length differs from the first one as a Length failure.
THIRTY_PERCENT_FIRST_OK = every_tenth((1, 4, 7))
THIRTY_PERCENT_FIRST_503 = every_tenth((0, 3, 6))


@dataclass(frozen=True)
class Server:
    """A running test server; `url` always carries a path."""

    url: str
    port: int
    served: Callable[[], int]  # requests answered so far

    @property
    def requests(self) -> int:
        return self.served()


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                try:
                    chunk = sock.recv(READ_LIMIT)
                except OSError:
                    return
                if not chunk:
                    return
                buf += chunk
            head, _, buf = buf.partition(b"\r\n\r\n")
            if not self.server.answer(sock, head):
                return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, mode: str, responder: Responder) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.responder = responder
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.count = 0

    def answer(self, sock: socket.socket, head: bytes) -> bool:
        """Answer one request; False closes the connection."""
        if self.mode == "hang":
            self.stopping.wait()
            return False
        if self.mode == "reset":
            # Let ab settle into waiting for the response, then RST: SO_LINGER 0 makes close()
            # reset the connection; it closes here because socketserver would send a FIN first.
            time.sleep(RESET_DELAY_S)  # part of the fault acted out, not a wait for something
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            return False
        with self.lock:
            n = self.count
            self.count += 1
        status, body = self.responder(n)
        lower = head.lower()
        http10 = b" http/1.0" in lower.split(b"\r\n", 1)[0]
        keep = b"connection: keep-alive" in lower or (not http10 and b"connection: close" not in lower)
        conn = b"keep-alive" if keep else b"close"
        reply = (b"HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                 b"Connection: %s\r\n\r\n%s" % (status, REASONS[status].encode(), len(body), conn, body))
        try:
            sock.sendall(reply)
        except OSError:
            return False
        return keep


@contextmanager
def serve(mode: str = "respond", responder: Responder = ok) -> Iterator[Server]:
    """Run a server until the block ends.

    Args:
        mode: "respond" (answer with `responder`), "reset" (read the request, then reset the
            connection) or "hang" (read the request and never answer).
        responder: status and body for the n-th request, counted from 0 across connections.
    """
    server = _Server(mode, responder)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Server(url=f"http://127.0.0.1:{port}/", port=port, served=lambda: server.count)
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    return free_port()
