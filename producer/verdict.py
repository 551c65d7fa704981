"""How sure a noisy result is to meet the SLO (pure).

One benchmark of a configuration is one draw of a noisy p95. The noise is the same kind of
thing at every size (a neighbour's load, the network, GC pauses), so it is estimated once,
from every configuration measured more than once (their spreads pooled, weighted by their
degrees of freedom), starting from a weak prior. One slow run (a noisy neighbour, a deploy
beside it: 1.5-2x the others) would make that estimate several times the true noise for the
rest of the search, and every near result undecidable, so a run further than `REJECT` noises
from the rest of its configuration's runs is set aside from the noise (the noise then being a
robust one, from the runs' median distance to their configurations' medians, so that no
outlier hides itself or another); of two runs that far apart, both, as which one is the
outlier cannot be told. A configuration's verdict is then the
chance that its true p95 is within the limit, given the median of its own samples:

    chance_met = Phi(-log(p95 / limit) / (noise x MEDIAN_SE(n) / sqrt(n)))

and, once the capacity model (producer/capacity.py) has seen enough configurations, that
median is pulled towards the model's prediction for it (the two weighted by their precisions):
the other sizes' measurements speak for this one too.

The search repeats a result while its verdict is undecided (the chance between `MISSED`
and `TRUSTED`) and trusts a pass only once the chance reaches `TRUSTED`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from producer import objectives as obj

PRIOR_NOISE = 0.08  # relative p95 noise before any repeat: on the safe side (a quiet sandbox: 2-4 %)
PRIOR_DOF = 1.0  # the prior's weight, in degrees of freedom of repeats: the first repeats overrule it
MIN_NOISE = 0.01
TRUSTED = 0.9  # a pass is trusted once it meets the SLO with this chance
MODEL_AFTER = 4  # the model's prediction counts in a verdict once it has more configurations than this
MISSED = 0.2  # a result is ruled out once it meets the SLO with less than this chance
REJECT = 4.0  # a run this many noises from the rest of its configuration's runs is an outlier
T_EXACT_BELOW = 30  # degrees of freedom of the noise from which the normal is close enough to Student's t


def pooled_noise(results: Sequence[obj.Outcome]) -> float:
    """The relative p95 noise of one measurement, pooled over the repeated results."""
    return pooled(results)[0]


def pooled(results: Sequence[obj.Outcome]) -> tuple[float, float]:
    """The pooled noise and its degrees of freedom (the prior's, plus one per repeat kept):
    each configuration's runs in log space, outliers set aside (`REJECT`). A result recorded
    without its runs (a study from before they were kept) counts by its spread."""
    dof, total = PRIOR_DOF, PRIOR_DOF * PRIOR_NOISE ** 2
    runs: list[list[float]] = []
    for r in results:
        if len(r.p95_samples) >= 2 and min(r.p95_samples) > 0:
            runs.append([math.log(v) for v in r.p95_samples])
            continue
        spread = r.spread.get(obj.METRIC_P95)
        if spread is None or not r.p95_ms or r.samples < 2:
            continue
        dof += r.samples - 1
        total += (r.samples - 1) * (spread["stdev"] / r.p95_ms) ** 2
    for kept in _without_outliers(runs, dof, total):
        if len(kept) >= 2:
            dof += len(kept) - 1
            total += (len(kept) - 1) * statistics.variance(kept)
    return max(MIN_NOISE, math.sqrt(total / dof)), dof


def _without_outliers(runs: Sequence[Sequence[float]], dof: float, total: float) -> list[list[float]]:
    """Each configuration's log p95s with its outliers set aside, judged against the noise the
    *other* configurations show (`_yardstick`): of three runs or more, the one furthest from the
    median of the rest, while it is more than `REJECT` noises from it (the median's own
    uncertainty counted); of two, both, when they are more than `REJECT` noises of a difference
    apart (which one is slow cannot be told)."""
    distances = [_distances(run) for run in runs]  # each configuration's, worked out once
    kept: list[list[float]] = []
    for i, run in enumerate(runs):
        own = list(run)
        noise = _yardstick([d for j, d in enumerate(distances) if j != i], dof, total)
        while len(own) >= 3:
            far = max(range(len(own)), key=lambda k: abs(own[k] - statistics.median(own[:k] + own[k + 1:])))
            rest = own[:far] + own[far + 1:]
            spread = noise * math.sqrt(1 + median_se(len(rest)) ** 2)  # a new run's, about the rest's median
            if abs(own[far] - statistics.median(rest)) <= REJECT * spread:
                break
            own = rest
        kept.append([] if len(own) == 2 and abs(own[0] - own[1]) > REJECT * noise * math.sqrt(2) else own)
    return kept


def _distances(run: Sequence[float]) -> list[float]:
    """Each run's distance to its configuration's median, scaled to one draw's (x sqrt(n / (n - 1)));
    none for a configuration measured once."""
    if len(run) < 2:
        return []
    middle, scale = statistics.median(run), math.sqrt(len(run) / (len(run) - 1))
    return [abs(x - middle) * scale for x in run]


def _yardstick(distances: Sequence[Sequence[float]], dof: float, total: float) -> float:
    """A noise no outlier can widen, from configurations' `_distances`: their median absolute
    value x 1.4826 (a normal's standard deviation), weighted by the repeats' degrees of freedom
    against the prior (`dof`, `total`). A slow run, or one in each of several configurations,
    hardly moves a median; a standard deviation it would dominate, and two configurations' slow
    runs would each hide the other's."""
    pooled_distances = [d for each in distances for d in each]
    if not pooled_distances:
        return math.sqrt(total / dof)
    repeats = sum(len(each) - 1 for each in distances if each)
    robust = 1.4826 * statistics.median(pooled_distances)
    return math.sqrt((total + repeats * robust ** 2) / (dof + repeats))


def median_se(samples: int) -> float:
    """The standard error of a median of `samples` draws, in draws' standard deviations
    (a median of three or more is about 1.2x noisier than a mean; of one or two it is one)."""
    return (1.0 if samples <= 2 else 1.2) / math.sqrt(max(1, samples))


def chance_met(p95_ms: float, limit_ms: float, samples: int, noise: float,
               prior: tuple[float, float] | None = None, dof: float | None = None) -> float:
    """The chance that the true p95 is within `limit_ms`, given a median of `samples`, and
    optionally a prior (mean and spread of log(p95 / limit), what a model of the other
    configurations predicts): the two combined by their precisions. With `dof`, the noise's
    degrees of freedom, the chance is Student's t rather than normal: a noise learnt from
    two repeats may well be half the true one, and a pass trusted on it is trusted too soon."""
    mean, var = math.log(p95_ms / limit_ms), (noise * median_se(samples)) ** 2
    if prior is not None:
        weight = var / (var + prior[1] ** 2)
        mean, var = mean + weight * (prior[0] - mean), var * (1 - weight)
    z = -mean / math.sqrt(var)
    if dof is not None and dof < T_EXACT_BELOW:
        return student_cdf(z, dof)
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def student_cdf(t: float, dof: float) -> float:
    """Student's t distribution function, by Simpson's rule over its density (pure: no scipy)."""
    x = min(abs(t), 50.0)
    steps = 200
    h = x / steps
    log_norm = math.lgamma((dof + 1) / 2) - math.lgamma(dof / 2) - 0.5 * math.log(dof * math.pi)

    def density(u: float) -> float:
        return math.exp(log_norm - (dof + 1) / 2 * math.log1p(u * u / dof))

    area = density(0.0) + density(x) + sum((4 if i % 2 else 2) * density(i * h) for i in range(1, steps))
    half = min(0.5, area * h / 3)
    return 0.5 + half if t >= 0 else 0.5 - half


def samples_to_decide(ratio: float, noise: float, chance: float = TRUSTED) -> int:
    """How many measurements a configuration at `ratio` (true p95 / limit, below 1) needs
    before its median is expected to be trusted: for the README's reachability argument."""
    z = math.sqrt(2) * _erfinv(2 * chance - 1)
    n = 1
    while n < 1000 and -math.log(ratio) < z * noise * median_se(n):
        n += 1
    return n


def _erfinv(y: float) -> float:
    """Inverse error function by bisection (enough for a handful of calls)."""
    low, high = -6.0, 6.0
    for _ in range(80):
        mid = (low + high) / 2
        if math.erf(mid) < y:
            low = mid
        else:
            high = mid
    return (low + high) / 2
