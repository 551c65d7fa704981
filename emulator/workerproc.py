"""A real Celery worker process (`celery -A worker.flow.app worker`) with its own log file:
started, waited for, always stopped. The demo (emulator/demo.py), the benches and the
end-to-end tests all start their workers with it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
READY_MARK = "ready."  # what Celery logs once the worker consumes


class Worker:
    """`celery -A worker.flow.app worker` in a subprocess (its own process group), logging to
    `<log_dir>/<name>.log`."""

    def __init__(self, name: str, env: Mapping[str, str], log_dir: Path, *,
                 queues: str | None = None, concurrency: int = 2, pool: str = "prefork",
                 command: list[str] | None = None, inherit_env: bool = True, host: str = "test"):
        self.name = f"{name}@{host}"
        self.log_path = log_dir / f"{name}.log"
        self._log: IO[Any] = self.log_path.open("w")
        # `command` replaces the start of the command line (e.g. `celery -A worker worker`);
        # queues=None leaves -Q out: the worker consumes its namespace's two queues (worker.flow.app);
        # inherit_env=False: `env` is the whole environment (no test AWS keys).
        cmd = [*(command or [sys.executable, "-m", "celery", "-A", "worker.flow.app", "-q", "worker"]),
               "-n", self.name, *(["-Q", queues] if queues else []), "-c", str(concurrency), "-P", pool,
               "-l", "INFO", "--without-gossip", "--without-mingle", "-E"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**(os.environ if inherit_env else {}), **env},
                                     stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited {self.proc.returncode}:\n{self.log()}")
            if READY_MARK in self.log():
                return
            time.sleep(0.1)
        raise TimeoutError(f"worker not ready after {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def children(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True,
                             check=False).stdout
        return [int(p) for p in out.split()]

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the whole worker (main process and pool children) at once."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Warm shutdown through the main process (it stops its pool), then make sure."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # nothing of the group may outlive its user
        self._log.close()
