"""Expiry: a step not started within its `expires` ends `expired` and never runs.

A step's clock starts at submission; in a sweep, a later step's clock starts when the step
before it ended, since the sweep runs its steps one after another. A step that never ran
(it expired, or was cancelled while queued) passes its own clock on unchanged: the next
step has waited just as long. Celery's own message expiry is not used: a revoked task
would break the sweep's chain.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from worker.contract.records import TERMINAL, now

DEFAULT_EXPIRES_S = 3600.0


def check_expires(value: Any, path: str) -> list[str]:
    """Problems with an `expires` value (seconds, above 0)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or value <= 0:
        return [f"{path}: {value!r} must be a finite number of seconds above 0 (how long a step may wait "
                f"for a worker before it ends expired; default {DEFAULT_EXPIRES_S:g})"]
    return []


def ran(record: Mapping[str, Any]) -> bool:
    """True when a worker took the step up (it did not end waiting for one)."""
    return record["status"] != "expired" and bool(record.get("stages") or record["status"] != "cancelled")


def deadlines(steps: Sequence[Mapping[str, Any]]) -> list[float | None]:
    """Each step's deadline to start, in sweep order; None while the step before it runs."""
    out: list[float | None] = []
    base: float | None = None
    for i, rec in enumerate(steps):
        if i == 0:
            base = float(rec["created_at"])
        elif base is not None:
            prev = steps[i - 1]
            if prev["status"] not in TERMINAL:
                base = None
            elif ran(prev):
                base = float(prev.get("finished_at") or prev["updated_at"])
        out.append(None if base is None else base + float(rec.get("expires") or DEFAULT_EXPIRES_S))
    return out


def why_expired(store: Any, record: Mapping[str, Any], at: float | None = None) -> str | None:
    """The expiry message when a queued step's deadline has passed, else None."""
    if record["status"] != "queued":
        return None  # started: a step that began is finished, never expired
    steps: Sequence[Mapping[str, Any]] = [record]
    index = 0
    if record.get("sweep_id") and record.get("index"):
        steps = store.sweep_steps(record["sweep_id"])
        index = next((i for i, s in enumerate(steps) if s["id"] == record["id"]), 0)
    deadline = deadlines(steps[: index + 1])[index]
    at = now() if at is None else at
    if deadline is None or at <= deadline:
        return None
    return (f"not started within its expires ({float(record.get('expires') or DEFAULT_EXPIRES_S):g} s): "
            f"no worker took it up in time, so it never ran. Submit it again while workers run, "
            "or give it a longer expires")
