"""Cheapest size first: the search for the cheapest configuration that meets the SLOs.

When cost per hour is the only objective, a configuration's cost is known before it runs;
only whether it meets the SLOs is not. The question is then which is the cheapest *size*
(cpu, memory, replicas) that can meet them, and the other settings (environment variables
such as GOGC) tune within a size. A general-purpose sampler spends most of a small budget
learning what the price list already says; this search spends it on feasibility:

- Sizes are walked cheapest first, among those cheaper than the best feasible one found.
- A size's first try keeps the environment that worked best so far (the baseline's at
  first). A size whose result misses the SLO by more than `near` is ruled out at once.
  One that nearly meets it, or whose tasks did not start, gets up to `extra` more tries.
  They follow a compass search from the size's best try so far: each environment
  variable a quarter of its range up, then down, then an eighth, and so on, skipping
  what was tried. A step up that fails to start (GOGC raising memory, say) makes the
  next tries go down or by a smaller step.
- When no cheaper size is left open, the search is complete: the best found is the
  cheapest the budget could prove, and the remaining budget is not spent.

The state is read from the study each time, so a resumed run goes on where it stopped,
and nothing is random: the sampler's seed does not change the proposals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from producer import objectives as obj
from producer.space import SearchSpace, settings_key, value_text

SIZE_KEYS = ("cpu", "mem", "replicas")
NEAR = 0.2  # a miss by at most 20 % of a limit may be the environment's fault, or noise
EXTRA_TRIES = 3  # more tries of a size that nearly met the SLOs or did not start

Settings = Mapping[str, Any]
Tried = tuple[Settings, obj.Outcome]  # a measured configuration and its outcome
SizeKey = tuple[tuple[str, str], ...]


class CostFirst:
    """Proposes the next configuration from the measured ones (`tried`); see the module."""

    def __init__(self, space: SearchSpace, goal: obj.Goal, hourly: Callable[[Settings], float | None],
                 anchor_env: Settings | None = None, *, near: float = NEAR, extra: int = EXTRA_TRIES):
        self.space, self.goal, self.near = space, goal, near
        sizes = {_size_key(s): _size(s) for s in space.grid()}
        costs = {key: hourly(size) for key, size in sizes.items()}
        self.sizes = sorted((size for key, size in sizes.items() if costs[key] is not None),
                            key=lambda s: costs[_size_key(s)] or 0.0)
        self.cost = {key: float(c) for key, c in costs.items() if c is not None}
        self.env_keys = [k for k in space.others if k not in SIZE_KEYS]
        self.extra = extra if self.env_keys else 0  # nothing else to vary: one try decides
        # A value the space does not hold (a baseline off the step, say) is left to the sampler.
        self.anchor_env = {k: v for k, v in (anchor_env or {}).items() if k in self.env_keys
                           and self.sizes and space.params({**self.sizes[0], k: v}, partial=True) is not None}

    @staticmethod
    def applies(space: SearchSpace, goal: obj.Goal) -> bool:
        """Only for cost alone, and only when the size is searched at all."""
        return goal.objectives == ("cost",) and bool(space.cpu or space.memory_alone
                                                     or "replicas" in space.others)

    def propose(self, tried: Sequence[Tried]) -> dict[str, Any] | None:
        """The settings of the next step (an environment variable with no known value is
        left to the sampler), or None when the search is complete."""
        by_size: dict[SizeKey, list[Tried]] = {}
        for settings, result in tried:
            by_size.setdefault(_size_key(settings), []).append((settings, result))
        feasible = [self.cost[_size_key(s)] for s, r in tried
                    if obj.feasible(self.goal, r) and _size_key(s) in self.cost]
        best = min(feasible, default=None)
        for size in self.sizes:
            key = _size_key(size)
            if best is not None and self.cost[key] >= best:
                return None  # every cheaper size is ruled out
            results = by_size.get(key, [])
            if not results:
                return {**size, **self._env_for_first_try(tried)}
            env = self._next_env(results) if self._open(results) else None
            if env is not None:
                return {**size, **env}
        return None

    def _open(self, results: Sequence[Tried]) -> bool:
        """A size with tries left that nearly met the SLOs, or did not start."""
        if len(results) > self.extra:
            return False
        return any(r.status == "rejected" or self._miss(r) <= self.near for _, r in results)

    def _next_env(self, results: Sequence[Tried]) -> dict[str, Any] | None:
        """The compass search's next untried environment around the size's best try."""
        center, _ = min(results, key=lambda pair: self._rank(pair[1]))
        start = {k: center[k] for k in self.env_keys if k in center}
        tried = {settings_key({k: s.get(k) for k in self.env_keys}) for s, _ in results}
        for fraction in (4, 8, 16, 32):
            for name in self.env_keys:
                if name not in start:
                    continue
                for sign in (1, -1):
                    env = {**start, name: _move(self.space.others[name], start[name], sign / fraction)}
                    if settings_key(env) not in tried:
                        return env
        return None

    def _rank(self, result: obj.Outcome) -> float:
        return float("inf") if result.status != "succeeded" else self._miss(result)

    def _miss(self, result: obj.Outcome) -> float:
        """How far the worst SLO was missed, as a fraction of its limit (0 when met)."""
        return max([0.0, *obj.constraints(self.goal, result).values()])

    def _env_for_first_try(self, tried: Sequence[Tried]) -> dict[str, Any]:
        """The environment of the best feasible configuration so far, else the anchor."""
        feasible = [(self.cost.get(_size_key(s), 0.0), s) for s, r in tried if obj.feasible(self.goal, r)]
        if feasible:
            _, settings = min(feasible, key=lambda pair: pair[0])
            return {k: settings[k] for k in self.env_keys if k in settings}
        return dict(self.anchor_env)


def _move(dist: BaseDistribution, value: Any, by: float) -> Any:
    """`value` moved by `by` times the distribution's span (or its choices), snapped to a
    value the distribution holds."""
    if isinstance(dist, CategoricalDistribution):
        choices = list(dist.choices)
        index = next(i for i, c in enumerate(choices) if value_text(c) == value_text(value))
        shift = round(by * len(choices)) or (1 if by > 0 else -1)
        return choices[min(max(index + shift, 0), len(choices) - 1)]
    assert isinstance(dist, IntDistribution | FloatDistribution)
    low, high, step = dist.low, dist.high, dist.step
    moved = min(max(float(value) + by * (high - low), low), high)
    if step:
        moved = low + round((moved - low) / step) * step
    return int(moved) if isinstance(dist, IntDistribution) else round(moved, 10)


def _size(settings: Settings) -> dict[str, Any]:
    return {k: settings[k] for k in SIZE_KEYS if k in settings}


def _size_key(settings: Settings) -> SizeKey:
    return settings_key(_size(settings))
