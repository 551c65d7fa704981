"""A noisy result's verdict (producer/verdict.py): pure functions, with properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from producer import objectives as obj
from producer import verdict

ratios = st.floats(0.5, 1.5)
noises = st.floats(0.01, 0.3)
counts = st.integers(1, 12)


def repeated(p95: float, stdev: float, samples: int) -> obj.Outcome:
    return obj.Outcome("succeeded", 1.0, p95_ms=p95, samples=samples,
                       spread={obj.METRIC_P95: {"min": p95 - stdev, "max": p95 + stdev, "stdev": stdev}})


def test_with_no_repeats_the_noise_is_the_prior() -> None:
    alone = [obj.Outcome("succeeded", 1.0, p95_ms=40.0)]
    assert verdict.pooled_noise(alone) == pytest.approx(verdict.PRIOR_NOISE)


def test_many_repeats_overrule_the_prior() -> None:
    results = [repeated(100.0, 3.0, 6) for _ in range(5)]  # 3 % noise, 25 degrees of freedom
    assert verdict.pooled_noise(results) == pytest.approx(0.03, abs=0.01)


@given(ratios, noises, counts)
def test_at_the_limit_the_chance_is_even(_: float, noise: float, n: int) -> None:
    assert verdict.chance_met(50.0, 50.0, n, noise) == pytest.approx(0.5)


@given(ratios, ratios, noises, counts)
def test_a_slower_result_is_never_likelier_to_meet_the_slo(a: float, b: float, noise: float, n: int) -> None:
    low, high = sorted((a, b))
    assert verdict.chance_met(high, 1.0, n, noise) <= verdict.chance_met(low, 1.0, n, noise) + 1e-12


@given(st.floats(0.5, 0.999), noises, counts)
def test_more_samples_of_a_pass_make_it_surer(ratio: float, noise: float, n: int) -> None:
    assert verdict.chance_met(ratio, 1.0, n + 1, noise) >= verdict.chance_met(ratio, 1.0, n, noise) - 1e-12


@given(st.floats(0.5, 1.5), noises, counts, st.floats(-0.5, 0.5), st.floats(0.02, 0.5))
def test_a_model_that_agrees_makes_the_verdict_surer(ratio: float, noise: float, n: int,
                                                      mean: float, spread: float) -> None:
    alone = verdict.chance_met(ratio, 1.0, n, noise)
    model = 0.5 * (1 + math.erf(-mean / spread / math.sqrt(2)))  # the model's verdict alone
    both = verdict.chance_met(ratio, 1.0, n, noise, (mean, spread))
    if alone >= 0.5 and model >= 0.5:
        assert both >= min(alone, model) - 1e-9
    if alone <= 0.5 and model <= 0.5:
        assert both <= max(alone, model) + 1e-9


def test_a_one_percent_margin_under_ten_percent_noise_cannot_be_confirmed_in_thirty_steps() -> None:
    assert verdict.samples_to_decide(0.99, 0.10, 0.9) > 30
    assert verdict.samples_to_decide(0.90, 0.03, 0.9) == 1


@pytest.mark.parametrize(("t", "dof", "cdf"), [(1.886, 2, 0.90), (6.314, 1, 0.95), (2.015, 5, 0.95),
                                                (-1.476, 5, 0.10), (0.0, 3, 0.5)])
def test_student_t_matches_its_table(t: float, dof: float, cdf: float) -> None:
    assert verdict.student_cdf(t, dof) == pytest.approx(cdf, abs=1e-3)


@given(st.floats(0.5, 0.999), noises, counts, st.floats(1.0, 20.0))
def test_a_noise_learnt_from_few_repeats_trusts_a_pass_less_than_a_known_one(
        ratio: float, noise: float, n: int, dof: float) -> None:
    few = verdict.chance_met(ratio, 1.0, n, noise, dof=dof)
    assert few <= verdict.chance_met(ratio, 1.0, n, noise) + 1e-9
    assert few <= verdict.chance_met(ratio, 1.0, n, noise, dof=dof + 5) + 1e-9


def test_two_measurements_and_a_noise_from_one_repeat_do_not_trust_a_six_percent_margin() -> None:
    noise, dof = verdict.pooled([repeated(44.0, 2.4, 2)])  # floor-wide-5, seed 19: a false best, before
    assert verdict.chance_met(0.936, 1.0, 2, noise) >= verdict.TRUSTED
    assert verdict.chance_met(0.936, 1.0, 2, noise, dof=dof) < verdict.TRUSTED


def runs(*p95s: float) -> obj.Outcome:
    """A configuration measured once per p95, as `optimize` records it."""
    records = [{"status": "succeeded", "measurement": {"metrics": {
        obj.METRIC_P95: {"value": v}, "requests throughput": {"value": 100.0}, "error rate": {"value": 0.0}}}}
        for v in p95s]
    return obj.outcome(records, 1.0)


def test_one_slow_run_does_not_make_every_near_result_undecidable() -> None:
    """sidecar-pinnedmem-8, seed 1: the second of six runs was 1.7x the others (an outlier), and
    the pooled noise stayed at 17-30 % for the rest of the search, at 8 % true noise: three
    configurations 5-9 % under the SLO were measured six times each and none was trusted."""
    slow = runs(24.68, 42.54, 26.74, 25.71, 24.68, 24.89)
    noise, dof = verdict.pooled([slow])
    assert noise < verdict.PRIOR_NOISE and dof == 5  # the slow run set aside, five kept
    assert verdict.chance_met(0.91, 1.0, 6, noise, dof=dof) >= verdict.TRUSTED
    assert verdict.pooled([runs(24.68, 42.54)]) == (verdict.PRIOR_NOISE, verdict.PRIOR_DOF)  # which? neither


configurations = st.lists(st.lists(st.floats(-0.01, 0.01), min_size=1, max_size=6), min_size=1, max_size=6)


@given(configurations, st.lists(st.integers(0, 5), min_size=1, max_size=3, unique=True), st.floats(1.6, 3.0),
       st.floats(20, 2000))
def test_slow_runs_anywhere_are_set_aside_and_change_nothing(
        logs: list[list[float]], where: list[int], slow: float, base: float) -> None:
    """Runs within 1 % of each other, and one more 1.6-3x slower in each of one to three
    configurations measured twice or more (each would hide another's from a yardstick that
    counted it): the pooled noise and its degrees of freedom are what they are without them.
    (A configuration measured once plus a slow run is a pair that cannot tell which is slow:
    a lone such pair is the test above; two such pairs and nothing else are just noisy.)"""
    clean = [[base * math.exp(x) for x in config] for config in logs]
    dirty = [list(config) for config in clean]
    repeated = [i for i, config in enumerate(clean) if len(config) >= 2]
    assume(repeated)
    for index in {repeated[w % len(repeated)] for w in where}:
        target = dirty[index]
        target.insert(len(target) // 2, max(target) * slow)
    before = verdict.pooled([runs(*c) for c in clean])
    after = verdict.pooled([runs(*c) for c in dirty])
    assert after[0] == pytest.approx(before[0]) and after[1] == before[1]


@given(configurations, st.floats(20, 2000))
def test_runs_within_noise_are_all_kept(logs: list[list[float]], base: float) -> None:
    """Nothing is set aside when no run is an outlier: the degrees of freedom count every repeat."""
    results = [runs(*(base * math.exp(x) for x in config)) for config in logs]
    assert verdict.pooled(results)[1] == verdict.PRIOR_DOF + sum(len(c) - 1 for c in logs)
