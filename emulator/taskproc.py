"""A task's container as a local process: the demo web app on its own loopback address.

Each process runs in its own process group (session), so stopping a task stops everything
it started: SIGTERM to the group, SIGKILL after the stop timeout, then reaped.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

READY_LINE = "READY"  # the demo app prints this on stdout once it listens
STDERR_LINES_KEPT = 20
# The container reasons ECS itself records (an OOM kill): an app's own last words (a JVM's
# "java.lang.OutOfMemoryError: Java heap space", exit 1) reach only its log, never the reason.
ECS_REASONS = ("OutOfMemoryError: Container killed",)
OnLine = Callable[[str, str], None]  # (stdout or stderr, line): the awslogs driver's view
PROJECT_ROOT = Path(__file__).resolve().parent.parent
PASSED_THROUGH_ENV = ("PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")  # never AWS credentials


def demo_app_command(host: str, port: int) -> list[str]:
    """The argument list that starts one demo app task."""
    return [sys.executable, "-m", "emulator.demoapp", "--host", host, "--port", str(port)]


def loopback_addresses() -> Iterator[str]:
    """127.0.0.2, 127.0.0.3, ... : one address per task, as each Fargate task has its own ENI
    (moto's target groups key targets by IP, so two tasks must never share one)."""
    for b, c in itertools.product(range(256), range(2, 255)):
        yield f"127.0.{b}.{c}"


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on at `host` now (bound, then released): the one helper the
    emulator, the benches and the tests use."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def task_environment(container_env: Mapping[str, str], sandbox_env: Mapping[str, str]) -> dict[str, str]:
    """What the process sees: a minimal OS environment, the SANDBOX_* model settings and the
    container's environment from the task definition (GOGC, ...)."""
    env = {k: os.environ[k] for k in PASSED_THROUGH_ENV if k in os.environ}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    return {**env, **container_env, **sandbox_env}


class TaskProcess:
    """One running container process, with its READY signal and the tail of its stderr."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], on_line: OnLine | None = None):
        self.on_line = on_line
        self.proc = subprocess.Popen(
            list(argv), env=dict(env), cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        self.pid = self.proc.pid
        self.ready = threading.Event()
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_LINES_KEPT)
        self._term_sent_at: float | None = None
        self._readers = [threading.Thread(target=target, name=f"task-{self.pid}-io", daemon=True)
                         for target in (self._read_stdout, self._read_stderr)]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.strip() == READY_LINE:
                self.ready.set()
            self._emit("stdout", line)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            if line.strip():
                self.stderr_tail.append(line.strip())
            self._emit("stderr", line)

    def _emit(self, stream: str, line: str) -> None:
        # An ECS_REASONS line stands for what ECS records (the kernel's kill), not the app's output.
        if self.on_line is not None and line.strip() and not line.startswith(ECS_REASONS):
            self.on_line(stream, line.rstrip("\n"))

    def drained(self, timeout: float) -> bool:
        """Wait (up to `timeout` s) until an ended process's output has all been read."""
        deadline = time.monotonic() + timeout
        for reader in self._readers:
            reader.join(max(0.0, deadline - time.monotonic()))
        return not any(r.is_alive() for r in self._readers)

    def poll(self) -> int | None:
        """The exit code once the process has ended (and been reaped), else None."""
        return self.proc.poll()

    def container_reason(self) -> str | None:
        """ECS's container reason for a process that died: the OOM kill's line (`ECS_REASONS`),
        else None, as on ECS, where an app's own output is only in its log.

        Waits a moment for the reader threads: the process may have exited just now."""
        self.drained(0.5)
        for line in reversed(self.stderr_tail):
            if line.startswith(ECS_REASONS):
                return line
        return None

    def terminate(self) -> None:
        """Ask the process group to stop (SIGTERM); `enforce` kills it after a timeout."""
        if self._term_sent_at is None:
            self._term_sent_at = time.monotonic()
            self._signal(signal.SIGTERM)

    def enforce(self, stop_timeout: float) -> bool:
        """SIGKILL the group when SIGTERM was sent `stop_timeout` ago; True once it ended."""
        if self.poll() is not None:
            return True
        if self._term_sent_at is not None and time.monotonic() - self._term_sent_at >= stop_timeout:
            self._signal(signal.SIGKILL)
        return self.poll() is not None

    def stop(self, stop_timeout: float) -> int:
        """Stop now: SIGTERM, SIGKILL after `stop_timeout`, reap. Returns the exit code."""
        self.terminate()
        try:
            return self.proc.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            return self.proc.wait(timeout=10)

    def _signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)  # the process leads its own group (start_new_session)
