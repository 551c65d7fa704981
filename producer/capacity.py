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
replicas, a third for each environment variable over its range): the measurements set the
exponents (ridge regression towards the prior, a Bayesian linear model with a known noise),
since a service below saturation gains nothing from replicas and one whose request slots grow
with vCPU gains more than the prior says. A
prediction carries the slopes' posterior uncertainty too, so a size far from every measured
one is less sure. Measurements near the SLO weigh more: queueing makes the curve flatten far
below it, and the search cares about the boundary.
Slopes are kept at or below zero for the sizes: more capacity never makes a service slower.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import numpy as np
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from producer.space import value_text

SIZE_FEATURES = ("cpu", "replicas", "mem")
PRIOR_SLOPE = {"cpu": -0.7, "replicas": -1.0, "mem": 0.0}  # log p95 per log size
PRIOR_WEIGHT = {"cpu": 0.2, "replicas": 0.2, "mem": 0.5}  # in measurements' worth
INTERACT = ("cpu", "mem")  # the sizes an environment variable's effect may change with
INTERACT_WEIGHT = 2.0  # an interaction's prior, in measurements' worth
# an environment variable's effect over its whole range, in measurements' worth: weak, since a compass move
# (a quarter of the range) adds only about 0.03 of one, and a variable may well matter as much as a size
ENV_PRIOR_WEIGHT = 0.3
MIN_SPREAD = 0.12  # log-space uncertainty of a prediction, at least (noise + model error)
# 0.5, 1e3, 1800MiB, 64ms: what the config's numbers (worker/contract/numbers.py) accept, and a unit
AMOUNT = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?\s*[a-z%]*", re.IGNORECASE)
ABSENT = frozenset({"off", "default", "auto", "none", "unset", "unlimited", "disabled", "false", "true"})


# A model's terms: ("size", "cpu"), ("env", "GOGC") (a place in its range), ("name", "JAVA_GC", "z")
# (1 where that name is chosen), ("pair", term, "cpu") (an environment term times a log size).
Term = tuple[Any, ...]


@dataclass(frozen=True)
class CapacityModel:
    """Fitted slopes (log p95 per term) and the residual spread, in log space."""

    terms: tuple[Term, ...]  # sizes, then environment terms, then their pairs with sizes
    coef: tuple[float, ...]  # intercept first, then one per term
    spread: float
    env: Mapping[str, BaseDistribution]
    samples: int
    # (X'WX + prior)^-1: the slopes' uncertainty, in units of the spread squared
    unsure: tuple[tuple[float, ...], ...] = ()
    centers: Mapping[Term, float] = dataclass_field(default_factory=dict)  # pairs pivot on these means
    box: Mapping[str, tuple[float, float]] = dataclass_field(default_factory=dict)  # log sizes measured

    @classmethod
    def fit(cls, env: Mapping[str, BaseDistribution], measured: Sequence[tuple[Mapping[str, Any], float]],
            slo_ms: float | None = None) -> CapacityModel | None:
        """The model of `measured` (settings with sizes filled in, p95 ms); None with nothing measured."""
        points = [(s, p) for s, p in measured if p > 0]
        if not points:
            return None
        envs = _env_terms(env)
        main = (*[("size", k) for k in SIZE_FEATURES], *envs)
        terms = (*main, *[("pair", e, k) for e in envs for k in INTERACT])
        weights = np.array([1.0 if slo_ms is None else 1 / (1 + abs(math.log(p / slo_ms)))
                            for _, p in points])
        columns = np.array([_row(main, env, s, {}) for s, _ in points])
        centers = {t: float(np.average(columns[:, i], weights=weights)) for i, t in enumerate(main)
                   if t[0] != "size" or t[1] in INTERACT}
        box = {t[1]: (float(columns[:, i].min()), float(columns[:, i].max())) for i, t in enumerate(main)
               if t[0] == "size" and t[1] in INTERACT}
        x = np.array([[1.0, *_row(terms, env, s, centers)] for s, _ in points])
        y = np.array([math.log(p) for _, p in points])
        prior = np.array([0.0, *[PRIOR_SLOPE.get(t[1], 0.0) if t[0] == "size" else 0.0 for t in terms]])
        penalty = np.diag([1e-6, *[PRIOR_WEIGHT[t[1]] if t[0] == "size" else
                                   INTERACT_WEIGHT if t[0] == "pair" else ENV_PRIOR_WEIGHT for t in terms]])
        xw = x * weights[:, None]
        precision = xw.T @ x + penalty
        coef = np.linalg.solve(precision, xw.T @ y + penalty @ prior)
        for i, term in enumerate(terms, start=1):
            if term[0] == "size":
                coef[i] = min(coef[i], 0.0)
        residual = y - x @ coef
        spread = math.sqrt(float(np.sum(weights * residual ** 2) / max(float(np.sum(weights)), 1e-9)))
        unsure = tuple(tuple(float(v) for v in row) for row in np.linalg.inv(precision))
        return cls(terms, tuple(float(c) for c in coef), max(MIN_SPREAD, spread), env, len(points), unsure,
                   centers, box)

    @property
    def names(self) -> tuple[str, ...]:
        """The terms as text: cpu, GOGC, JAVA_GC=z, GOGC x cpu."""
        return tuple(_name(t) for t in self.terms)

    def _row(self, settings: Mapping[str, Any]) -> list[float]:
        return _row(self.terms, self.env, settings, self.centers)

    def log_predict(self, settings: Mapping[str, Any]) -> float:
        return self._log_predict(self._row(settings))

    def _log_predict(self, row: Sequence[float]) -> float:
        return self.coef[0] + sum(c * f for c, f in zip(self.coef[1:], row, strict=True))

    def predict(self, settings: Mapping[str, Any]) -> float:
        """Expected p95 (ms) of a configuration (sizes filled in)."""
        return math.exp(self.log_predict(settings))

    def log_spread(self, settings: Mapping[str, Any]) -> float:
        """The uncertainty of a prediction (log space): the spread, wider for a configuration
        far from those measured (where the slopes' own uncertainty counts most)."""
        return self._log_spread(self._row(settings))

    def _log_spread(self, row: Sequence[float]) -> float:
        if not self.unsure:
            return self.spread
        x = np.array([1.0, *row])
        return self.spread * math.sqrt(1 + max(0.0, float(x @ np.array(self.unsure) @ x)))

    def chance_below(self, settings: Mapping[str, Any], limit_ms: float) -> float:
        """The chance that the configuration's p95 is at most `limit_ms`."""
        row = self._row(settings)
        z = (math.log(limit_ms) - self._log_predict(row)) / self._log_spread(row)
        return 0.5 * (1 + math.erf(z / math.sqrt(2)))

    def slope(self, name: str) -> float:
        """The fitted slope of a feature (log p95 per log size, or per its range); 0 if not in the model."""
        return dict(zip(self.names, self.coef[1:], strict=True)).get(name, 0.0)

    def env_gain(self) -> float:
        """How much faster the best environment is than the worst (1 = no effect learnt), at
        the corner of the measured sizes where the environment matters most (its effects may
        change with the size)."""
        coef = dict(zip(self.terms, self.coef[1:], strict=True))
        corners = [dict(zip(self.box, c, strict=True)) for c in itertools.product(*self.box.values())] or [{}]

        def effect(term: Term, corner: Mapping[str, float]) -> float:  # its slope there
            return coef[term] + sum(coef.get(("pair", term, k), 0.0) * (at - self.centers[("size", k)])
                                    for k, at in corner.items())

        swing = 0.0
        for variable in self.env:
            own = [t for t in coef if t[0] in ("env", "name") and t[1] == variable]
            spans = []
            for corner in corners:  # a range's slope over its whole range, or from the best name to the worst
                effects = [effect(t, corner) for t in own] + ([0.0] if len(own) == 1 else [])
                spans.append(max(effects, default=0.0) - min(effects, default=0.0))
            swing += max(spans)
        return math.exp(swing)

    def describe(self) -> dict[str, Any]:
        return {"slopes": {n: round(c, 3) for n, c in zip(self.names, self.coef[1:], strict=True)},
                "spread": round(self.spread, 3), "measurements": self.samples}


