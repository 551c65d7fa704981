"""A step's overall progress only goes forward, and each stage fills its own span."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from worker.flow.progress import SPANS, advance, overall

STAGES = st.sampled_from([*SPANS, "rejected"])
REPORTS = st.lists(st.tuples(STAGES, st.floats(min_value=-10, max_value=200), st.text(max_size=20)),
                   max_size=40)


@given(REPORTS)
def test_the_shown_percent_never_goes_back_and_stays_within_0_and_100(
        reports: list[tuple[str, float, str]]) -> None:
    current = None
    last = 0
    for stage, local, message in reports:
        current = advance(current, stage, local, message)
        assert last <= current["percent"] <= 100
        assert current["message"] == message and current["stage"] == stage
        last = current["percent"]


def test_a_finished_settle_then_the_start_of_measuring_moves_forward() -> None:
    # the order the pipeline reports in (worker/flow/runtime.py): before, 100 % settled then 18 % measured
    sequence = [("adjusting", 5), ("settling", 10), ("settling", 100), ("measuring", 0), ("measuring", 18),
                ("measuring", 100)]
    shown = []
    current = None
    for stage, local in sequence:
        current = advance(current, stage, local, "")
        shown.append(current["percent"])
    assert shown == sorted(shown)
    assert shown[4] > shown[2]  # 18 % into measuring is past the end of settling
    assert overall("settling", 100) == overall("measuring", 0)
