"""A step's overall progress: one number from 0 to 100 that only goes forward.

Each stage reports its own share (settling 0-100 %, then measuring 0-100 %); shown as is,
a step went from 100 % back to 18 % when measuring began. Each stage owns a span of the
whole, weighted by how long it usually takes on the sandbox and on AWS alike (settling
and measuring dominate), and a report never lowers what was already shown: a rollback
says so in its message, not by going backwards. Pure: the record store applies it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

# stage -> (start, end) of its span of the whole, in per cent
SPANS: dict[str, tuple[int, int]] = {
    "queued": (0, 0),
    "adjusting": (0, 10),
    "settling": (10, 50),
    "measuring": (50, 95),  # ab's warmup and run; then waiting for CloudWatch at 95
}


def overall(stage: str, local: float) -> int:
    """The whole step's per cent for `local` per cent of `stage` (unknown stages: as is)."""
    local = min(max(float(local), 0.0), 100.0)
    if stage not in SPANS:
        return int(local)
    start, end = SPANS[stage]
    return int(start + (end - start) * local / 100)


def advance(current: Mapping[str, Any] | None, stage: str, local: float, message: str) -> dict[str, Any]:
    """The record's next `progress`: this report, never below the percent already shown."""
    shown = int((current or {}).get("percent") or 0)
    return {"percent": max(shown, overall(stage, local)), "stage": stage, "message": message}


class Throttle:
    """At most one progress update every `every_s` per key (a step's task), and always on a
    change of stage. Per key: one process runs many steps' tasks, and a shared throttle would
    let one step's update hold back another's. Remembers `memory` keys, oldest dropped first."""

    def __init__(self, every_s: float = 0.5, memory: int = 4096):
        self.every_s, self.memory = every_s, memory
        self._last: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def due(self, key: str, stage: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        last_at, last_stage = self._last.get(key, (0.0, ""))
        if stage == last_stage and now - last_at < self.every_s:
            return False
        self._last[key] = (now, stage)
        self._last.move_to_end(key)
        while len(self._last) > self.memory:
            self._last.popitem(last=False)
        return True
