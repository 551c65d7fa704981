"""The one way tests wait for something: poll a predicate until it holds, within a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float, message: str, every: float = 0.05) -> T:
    """Call `predicate` every `every` seconds until it returns a truthy value, and return that
    value. After `timeout` seconds fail with an AssertionError naming what was awaited
    (`message`, e.g. "step s1 to reach settling") and the last value the predicate returned,
    so a failure says how far it got. The predicate is always called at least once."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            seen = repr(value)
            seen = seen if len(seen) <= 500 else seen[:500] + "..."
            raise AssertionError(f"waited {timeout:g} s for {message}; last value seen: {seen}")
        time.sleep(every)
