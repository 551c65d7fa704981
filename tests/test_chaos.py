"""A short chaos run: 8 steps, 2 of them OOM-killed, through a real worker on the hostile
sandbox (20 % of AWS calls failing transiently, AWS's throttle rates enforced). Every step
must end succeeded, or rejected and rolled back; none failed for a transient cause; and
the moment each ends, the service really runs what its record says. bench/chaos.py is the
long run, with its numbers in bench/README.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_REDIS_URL
from tests.support.chaos import chaos_stack, plan, run_steps

pytestmark = pytest.mark.slow
FAULTS = "throttle,errors=0.2,seed=7"


@pytest.mark.timeout(900)
def test_a_bad_day_ends_every_step_succeeded_or_rolled_back_as_recorded(aws_endpoint: str, tmp_path: Path,
                                                                          redis_db: Any) -> None:
    steps = plan(8, 2, seed=7)
    with chaos_stack(tmp_path, TEST_REDIS_URL, FAULTS, aws_endpoint) as stack:
        run = run_steps(stack, stack.sandbox.name, steps)
        outcomes = [o.record["status"] for o in run.outcomes]
        injected = sum(1 for c in stack.sandbox.calls if c.outcome in ("injected", "throttled"))
    assert run.problems == [], run.problems
    assert run.failed_transient == []
    assert sorted(outcomes) == ["rejected"] * 2 + ["succeeded"] * 6
    assert injected > 0  # the day really was bad
