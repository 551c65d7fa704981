"""What `optimize` minimizes and what it must respect, and one trial's measured outcome.

Objectives (all minimized): `cost` ($ per hour), `cost-per-million` ($ per million requests
at the measured throughput), `p95` (ms). Constraints (SLOs): p95 at most X ms, error rate
at most Y, throughput at least Z req/s. Optuna reads constraints as values where <= 0 is
satisfied; ours are relative (0.1 = 10 % beyond the limit) so no unit outweighs another.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from producer.cost import cost_per_million
from worker.contract import constants as C
from worker.contract.constants import METRIC_ERROR_RATE, METRIC_THROUGHPUT
from worker.contract.errors import ConfigError

SAMPLERS = ("auto", "cost-first", "tpe", "random")
OBJECTIVES = {"cost": "$/hour", "cost-per-million": "$/million requests", "p95": "p95 ms"}
# A step that did not start violates more than any measured miss, so the sampler ranks it
# below every measured configuration and moves away from it.
REJECTED_VIOLATION = 1000.0
# Optuna needs a number for an objective no step could measure; constraint-aware samplers
# rank infeasible trials by their violation, never by this value.
UNMEASURED = 1e9
METRIC_P95 = C.METRIC_P95  # the constant itself, under the name producer/verdict.py and studies.py use
T = TypeVar("T")


@dataclass(frozen=True)
class Goal:
    """Objectives, in order, and the SLO constraints a configuration must meet."""

    objectives: tuple[str, ...] = ("cost",)
    max_p95_ms: float | None = None
    max_error_rate: float | None = None  # a ratio: 0.01 is 1 %
    min_throughput: float | None = None  # req/s

    def __post_init__(self) -> None:
        problems = [f"--objective: {name!r} is not an objective (allowed: {', '.join(OBJECTIVES)})"
                    for name in self.objectives if name not in OBJECTIVES]
        if not self.objectives:
            problems.append(f"--objective: name at least one (allowed: {', '.join(OBJECTIVES)})")
        if len(set(self.objectives)) != len(self.objectives):
            problems.append("--objective: each objective may appear once")
        for flag, value in (("--slo-p95", self.max_p95_ms), ("--min-throughput", self.min_throughput)):
            if value is not None and value <= 0:
                problems.append(f"{flag}: must be above 0, got {value:g}")
        if self.max_error_rate is not None and not 0 <= self.max_error_rate <= 1:
            problems.append(f"--max-error-rate: must be 0..100 %, got {self.max_error_rate * 100:g}")
        if problems:
            raise ConfigError(problems)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "objectives": list(self.objectives)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Goal:
        return cls(**{**data, "objectives": tuple(data["objectives"])})


@dataclass(frozen=True)
class Outcome:
    """A configuration's result: the median over its repeats, with their spread."""

    status: str  # succeeded, rejected, failed, cancelled
    cost_per_hour: float | None
    p95_ms: float | None = None
    throughput: float | None = None
    error_rate: float | None = None
    reason: str | None = None
    spread: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    message: str | None = None  # a failed start's own words (an OOM kill names its exit code)
    samples: int = 1  # measured steps behind the medians
    p95_samples: tuple[float, ...] = ()  # each step's p95, in order (producer/verdict.py sets outliers aside)

    @property
    def cost_per_million(self) -> float | None:
        return None if self.cost_per_hour is None else cost_per_million(self.cost_per_hour, self.throughput)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "spread": {k: dict(v) for k, v in self.spread.items()},
                "cost_per_million": self.cost_per_million}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Outcome:
        fields = {k: v for k, v in data.items() if k != "cost_per_million"}
        return cls(**{**fields, "p95_samples": tuple(fields.get("p95_samples") or ())})


# Steps that ended without a verdict on their configuration: it never ran (no worker took it in
# time), or the worker serves another config or target (optimize stops on either: producer/optimize.py).
NOT_RUN = ("expired", "wrong-target")
VERDICTS = ("succeeded", "cancelled", "failed", "rejected")


def outcome(records: Sequence[Mapping[str, Any]], hourly: float | None) -> Outcome:
    """One configuration's outcome from the records of its repeated steps."""
    for status in ("cancelled", "failed", "rejected"):  # the worst status decides
        bad = [r for r in records if _status(r) == status]
        if bad:
            first = bad[0]
            reason = first.get("reason") or first.get("message") or first["status"]
            return Outcome(status, hourly, reason=reason, message=first.get("message"), samples=len(records))
    runs = [((r.get("measurement") or {}).get("metrics") or {}) for r in records]
    series = {name: [float(m[name]["value"]) for m in runs if (m.get(name) or {}).get("value") is not None]
              for name in (METRIC_P95, METRIC_THROUGHPUT, METRIC_ERROR_RATE)}
    median = {name: statistics.median(v) if v else None for name, v in series.items()}
    spread = {name: {"min": min(v), "max": max(v), "stdev": statistics.stdev(v)}
              for name, v in series.items() if len(v) > 1}
    return Outcome("succeeded", hourly, p95_ms=median[METRIC_P95], throughput=median[METRIC_THROUGHPUT],
                   error_rate=median[METRIC_ERROR_RATE], spread=spread, samples=len(records),
                   p95_samples=tuple(series[METRIC_P95]))


def _status(record: Mapping[str, Any]) -> str:
    """A step's status as a verdict reads it: one that never ran (`NOT_RUN`, or a status this
    code does not know) is `failed`, not the configuration's fault."""
    if record.get("reason") in NOT_RUN or record["status"] not in VERDICTS:
        return "failed"
    return str(record["status"])


def values(goal: Goal, result: Outcome) -> list[float]:
    """The objective values Optuna minimizes, in the goal's order."""
    by_name = {"cost": result.cost_per_hour, "cost-per-million": result.cost_per_million,
               "p95": result.p95_ms}
    return [UNMEASURED if by_name[name] is None else float(by_name[name] or 0) for name in goal.objectives]


def constraints(goal: Goal, result: Outcome) -> dict[str, float]:
    """Optuna constraint values by name (<= 0 is met): started, p95, error rate, throughput."""
    if result.status != "succeeded":
        return {"started": REJECTED_VIOLATION}
    out = {"started": 0.0}
    p95, rate, rps = result.p95_ms, result.error_rate, result.throughput
    if goal.max_p95_ms is not None:
        out["p95"] = REJECTED_VIOLATION if p95 is None else (p95 - goal.max_p95_ms) / goal.max_p95_ms
    if goal.max_error_rate is not None:  # absolute: a limit of 0 % has no scale to be relative to
        out["error_rate"] = REJECTED_VIOLATION if rate is None else rate - goal.max_error_rate
    if goal.min_throughput is not None:
        out["throughput"] = (REJECTED_VIOLATION if rps is None
                             else (goal.min_throughput - rps) / goal.min_throughput)
    return out


def feasible(goal: Goal, result: Outcome) -> bool:
    return result.status == "succeeded" and all(c <= 0 for c in constraints(goal, result).values())


def pareto(items: Sequence[T], key: Callable[[T], tuple[float, ...]]) -> list[T]:
    """The items no other item beats on every value (all minimized)."""
    points = [key(i) for i in items]

    def dominated(p: tuple[float, ...]) -> bool:
        return any(all(a <= b for a, b in zip(q, p, strict=True)) and q != p for q in points)

    return [item for item, p in zip(items, points, strict=True) if not dominated(p)]
