"""Real demo app processes and real apache bench runs for the emulator's tests.

`DemoFleet` starts `python -m emulator.demoapp` processes (each in its own process group)
and kills every one it started when its block ends, so no test leaves a process behind.
`run_ab` runs ab against a URL and returns the few numbers the tests look at.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from emulator.taskproc import free_port
from tests.support.waiting import wait_until

PROJECT_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 3.0
AB_MAX_REQUESTS = 1_000_000  # with -t, ab otherwise stops at 50000 requests


@dataclass
class Demo:
    """One running demo app."""

    proc: subprocess.Popen[str]
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def target(self) -> tuple[str, int]:
        return self.host, self.port

    def wait(self, timeout: float) -> tuple[int, str]:
        """Exit code and stderr once the process ends within `timeout`."""
        _, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, err


class DemoFleet:
    """Starts demo apps; on exit, SIGTERM then SIGKILL to each one's process group."""

    def __init__(self) -> None:
        self.demos: list[Demo] = []

    def start(self, host: str = "127.0.0.1", ready: bool = True, **env: str | int | float) -> Demo:
        """Start one app with SANDBOX_*/GOGC settings as keyword arguments
        (`cpu=256, memory=512, GOGC=100`); wait for its READY line unless `ready` is False."""
        names = {"cpu": "SANDBOX_CPU_UNITS", "memory": "SANDBOX_MEMORY_MIB", "replicas": "SANDBOX_REPLICAS",
                 "time_scale": "SANDBOX_TIME_SCALE", "start_delay": "SANDBOX_START_DELAY"}
        environ = {**os.environ, "PYTHONUNBUFFERED": "1"}
        environ.update({names.get(k, k): str(v) for k, v in env.items()})
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "emulator.demoapp", "--host", host, "--port", str(port)],
            env=environ, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        demo = Demo(proc, host, port)
        self.demos.append(demo)
        if ready:
            wait_ready(proc)
        return demo

    def __enter__(self) -> DemoFleet:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for demo in self.demos:
            stop(demo.proc)


def wait_ready(proc: subprocess.Popen[str], timeout: float = READY_TIMEOUT_S) -> float:
    """Block until the process prints READY; returns the seconds it took."""
    stdout = proc.stdout
    assert stdout is not None
    started = time.monotonic()

    def ready() -> bool:
        readable, _, _ = select.select([stdout], [], [], 0.1)  # waits up to 0.1 s for a line
        if not readable:
            return False
        line = stdout.readline()
        if not line:
            err = proc.stderr.read() if proc.stderr else ""
            raise RuntimeError(f"demo app exited with {proc.wait()} before READY: {err.strip()}")
        return line.strip() == "READY"
    wait_until(ready, timeout, "the demo app to print READY", every=0)
    return time.monotonic() - started


def stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM the process group, SIGKILL it if it lingers, reap it."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            continue
    proc.communicate()


@dataclass(frozen=True)
class AbRun:
    """What one ab run reported."""

    complete: int
    failed: int
    non_2xx: int
    rps: float
    mean_ms: float
    p95_ms: float
    keep_alive: int

    @property
    def errors(self) -> int:
        return self.failed + self.non_2xx


def run_ab(url: str, concurrency: int, seconds: int = 1, keepalive: bool = True,
           requests: int | None = None, extra: Mapping[str, str] | None = None) -> AbRun:
    """Run ab for `seconds` (whole seconds: ab truncates -t; 0 would mean no limit) or for
    `requests` requests, and parse its report."""
    assert requests or seconds >= 1, "ab -t takes whole seconds"
    with tempfile.NamedTemporaryFile("r", suffix=".csv") as csv:
        limit = ["-n", str(requests)] if requests else ["-t", str(seconds), "-n", str(AB_MAX_REQUESTS)]
        cmd = ["ab", "-q", "-l", "-r", "-c", str(concurrency), *limit, "-e", csv.name]
        if keepalive:
            cmd.append("-k")
        for name, value in (extra or {}).items():
            cmd += ["-H", f"{name}: {value}"]
        out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 30, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"ab exited with {out.returncode}: {out.stderr.strip()}")
        p95 = next(float(v) for p, v in (row.split(",") for row in csv.read().splitlines()[1:]) if p == "95")

    def field(name: str) -> float:
        match = re.search(rf"^{name}:\s+([\d.]+)", out.stdout, re.MULTILINE)
        return float(match.group(1)) if match else 0.0

    return AbRun(complete=int(field("Complete requests")), failed=int(field("Failed requests")),
                 non_2xx=int(field("Non-2xx responses")), rps=field("Requests per second"),
                 mean_ms=field("Time per request"), p95_ms=p95, keep_alive=int(field("Keep-Alive requests")))
