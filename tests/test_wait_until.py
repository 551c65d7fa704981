"""tests/support/waiting.py's wait_until: what every test that waits for something relies on."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from tests.support.waiting import wait_until


@dataclass
class Look:
    """A falsy answer that still says what it saw, as a probe of a record might."""

    status: str

    def __bool__(self) -> bool:
        return self.status == "succeeded"


def test_returns_the_first_truthy_value_the_predicate_gives() -> None:
    statuses = iter(["queued", "settling", "succeeded", "never reached"])
    assert wait_until(lambda: Look(next(statuses)), 5, "the step to end", every=0) == Look("succeeded")


def test_fails_naming_what_was_awaited_and_the_last_value_seen() -> None:
    looks = itertools.count()
    with pytest.raises(AssertionError) as info:
        wait_until(lambda: Look(f"settling, look {next(looks)}"), 0.2, "step s1 to end", every=0.05)
    last = next(looks) - 1
    assert str(info.value) == (f"waited 0.2 s for step s1 to end; last value seen: "
                               f"Look(status='settling, look {last}')")
    assert last >= 3  # it kept looking for the whole 0.2 s, every 0.05 s


def test_looks_once_even_with_no_time_left() -> None:
    assert wait_until(lambda: "ready", 0, "anything") == "ready"


def test_a_long_last_value_is_cut_to_keep_the_message_readable() -> None:
    with pytest.raises(AssertionError) as info:
        wait_until(lambda: Look("x" * 10_000), 0, "a long look")
    assert str(info.value).endswith("...") and len(str(info.value)) < 600
