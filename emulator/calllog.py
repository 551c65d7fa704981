"""Every call the sandbox's public endpoint answered, in memory and as JSON lines.

One line per call:

    {"t": 1764481532.12, "service": "ecs", "action": "DescribeServices", "family": "ecs.service-read",
     "names": ["web"], "outcome": "throttled", "code": "ThrottlingException", "status": 400,
     "latency_ms": 0.4}

`outcome` is `ok`; `throttled` (an empty bucket); `injected` (a transient error of the fault
spec); `denied` (a gate, such as an IAM enforcer, refused it); or `error` (moto's own error
reply, e.g. ServiceNotFoundException). `code` is the error code, null when ok.

A bench in another process reads the file:

    python -m emulator.calllog calls.jsonl [--since EPOCH_SECONDS]

prints, per action, calls, calls per second over the log's span, and outcomes (JSON).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

OUTCOMES = ("ok", "throttled", "injected", "denied", "error")


@dataclass(frozen=True, slots=True)
class Call:
    t: float  # time.time() when the request arrived
    service: str
    action: str
    family: str | None  # the throttle bucket it draws from (emulator/throttle.py)
    names: tuple[str, ...]  # ECS services / target groups it names, where cheap to read
    outcome: str
    code: str | None
    status: int
    latency_ms: float


class CallLog:
    """Thread-safe; appends each call to `path` (JSON lines, flushed per line) when given."""

    def __init__(self, path: Path | None = None):
        self.path = path
        self._calls: list[Call] = []
        self._lock = threading.Lock()
        self._file: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a", encoding="utf-8")

    def record(self, call: Call) -> None:
        line = json.dumps(asdict(call)) if self._file is not None else ""
        with self._lock:
            self._calls.append(call)
            if self._file is not None:
                self._file.write(line + "\n")
                self._file.flush()

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def read_calls(path: Path) -> list[Call]:
    """The calls of a JSON-lines log; a torn last line (a writer mid-line) is skipped."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            raw = json.loads(line)
        except ValueError:
            continue
        raw["names"] = tuple(raw.get("names") or ())
        out.append(Call(**raw))
    return out


def summarize(calls: Iterable[Call], since: float | None = None) -> dict[str, Any]:
    """Per action: calls, calls/s over the span of the calls kept, and outcome counts."""
    kept: Sequence[Call] = [c for c in calls if since is None or c.t >= since]
    if not kept:
        return {"calls": 0, "span_s": 0.0, "throttled": 0, "actions": {}}
    span = max(max(c.t for c in kept) - min(c.t for c in kept), 1e-9)
    per: dict[str, Counter[str]] = defaultdict(Counter)
    for c in kept:
        per[f"{c.service}:{c.action}"][c.outcome if c.outcome == "ok" else f"{c.outcome}:{c.code}"] += 1
    actions = {name: {"calls": sum(counts.values()), "per_s": round(sum(counts.values()) / span, 3),
                      "outcomes": dict(counts)} for name, counts in sorted(per.items())}
    return {"calls": len(kept), "span_s": round(span, 3),
            "throttled": sum(c.outcome == "throttled" for c in kept), "actions": actions}


@dataclass(frozen=True)
class FamilyLoad:
    """What one API family drew between two times: what a bench's table reports."""

    calls: int  # every call that arrived, throttled ones included
    per_s: float  # calls a second over the window
    peak_1s: int  # the most calls in any one second of the window (each second ending at a call)
    throttled: int
    names_per_call: float  # services / target groups named per call, on average (0: none named)
    latency_ms: float  # median time the endpoint took to answer (moto's work included)


def load(calls: Iterable[Call], start: float, end: float) -> dict[str, FamilyLoad]:
    """Per throttle family (emulator/throttle.py), the calls that arrived in [start, end]."""
    span = max(end - start, 1e-9)
    per: dict[str, list[Call]] = defaultdict(list)
    for c in calls:
        if c.family is not None and start <= c.t <= end:
            per[c.family].append(c)
    out = {}
    for family, kept in sorted(per.items()):
        times = sorted(c.t for c in kept)
        peak, lo = 0, 0
        for hi, t in enumerate(times):
            while times[lo] < t - 1.0:
                lo += 1
            peak = max(peak, hi - lo + 1)
        out[family] = FamilyLoad(len(kept), round(len(kept) / span, 3), peak,
                                 sum(c.outcome == "throttled" for c in kept),
                                 round(sum(len(c.names) for c in kept) / len(kept), 2),
                                 statistics.median(c.latency_ms for c in kept))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.calllog", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path, help="a call log written by Sandbox(call_log=...)")
    parser.add_argument("--since", type=float, default=None, help="only calls at or after this epoch time")
    args = parser.parse_args(argv)
    if not args.path.is_file():
        print(f"calllog: no file {args.path}; start the sandbox with --call-log {args.path}", file=sys.stderr)
        return 1
    print(json.dumps(summarize(read_calls(args.path), args.since), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
