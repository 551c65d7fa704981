"""A chaos run: steps through a real worker on the hostile sandbox, one at a time, each
checked against what the service really runs (read past the faults) the moment it ends.

The test (tests/test_chaos.py) and the bench (bench/chaos.py) run the same thing at two
sizes. A step that should fail runs out of memory: 0.5 GiB holds GOGC <= 160 in the demo
app's model (emulator/README.md), so GOGC 170..200 at 0.5 GiB is OOM-killed on start.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CHAOS_TIMEOUT_S = 120  # settle and rollback deadline per step: room for 20 % errors and throttling
STEP_WAIT_S = 300  # how long one step may take in all before the run is declared stuck
OOM_SETTINGS = ({"cpu": 0.25, "mem": 0.5, "GOGC": 200}, {"cpu": 0.25, "mem": 0.5, "GOGC": 180},
                {"cpu": 0.25, "mem": 0.5, "GOGC": 170})


def chaos_config(path: Path) -> None:
    """The sandbox config for a chaos run: short benchmarks, no CloudWatch wait, generous
    deadlines (a transient error must never be what ends a step)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["ab"].update(duration=1, warmup=0, concurrency=4, timeout=5)
    raw.pop("cloudwatch", None)
    for comp in raw["fargate"].values():
        comp.update(timeout_service_desired_count=CHAOS_TIMEOUT_S, rollback_timeout=CHAOS_TIMEOUT_S)
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")


def plan(steps: int, failing: int, seed: int) -> list[tuple[dict[str, Any], bool]]:
    """`steps` settings, `failing` of them OOM-killed, in a seeded order: (settings, should fail)."""
    rng = random.Random(seed)
    good = [{"cpu": rng.choice([0.25, 0.5]), "mem": 1, "GOGC": rng.choice(range(50, 160, 10)),
             "replicas": rng.choice([1, 2, 3])} for _ in range(steps - failing)]
    bad = [dict(OOM_SETTINGS[i % len(OOM_SETTINGS)]) for i in range(failing)]
    order: list[tuple[dict[str, Any], bool]] = [(s, False) for s in good] + [(s, True) for s in bad]
    rng.shuffle(order)
    return order


@dataclass
class Outcome:
    settings: dict[str, Any]
    should_fail: bool
    record: dict[str, Any]
    really_runs: tuple[str, int]  # read from the sandbox's unfaulted side when the step ended
    seconds: float
    ran_before: tuple[str, int]  # the same, just before the step was submitted

    @property
    def said_runs(self) -> tuple[str, int] | None:
        """What the record says the service runs; a step that ended before changing
        anything (no `applied`, no rollback) says: what it ran before."""
        runs = self.record.get("runs") or {}
        if "task_definition" in runs:
            return runs["task_definition"], int(runs["desired_count"])
        if self.record.get("applied") is None and self.record.get("rollback") is None:
            return self.ran_before
        return None

    @property
    def problems(self) -> list[str]:
        rec, out = self.record, []
        if self.said_runs != self.really_runs:
            out.append(f"record says the service runs {self.said_runs}, it runs {self.really_runs}")
        if self.should_fail and not (rec["status"] == "rejected" and (rec.get("rollback") or {}).get("ok")):
            out.append(f"expected rejected and rolled back, got {rec['status']} {rec['reason']}: "
                       f"{rec['message']}")
        if not self.should_fail and rec["status"] != "succeeded":
            out.append(f"expected succeeded, got {rec['status']} {rec['reason']}: {rec['message']}")
        return out


@dataclass
class ChaosRun:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed_transient(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.record["status"] == "failed"]

    @property
    def problems(self) -> list[str]:
        return [f"step {i} {o.settings}: {p}" for i, o in enumerate(self.outcomes) for p in o.problems]


def run_steps(stack: Any, component: str, steps: list[tuple[dict[str, Any], bool]]) -> ChaosRun:
    """Submit each step after the previous ended; compare its record with the service."""
    run = ChaosRun()
    for settings, should_fail in steps:
        before = stack.sandbox.service_state()
        started = time.monotonic()
        handle = stack.producer.submit(component, settings)
        record = handle.wait(timeout=STEP_WAIT_S)
        state = stack.sandbox.service_state()
        run.outcomes.append(Outcome(settings, should_fail, record,
                                    (state["taskDefinition"], int(state["desiredCount"])),
                                    time.monotonic() - started,
                                    (before["taskDefinition"], int(before["desiredCount"]))))
    return run


@contextmanager
def chaos_stack(workdir: Path, redis_url: str, faults: str, endpoint_url: str | None = None,
                call_log: Path | None = None) -> Iterator[Any]:
    from tests.support.sandbox_stack import stack

    with stack(workdir, redis_url, endpoint_url, faults=faults, call_log=call_log, rewrite=chaos_config,
               name="chaos") as running:
        yield running
