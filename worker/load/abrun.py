"""The one function that runs apache bench: an optional warmup, then the measured run, as
`ab.processes` parallel processes whose reports are merged.

Progress is reported by elapsed time; cancel stops ab with SIGINT, on which ab still prints
its report (on SIGTERM it prints nothing useful), so a cancelled run keeps what it measured.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from worker.contract.config import AbConfig
from worker.contract.errors import MeasurementFailed
from worker.load.ab import AbResult, ab_command, merge, normalize_url, parse_ab, redact, split_concurrency

ReportAbTime = Callable[[str, float, float], None]  # (phase "warmup"|"measure", elapsed s, planned s)
CancelCheck = Callable[[], bool]  # e.g. threading.Event().is_set or a Celery task's is_aborted

POLL_INTERVAL_S = 0.1  # how soon a cancel request is noticed; the end of a run is seen at once
PROGRESS_INTERVAL_S = 1.0
GRACE_S = 10.0  # past duration + timeout, ab is stopped with SIGINT ...
KILL_AFTER_S = 5.0  # ... and killed if it still has not exited

# ab's fatal lines (stderr) and exit codes, both checked: the text is clearer, the code stays.
FAILURES = (
    ("refused", 111, re.compile(r"Connection refused"), "connection refused: nothing listens at {url}"),
    ("reset", 104, re.compile(r"Connection reset"), "connection reset by {url}"),
    ("timeout", 119, re.compile(r"timeout specified has expired|\(70007\)"),
     "no response from {url} within the {timeout} s timeout (ab.timeout)"),
    ("dns", 50, re.compile(r"apr_sockaddr_info_get|Name or service not known"),
     "cannot resolve the host of {url}"),
    ("bad-url", 22, re.compile(r"invalid URL|Cannot use concurrency"), "ab rejected the URL or options"),
)
UNREACHABLE = ("refused", "dns")


class AbFailed(MeasurementFailed):
    """ab did not produce a report. `kind`: refused, reset, timeout, dns, bad-url, cancelled, failed."""

    def __init__(self, message: str, kind: str = "failed") -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def unreachable(self) -> bool:
        return self.kind in UNREACHABLE


@dataclass(frozen=True)
class AbRun:
    """The measured run: merged result, the redacted command and its wall-clock window."""

    result: AbResult
    command: tuple[str, ...]  # the first process's command, `-A` value redacted
    processes: int
    started: float  # unix time the measured run started ...
    finished: float  # ... and ended: the CloudWatch query window
    ab_seconds: float  # from the first spawn to the last exit of the measured processes
    cancelled: bool = False


def run_ab(
    cfg: AbConfig, *, progress: ReportAbTime | None = None, cancel: CancelCheck | None = None,
    environ: Mapping[str, str] = os.environ,
) -> AbRun:
    """Run the warmup (if `cfg.warmup` > 0, numbers discarded), then the measured run.

    Args:
        cfg: the `ab:` config; `processes` ab processes share `concurrency` connections.
        progress: called about once a second with (phase, elapsed s, planned s).
        cancel: polled every 0.1 s; once true, ab gets SIGINT. A cancelled measured run
            returns its partial result with `cancelled=True`.
        environ: where the basic auth variables named in `cfg.auth` are read.

    Raises:
        AbFailed: ab could not run or printed no report; the message quotes ab's own line.
        ConfigError: no URL, bad URL, auth variables unset, fewer connections than processes.
    """
    cfg = replace(cfg, url=normalize_url(cfg.url or "")) if cfg.url else cfg
    shares = split_concurrency(cfg.concurrency, cfg.processes)
    with tempfile.TemporaryDirectory(prefix="servo-ab-") as tmp:
        if cfg.warmup > 0:
            _, _, cancelled = _run_processes(cfg, shares, cfg.warmup, tmp, "warmup", progress=progress,
                                             cancel=cancel, environ=environ)
            if cancelled:
                raise AbFailed("cancelled during the warmup; nothing was measured", "cancelled")
        started = time.time()
        results, ab_seconds, cancelled = _run_processes(cfg, shares, cfg.duration, tmp, "measure",
                                                        progress=progress, cancel=cancel, environ=environ)
        finished = time.time()
    command = redact(ab_command(cfg, csv_path="<csv>", concurrency=shares[0], environ=environ))
    return AbRun(result=merge(results), command=tuple(command), processes=len(shares),
                 started=started, finished=finished, ab_seconds=ab_seconds, cancelled=cancelled)


@dataclass
class _Proc:
    popen: subprocess.Popen[str]
    csv: Path
    stdout: str = ""
    stderr: str = ""
    ended: float = 0.0


def _run_processes(
    cfg: AbConfig, shares: list[int], duration: float, tmp: str, phase: str, *,
    progress: ReportAbTime | None, cancel: CancelCheck | None, environ: Mapping[str, str],
) -> tuple[list[AbResult], float, bool]:
    procs: list[_Proc] = []
    all_done = threading.Event()
    remaining = [len(shares)]
    lock = threading.Lock()

    def collect(proc: _Proc) -> None:
        proc.stdout, proc.stderr = proc.popen.communicate()
        proc.ended = time.monotonic()
        with lock:
            remaining[0] -= 1
            if remaining[0] == 0:
                all_done.set()

    begun = time.monotonic()
    try:
        for i, share in enumerate(shares):
            csv = Path(tmp) / f"{phase}-{i}.csv"
            cmd = ab_command(cfg, csv_path=str(csv), duration=duration, concurrency=share, environ=environ)
            popen = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
            procs.append(_Proc(popen, csv))
            threading.Thread(target=collect, args=(procs[-1],), daemon=True).start()
        cancelled = _wait(procs, all_done, phase=phase, duration=duration, timeout=cfg.timeout, begun=begun,
                          progress=progress, cancel=cancel)
    finally:
        for proc in procs:
            if proc.popen.poll() is None:
                proc.popen.kill()
                proc.popen.wait()
    ab_seconds = max(p.ended for p in procs) - begun
    secret = _secret(cfg, environ)
    results = [_result(p, cfg, secret, cancelled) for p in procs]
    return results, ab_seconds, cancelled


def _wait(
    procs: list[_Proc], all_done: threading.Event, *, phase: str, duration: float, timeout: float,
    begun: float, progress: ReportAbTime | None, cancel: CancelCheck | None,
) -> bool:
    """Wait for every process; True if cancel asked them to stop."""
    cancelled = False
    next_report = begun + PROGRESS_INTERVAL_S
    stop_at = begun + duration + timeout + GRACE_S
    # Waiting on the event returns as soon as the last ab exits, so the poll interval only
    # bounds how late a cancel request is noticed, never how long a run takes.
    while not all_done.wait(POLL_INTERVAL_S):
        now = time.monotonic()
        if not cancelled and cancel is not None and cancel():
            cancelled = True
            _interrupt(procs)
        if now >= stop_at:
            _interrupt(procs)
            if now >= stop_at + KILL_AFTER_S:
                for proc in procs:
                    if proc.popen.poll() is None:
                        proc.popen.kill()
        if progress is not None and now >= next_report:
            progress(phase, min(now - begun, duration), duration)
            next_report = now + PROGRESS_INTERVAL_S
    return cancelled


def _interrupt(procs: list[_Proc]) -> None:
    for proc in procs:
        if proc.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it exited since poll()
                proc.popen.send_signal(signal.SIGINT)


def _result(proc: _Proc, cfg: AbConfig, secret: str | None, cancelled: bool) -> AbResult:
    if "Requests per second" not in proc.stdout:
        if cancelled:
            raise AbFailed("cancelled before ab printed any result", "cancelled")
        raise _failure(proc.popen.returncode, proc.stderr, proc.stdout, cfg, secret)
    try:
        csv = proc.csv.read_text(encoding="utf-8")
    except OSError:
        csv = None
    return parse_ab(proc.stdout, csv)


def _failure(code: int, stderr: str, stdout: str, cfg: AbConfig, secret: str | None) -> AbFailed:
    """The MeasurementFailed that says what happened, quoting ab's own line."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip() and not ln.startswith(("Usage", " "))]
    line = lines[0] if lines else next(
        (ln.strip() for ln in reversed(stdout.splitlines()) if ln.strip()), "")
    if secret:
        line = line.replace(secret, "***")
    url = cfg.url or "?"
    for kind, exit_code, pattern, text in FAILURES:
        if pattern.search(line) or code == exit_code:
            message = text.format(url=url, timeout=cfg.timeout)
            return AbFailed(f"{message} (ab exit {code}: {line!r})", kind)
    return AbFailed(f"ab exited {code} without a report ({line!r})", "failed")


def _secret(cfg: AbConfig, environ: Mapping[str, str]) -> str | None:
    return environ.get(cfg.auth.password_env) if cfg.auth else None