def nominal(dist: BaseDistribution) -> bool:
    """A choice among names: three or more values, two or more of them neither amounts (90, 1e3,
    1800MiB, 64ms) nor a setting's usual words for its absence (off, default, auto, none, ...).
    Its values have no order, so it is modelled and moved name by name; a choice of amounts, an
    "off" among them or not, is ordered by its index."""
    if not isinstance(dist, CategoricalDistribution) or len(dist.choices) < 3:
        return False
    texts = [value_text(c).strip() for c in dist.choices]
    return sum(1 for t in texts if not AMOUNT.fullmatch(t) and t.lower() not in ABSENT) >= 2


def _env_terms(env: Mapping[str, BaseDistribution]) -> list[Term]:
    out: list[Term] = []
    for name, dist in env.items():
        if nominal(dist):
            out.extend(("name", name, value_text(c)) for c in dist.choices)  # type: ignore[attr-defined]
        else:
            out.append(("env", name))
    return out


def _name(term: Term) -> str:
    kind = term[0]
    return term[1] if kind in ("size", "env") else f"{term[1]}={term[2]}" if kind == "name" \
        else f"{_name(term[1])} x {term[2]}"


def _row(terms: Sequence[Term], env: Mapping[str, BaseDistribution], settings: Mapping[str, Any],
         centers: Mapping[Term, float]) -> list[float]:
    """The terms' values for `settings`; a pair (after its terms) is its environment term times
    its log size, each from its measured mean (0 where one never varied)."""
    values: dict[Term, float] = {}
    for term in terms:
        if term[0] == "pair":
            base, size = term[1], ("size", term[2])
            values[term] = (values[base] - centers[base]) * (values[size] - centers[size])
        else:
            values[term] = _value(term, env, settings)
    return [values[t] for t in terms]


def _value(term: Term, env: Mapping[str, BaseDistribution], settings: Mapping[str, Any]) -> float:
    kind, name = term[0], term[1]
    if kind == "size":
        return math.log(max(float(settings.get(name, 1)), 1e-9))
    if kind == "env":
        return position(env[name], settings.get(name))
    return 1.0 if value_text(settings.get(name)) == term[2] else 0.0  # a name: 1 where it is chosen


def position(dist: BaseDistribution, value: Any) -> float:
    """Where `value` lies in its distribution, 0..1 (a choice by its index)."""
    if value is None:
        return 0.5
    if isinstance(dist, CategoricalDistribution):
        texts = [value_text(c) for c in dist.choices]
        return texts.index(value_text(value)) / max(1, len(texts) - 1) if value_text(value) in texts else 0.5
    assert isinstance(dist, IntDistribution | FloatDistribution)
    low, high = float(dist.low), float(dist.high)
    return 0.0 if high == low else (float(value) - low) / (high - low)
