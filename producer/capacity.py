"""A capacity model learnt from the measurements so far: how p95 scales with vCPU, replicas,
memory and the environment, so the search can jump to the sizes that can meet the SLO
instead of walking the price list.

    model = CapacityModel.fit(space, [(settings, p95_ms), ...])
    model.predict({"cpu": 1, "mem": 2, "replicas": 3, "GOGC": 150})   # p95 ms
    model.chance_below(settings, 45.0)                                  # P(p95 <= 45)

log p95 is linear in log vCPU, log replicas, log memory and each environment variable (its
place in its range). The slopes start from a prior that says what a service under a fixed
load does — p95 falls about like 1 / replicas and 1 / vCPU^0.7 (more slots, shorter CPU
time; emulator/README.md "performance model") and does not depend on memory or the
environment — as a weak start only (a fifth of one measurement for cpu and replicas): the
measurements set the exponents (ridge regression towards the prior, a Bayesian linear model
with a known noise), since a service below saturation gains nothing from replicas and one
whose request slots grow with vCPU gains more than the prior says. A prediction carries the
slopes' posterior uncertainty too, so a size far from every measured one is less sure.
Measurements near the SLO weigh more: queueing makes the curve flatten far below it, and the
search cares about the boundary.
Slopes are kept at or below zero for the sizes: more capacity never makes a service slower.

An environment variable is not a straight line across its range: a batch size, a pool, a GC
target often has a sweet spot inside it, both ends slower. So each numeric variable gets a
curve too, a quadratic term, 4 (x - 0.5)^2 (0..1), in its place x in the range (a range
spanning `LOG_SPAN`x or more, a batch size 2-64 say, is placed by its logarithm: its effect
goes with the ratio), with a prior of no curvature worth `CURVE_PRIOR_WEIGHT` measurements. A curve is
fitted only once three values of the variable are measured, and kept only where it bends
upwards by two of its standard deviations: a bend noise could make would move every
prediction (and the search) for nothing.
`best_value` is the curve's lowest point among the values the variable takes: what the
search tries when it brackets a sweet spot.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

SIZE_FEATURES = ("cpu", "replicas", "mem")
PRIOR_SLOPE = {"cpu": -0.7, "replicas": -1.0, "mem": 0.0}  # log p95 per log size
PRIOR_WEIGHT = {"cpu": 0.2, "replicas": 0.2, "mem": 0.5}  # in measurements' worth
ENV_PRIOR_WEIGHT = 1.0  # the environment's effect is unknown until it is varied
CURVE_PRIOR_WEIGHT = 0.25  # a variable's curvature (its quadratic term): none until measurements say so
CURVE = "^2"  # a curve feature's name: the variable's, with this suffix
CURVE_VALUES = 3  # a variable gets a curve once this many of its values are measured ...
CURVE_Z = 2.0  # ... and keeps it only if it bends upwards by this many of its standard deviations
LOG_SPAN = 8.0  # a range whose high is this many times its low (low > 0) is placed by its logarithm
SCAN = 17  # values scanned of a variable with no step
MIN_SPREAD = 0.12  # log-space uncertainty of a prediction, at least (noise + model error)


@dataclass(frozen=True)
class CapacityModel:
    """Fitted slopes (log p95 per feature) and the residual spread, in log space."""

    names: tuple[str, ...]  # "cpu", "replicas", "mem", then environment variables
    coef: tuple[float, ...]  # intercept first, then one per name
    spread: float
    env: Mapping[str, BaseDistribution]
    samples: int
    # (X'WX + prior)^-1: the slopes' uncertainty, in units of the spread squared
    unsure: tuple[tuple[float, ...], ...] = ()

    @classmethod
    def fit(cls, env: Mapping[str, BaseDistribution], measured: Sequence[tuple[Mapping[str, Any], float]],
            slo_ms: float | None = None) -> CapacityModel | None:
        """The model of `measured` (settings with sizes filled in, p95 ms); None with nothing measured."""
        points = [(s, p) for s, p in measured if p > 0]
        if not points:
            return None
        lines = (*SIZE_FEATURES, *env)
        spots = [n + CURVE for n, d in env.items()
                 if _numeric(d) and len({position(d, s.get(n)) for s, _ in points}) >= CURVE_VALUES]
        if not spots:
            return cls._fit(env, points, slo_ms, lines)
        curved = cls._fit(env, points, slo_ms, (*lines, *spots))
        kept = tuple(n for n in spots if curved.bend_z(n) > CURVE_Z)
        return curved if kept == tuple(spots) else cls._fit(env, points, slo_ms, (*lines, *kept))

    def bend_z(self, name: str) -> float:
        """A curve feature's coefficient over its posterior standard deviation."""
        i = self.names.index(name) + 1
        return self.coef[i] / (self.spread * math.sqrt(max(self.unsure[i][i], 1e-12)))

    @classmethod
    def _fit(cls, env: Mapping[str, BaseDistribution], points: Sequence[tuple[Mapping[str, Any], float]],
             slo_ms: float | None, names: tuple[str, ...]) -> CapacityModel:
        x = np.array([[1.0, *_features(names, env, s)] for s, _ in points])
        y = np.array([math.log(p) for _, p in points])
        weights = np.array([1.0 if slo_ms is None else 1 / (1 + abs(math.log(p / slo_ms)))
                            for _, p in points])
        prior = np.array([0.0, *[PRIOR_SLOPE.get(n, 0.0) for n in names]])
        penalty = np.diag([1e-6, *[PRIOR_WEIGHT.get(n, CURVE_PRIOR_WEIGHT if n.endswith(CURVE)
                                                    else ENV_PRIOR_WEIGHT) for n in names]])
        xw = x * weights[:, None]
        precision = xw.T @ x + penalty
        coef = np.linalg.solve(precision, xw.T @ y + penalty @ prior)
        for i, name in enumerate(names, start=1):
            if name in SIZE_FEATURES:
                coef[i] = min(coef[i], 0.0)
        residual = y - x @ coef
        spread = math.sqrt(float(np.sum(weights * residual ** 2) / max(float(np.sum(weights)), 1e-9)))
        unsure = tuple(tuple(float(v) for v in row) for row in np.linalg.inv(precision))
        return cls(names, tuple(float(c) for c in coef), max(MIN_SPREAD, spread), env, len(points), unsure)

    def log_predict(self, settings: Mapping[str, Any]) -> float:
        features = _features(self.names, self.env, settings)
        return self.coef[0] + sum(c * f for c, f in zip(self.coef[1:], features, strict=True))

    def predict(self, settings: Mapping[str, Any]) -> float:
        """Expected p95 (ms) of a configuration (sizes filled in)."""
        return math.exp(self.log_predict(settings))

    def log_spread(self, settings: Mapping[str, Any]) -> float:
        """The uncertainty of a prediction (log space): the spread, wider for a configuration
        far from those measured (where the slopes' own uncertainty counts most)."""
        if not self.unsure:
            return self.spread
        x = np.array([1.0, *_features(self.names, self.env, settings)])
        return self.spread * math.sqrt(1 + max(0.0, float(x @ np.array(self.unsure) @ x)))

    def chance_below(self, settings: Mapping[str, Any], limit_ms: float) -> float:
        """The chance that the configuration's p95 is at most `limit_ms`."""
        z = (math.log(limit_ms) - self.log_predict(settings)) / self.log_spread(settings)
        return 0.5 * (1 + math.erf(z / math.sqrt(2)))

    def slope(self, name: str) -> float:
        """The fitted slope of a feature (log p95 per log size, or per its range); 0 if not in the model."""
        return dict(zip(self.names, self.coef[1:], strict=True)).get(name, 0.0)

    def env_gain(self) -> float:
        """How much faster the best environment is than the worst (1 = no effect learnt)."""
        swing = 0.0
        for name in self.env:
            effects = [self._effect(name, x) for x in (0.0, 1.0, self._vertex(name))]
            swing += max(effects) - min(effects)
        return math.exp(swing)

    def best_value(self, name: str) -> Any:
        """The value of an environment variable at the bottom of its fitted curve, when the curve
        has one inside the range (a sweet spot); None when it is a line, a hump or bottoms out
        at an end (the compass's moves walk a slope), or the variable is not modelled."""
        if name not in self.env or self.slope(name + CURVE) <= 0 or not 0 < self._vertex(name) < 1:
            return None
        return min(values(self.env[name]), key=lambda v: self._effect(name, position(self.env[name], v)))

    def _effect(self, name: str, x: float) -> float:
        """A variable's part of log p95 at place `x` (0..1) in its range."""
        return self.slope(name) * x + self.slope(name + CURVE) * 4 * (x - 0.5) ** 2

    def _vertex(self, name: str) -> float:
        """Where the variable's curve turns, within 0..1 (an end with no curvature)."""
        bend = self.slope(name + CURVE)
        if abs(bend) < 1e-12:
            return 0.0
        return min(max(0.5 - self.slope(name) / (8 * bend), 0.0), 1.0)

    def describe(self) -> dict[str, Any]:
        return {"slopes": {n: round(c, 3) for n, c in zip(self.names, self.coef[1:], strict=True)},
                "spread": round(self.spread, 3), "measurements": self.samples}


