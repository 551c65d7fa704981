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
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

READY_LINE = "READY"  # the demo app prints this on stdout once it listens
STDERR_LINES_KEPT = 20
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

    def __init__(self, argv: Sequence[str], env: Mapping[str, str]):
        self.proc = subprocess.Popen(
            list(argv), env=dict(env), cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        self.pid = self.proc.pid
        self.ready = threading.Event()
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_LINES_KEPT)
        self._term_sent_at: float | None = None
        for target in (self._read_stdout, self._read_stderr):
            threading.Thread(target=target, name=f"task-{self.pid}-io", daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.strip() == READY_LINE:
                self.ready.set()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            if line.strip():
                self.stderr_tail.append(line.strip())

    def poll(self) -> int | None:
        """The exit code once the process has ended (and been reaped), else None."""
        return self.proc.poll()

    def container_reason(self) -> str | None:
        """The line of stderr that says why the container died, as ECS's container reason.

        Waits a moment for the reader thread: the process may have exited just now."""
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline and not self.stderr_tail:
            time.sleep(0.02)
        for line in reversed(self.stderr_tail):
            if "Error" in line or "error" in line or "Killed" in line:
                return line
        return self.stderr_tail[-1] if self.stderr_tail else None

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
