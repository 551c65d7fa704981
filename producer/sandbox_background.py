"""`servo-fargate sandbox --background` and `--stop`: the sandbox as a detached process.

It starts the foreground command in its own session with its output in `<config>.log`,
writes `<config>.pid`, and returns once the sandbox says it is ready (or exits 1 with the
log's last lines when it does not). `--stop` signals that process group and waits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from producer.exitcodes import EXIT_FAILED, EXIT_OK

READY_MARK = "ready: load balancer"  # producer/sandbox_cmd.py's line once the service settled
START_TIMEOUT_S = 120
STOP_TIMEOUT_S = 30


def paths(config: Path) -> tuple[Path, Path]:
    config = config.resolve()
    return config.with_name(config.name + ".pid"), config.with_name(config.name + ".log")


def start(config: Path, argv: list[str]) -> int:
    pid_path, log_path = paths(config)
    if (running := alive(pid_path)) is not None:
        print(f"sandbox: already running (pid {running}) for {config}; stop it with "
              f"servo-fargate sandbox --stop --config-out {config}", file=sys.stderr)
        return EXIT_FAILED
    with log_path.open("w") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    pid_path.write_text(str(proc.pid))
    deadline = time.monotonic() + START_TIMEOUT_S
    while READY_MARK not in log_path.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(config, quiet=True)
            tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
            print("sandbox: did not start:\n  " + "\n  ".join(tail), file=sys.stderr)
            return EXIT_FAILED
        time.sleep(0.2)
    print(f"sandbox ready (pid {proc.pid}): config {config.resolve()}, log {log_path}\n"
          f"next: servo-fargate worker --config {config}\n"
          f"stop: servo-fargate sandbox --stop --config-out {config}")
    return EXIT_OK


def alive(pid_path: Path) -> int | None:
    """The pid in the pid file when that process still runs."""
    try:
        pid = int(pid_path.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def stop(config: Path, quiet: bool = False) -> int:
    pid_path, _ = paths(config)
    pid = alive(pid_path)
    if pid is None:
        pid_path.unlink(missing_ok=True)
        if not quiet:
            print(f"sandbox: none running for {config}", file=sys.stderr)
        return EXIT_FAILED
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)  # the sandbox stops its task processes itself
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline and _running(pid):
        time.sleep(0.1)
    if _running(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    pid_path.unlink(missing_ok=True)
    if not quiet:
        print(f"sandbox stopped (pid {pid})")
    return EXIT_OK


def _running(pid: int) -> bool:
    try:  # reap it if it is our child; else ask the kernel
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
