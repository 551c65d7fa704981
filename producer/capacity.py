"""A capacity model learnt from the measurements so far: how p95 scales with vCPU, replicas,
memory and the environment, so the search can jump to the sizes that can meet the SLO
instead of walking the price list.

    model = CapacityModel.fit(space, [(settings, p95_ms), ...])
    model.predict({"cpu": 1, "mem": 2, "replicas": 3, "GOGC": 150})   # p95 ms
    model.chance_below(settings, 45.0)                                  # P(p95 <= 45)

log p95 is linear in log vCPU, log replicas, log memory and each environment variable: its
place in its range, or, for a choice among names (a collector, a cache mode: `nominal`), one
effect per name, since "z" is not further from "default" than "serial" is (a name never
tried has no effect, with the uncertainty of a slope never measured). A variable's effect
may change with log vCPU and log memory (an interaction: a cache kept in the heap pays only
with spare memory, a collector's best choice moves with the cores); each is taken from its
measured mean, so where a variable has never varied the predictions under its one value are
what they would be without it, and a prior twice an effect's (`INTERACT_WEIGHT`) keeps the
interactions small until the measurements insist. The slopes start from a prior that says
what a service under a fixed load does — p95 falls about like 1 / replicas and 1 / vCPU^0.7
(more slots, shorter CPU time; emulator/README.md "performance model") and does not depend on
memory or the environment — as a weak start only (a fifth of one measurement for cpu and
replicas): the measurements set the exponents (ridge regression towards the prior, a
Bayesian linear model with a known noise), since a service below saturation gains nothing
from replicas and one whose request slots grow with vCPU gains more than the prior says. A
prediction carries the slopes' posterior uncertainty too, so a size far from every measured
one is less sure. Measurements near the SLO weigh more: queueing makes the curve flatten far
below it, and the search cares about the boundary.
Slopes are kept at or below zero for the sizes: more capacity never makes a service slower.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import numpy as np
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

SIZE_FEATURES = ("cpu", "replicas", "mem")
PRIOR_SLOPE = {"cpu": -0.7, "replicas": -1.0, "mem": 0.0}  # log p95 per log size
PRIOR_WEIGHT = {"cpu": 0.2, "replicas": 0.2, "mem": 0.5}  # in measurements' worth
INTERACT = ("cpu", "mem")  # the sizes an environment variable's effect may change with
INTERACT_WEIGHT = 2.0  # an interaction's prior, in measurements' worth
ENV_PRIOR_WEIGHT = 1.0  # the environment's effect is unknown until it is varied
MIN_SPREAD = 0.12  # log-space uncertainty of a prediction, at least (noise + model error)
AMOUNT = re.compile(r"-?\d+(\.\d+)?\s*[a-z%]*", re.IGNORECASE)  # 100, 0.5, 1800MiB, 64ms, 75%


@dataclass(frozen=True)
class CapacityModel:
    """Fitted slopes (log p95 per feature) and the residual spread, in log space."""

    names: tuple[str, ...]  # "cpu", "replicas", "mem", then environment variables ("NAME=value" per name)
    coef: tuple[float, ...]  # intercept first, then one per name
    spread: float
    env: Mapping[str, BaseDistribution]
    samples: int
    # (X'WX + prior)^-1: the slopes' uncertainty, in units of the spread squared
    unsure: tuple[tuple[float, ...], ...] = ()
    centers: Mapping[str, float] = dataclass_field(default_factory=dict)  # interactions pivot on these means

    @classmethod
    def fit(cls, env: Mapping[str, BaseDistribution], measured: Sequence[tuple[Mapping[str, Any], float]],
            slo_ms: float | None = None) -> CapacityModel | None:
        """The model of `measured` (settings with sizes filled in, p95 ms); None with nothing measured."""
        points = [(s, p) for s, p in measured if p > 0]
        if not points:
            return None
        envs = _env_features(env)
        main = (*SIZE_FEATURES, *envs)
        names = (*main, *[f"{e}*{k}" for e in envs for k in INTERACT])
        weights = np.array([1.0 if slo_ms is None else 1 / (1 + abs(math.log(p / slo_ms)))
                            for _, p in points])
        columns = np.array([_features(main, env, s, {}) for s, _ in points])
        centers = {n: float(np.average(columns[:, i], weights=weights)) for i, n in enumerate(main)
                   if n in INTERACT or n in envs}
        x = np.array([[1.0, *_features(names, env, s, centers)] for s, _ in points])
        y = np.array([math.log(p) for _, p in points])
        prior = np.array([0.0, *[PRIOR_SLOPE.get(n, 0.0) for n in names]])
        penalty = np.diag([1e-6, *[PRIOR_WEIGHT.get(n, INTERACT_WEIGHT if "*" in n else ENV_PRIOR_WEIGHT)
                                   for n in names]])
        xw = x * weights[:, None]
        precision = xw.T @ x + penalty
        coef = np.linalg.solve(precision, xw.T @ y + penalty @ prior)
        for i, name in enumerate(names, start=1):
            if name in SIZE_FEATURES:
                coef[i] = min(coef[i], 0.0)
        residual = y - x @ coef
        spread = math.sqrt(float(np.sum(weights * residual ** 2) / max(float(np.sum(weights)), 1e-9)))
        unsure = tuple(tuple(float(v) for v in row) for row in np.linalg.inv(precision))
        return cls(names, tuple(float(c) for c in coef), max(MIN_SPREAD, spread), env, len(points), unsure,
                   centers)

    def log_predict(self, settings: Mapping[str, Any]) -> float:
        features = _features(self.names, self.env, settings, self.centers)
        return self.coef[0] + sum(c * f for c, f in zip(self.coef[1:], features, strict=True))

    def predict(self, settings: Mapping[str, Any]) -> float:
        """Expected p95 (ms) of a configuration (sizes filled in)."""
        return math.exp(self.log_predict(settings))

    def log_spread(self, settings: Mapping[str, Any]) -> float:
        """The uncertainty of a prediction (log space): the spread, wider for a configuration
        far from those measured (where the slopes' own uncertainty counts most)."""
        if not self.unsure:
            return self.spread
        x = np.array([1.0, *_features(self.names, self.env, settings, self.centers)])
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
        effects: dict[str, list[float]] = {}
        for name, c in zip(self.names, self.coef[1:], strict=True):
            variable = name.split("=", 1)[0]
            if variable in self.env and "*" not in name:  # a slope, or per name: best to worst
                effects.setdefault(variable, [0.0]).append(c)
        return math.exp(sum(max(cs) - min(cs) for cs in effects.values()))

    def describe(self) -> dict[str, Any]:
        return {"slopes": {n: round(c, 3) for n, c in zip(self.names, self.coef[1:], strict=True)},
                "spread": round(self.spread, 3), "measurements": self.samples}


def nominal(dist: BaseDistribution) -> bool:
    """A choice among names (two or more of its three or more values are not amounts): its
    values have no order, so it is modelled and moved value by value. A choice of amounts,
    with an "off" or "default" among them, is ordered by its index."""
    return isinstance(dist, CategoricalDistribution) and len(dist.choices) >= 3 \
        and sum(1 for c in dist.choices if not AMOUNT.fullmatch(str(c).strip())) >= 2


def _env_features(env: Mapping[str, BaseDistribution]) -> list[str]:
    out: list[str] = []
    for name, dist in env.items():
        out.extend([f"{name}={c}" for c in dist.choices] if nominal(dist) else [name])  # type: ignore[attr-defined]
    return out


def _features(names: Sequence[str], env: Mapping[str, BaseDistribution],
              settings: Mapping[str, Any], centers: Mapping[str, float]) -> list[float]:
    out: list[float] = []
    for n in names:
        if "*" in n:  # both from their measured means: zero where a variable never varied
            pair = n.rsplit("*", 1)
            a, b = _features(pair, env, settings, centers)
            out.append((a - centers[pair[0]]) * (b - centers[pair[1]]))
        elif n in SIZE_FEATURES:
            out.append(math.log(max(float(settings.get(n, 1)), 1e-9)))
        elif n in env:
            out.append(position(env[n], settings.get(n)))
        else:  # a name of a nominal choice: 1 where it is chosen
            variable, choice = n.split("=", 1)
            out.append(1.0 if str(settings.get(variable)) == choice else 0.0)
    return out


def position(dist: BaseDistribution, value: Any) -> float:
    """Where `value` lies in its distribution, 0..1 (a choice by its index)."""
    if value is None:
        return 0.5
    if isinstance(dist, CategoricalDistribution):
        texts = [str(c) for c in dist.choices]
        return texts.index(str(value)) / max(1, len(texts) - 1) if str(value) in texts else 0.5
    assert isinstance(dist, IntDistribution | FloatDistribution)
    low, high = float(dist.low), float(dist.high)
    return 0.0 if high == low else (float(value) - low) / (high - low)