def _features(names: Sequence[str], env: Mapping[str, BaseDistribution],
              settings: Mapping[str, Any]) -> list[float]:
    out = []
    for n in names:
        if n in SIZE_FEATURES:
            out.append(math.log(max(float(settings.get(n, 1)), 1e-9)))
        elif n.endswith(CURVE) and n not in env:
            base = n[:-len(CURVE)]
            out.append(4 * (position(env[base], settings.get(base)) - 0.5) ** 2)  # 0..1
        else:
            out.append(position(env[n], settings.get(n)))
    return out


def _numeric(dist: BaseDistribution) -> bool:
    return isinstance(dist, IntDistribution | FloatDistribution) and float(dist.high) > float(dist.low)


def position(dist: BaseDistribution, value: Any) -> float:
    """Where `value` lies in its distribution, 0..1 (a choice by its index; a range spanning
    `LOG_SPAN`x or more by its logarithm)."""
    if value is None:
        return 0.5
    if isinstance(dist, CategoricalDistribution):
        texts = [str(c) for c in dist.choices]
        return texts.index(str(value)) / max(1, len(texts) - 1) if str(value) in texts else 0.5
    assert isinstance(dist, IntDistribution | FloatDistribution)
    low, high = float(dist.low), float(dist.high)
    if high == low:
        return 0.0
    if low > 0 and high >= LOG_SPAN * low:
        return math.log(max(float(value), low) / low) / math.log(high / low)
    return (float(value) - low) / (high - low)


def values(dist: BaseDistribution) -> list[Any]:
    """The values a variable takes (`SCAN` of them, evenly placed, when it has no step)."""
    if isinstance(dist, CategoricalDistribution):
        return list(dist.choices)
    assert isinstance(dist, IntDistribution | FloatDistribution)
    low, high, step = dist.low, dist.high, dist.step
    if step:
        count = round((high - low) / step) + 1
        out = [low + i * step for i in range(count)]
    else:
        out = [low + (high - low) * i / (SCAN - 1) for i in range(SCAN)]
    return [int(v) for v in out] if isinstance(dist, IntDistribution) else [round(float(v), 10) for v in out]
