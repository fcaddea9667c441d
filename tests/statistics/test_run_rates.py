"""Issue 19's rules against values derived by hand (no scipy): the run-rates interval, the
effective counts, the chi-square flaky test, and which rule `decide` picks."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gate_runner.statistics import Bar, RunPlan, Sample, decide, variability
from gate_runner.statistics.intervals import wilson
from gate_runner.statistics.quantiles import chi_square_sf
from gate_runner.statistics.robust import (
    ASSUMED_ICC,
    design_effect,
    dispersion,
    effective_counts,
    run_rates_interval,
)

PASS_RATE = Bar("min_pass_rate", "pass_rate", 0.85, "min")
T_1_975 = 12.706204736174694  # scipy.stats.t.ppf(0.975, 1), as in test_reference_values
T_2_975 = 4.302652729749462  # scipy.stats.t.ppf(0.975, 2)


def test_equal_runs_give_the_t_interval_on_their_rates() -> None:
    # 0.8, 0.9, 1.0: mean 0.9, sd 0.1, SE 0.1/√3; the cluster-robust SE of 135/150 is the same:
    # residuals -5, 0, 5; √(3/2 · 50)/150 = 0.1/√3.
    interval = run_rates_interval([(40, 50), (45, 50), (50, 50)], 0.975)
    assert interval.low == pytest.approx(0.9 - T_2_975 * 0.1 / math.sqrt(3), rel=1e-12)
    assert interval.high == 1.0  # clipped
    assert interval.confidence == pytest.approx(0.95)


def test_unequal_runs_use_the_ratio_estimator() -> None:
    # 8/10 and 30/40: rate 38/50 = 0.76, residuals 0.4 and -0.4, √(2 · 0.32)/50 = 0.016.
    interval = run_rates_interval([(8, 10), (30, 40)], 0.975)
    assert interval.low == pytest.approx(0.76 - T_1_975 * 0.016, rel=1e-12)
    assert interval.high == pytest.approx(0.76 + T_1_975 * 0.016, rel=1e-12)


def test_identical_runs_fall_back_to_the_binomial_floor() -> None:
    interval = run_rates_interval([(45, 50)] * 3, 0.975)
    floor = wilson(135, 150, 0.95)
    assert (interval.low, interval.high) == (floor.low, floor.high)
    assert interval.high - interval.low > 0.09  # never zero width


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.integers(min_value=1, max_value=200).flatmap(
            lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
        ),
        min_size=2,
        max_size=20,
    ),
    st.floats(min_value=0.6, max_value=0.9999),
)
def test_the_interval_contains_the_wilson_floor_and_the_rate(
    counts: list[tuple[int, int]], one_sided: float
) -> None:
    interval = run_rates_interval(counts, one_sided)
    successes, trials = sum(k for k, _ in counts), sum(n for _, n in counts)
    floor = wilson(successes, trials, 2 * one_sided - 1)
    assert 0.0 <= interval.low <= floor.low + 1e-12
    assert floor.high - 1e-12 <= interval.high <= 1.0
    assert interval.low <= successes / trials <= interval.high
    assert interval.high > interval.low


def test_effective_counts_divide_by_the_design_effect() -> None:
    assert design_effect(50, 0.02) == pytest.approx(1.98)
    successes, trials = effective_counts([(45, 50), (40, 50)], 0.02)
    assert successes == pytest.approx(85 / 1.98)
    assert trials == pytest.approx(100 / 1.98)
    assert effective_counts([(45, 50)], 0.0) == (45, 50)


def test_dispersion_and_the_icc_estimate() -> None:
    # 40, 45, 50 of 50: rate 0.9; χ² = Σ (k − 45)² / (50 · 0.09) = 50 / 4.5.
    # ANOVA: MSB = (122.5 − 121.5)/2 = 0.5, MSW = (135 − 122.5)/147, n0 = 50:
    # ρ̂ = (MSB − MSW) / (MSB + 49 MSW).
    chi2, icc, df = dispersion([(40, 50), (45, 50), (50, 50)])
    msw = 12.5 / 147
    assert chi2 == pytest.approx(50 / 4.5, rel=1e-12)
    assert icc == pytest.approx((0.5 - msw) / (0.5 + 49 * msw), rel=1e-12)
    assert df == 2
    assert dispersion([(50, 50), (50, 50)]) == (0.0, 0.0, 1)  # nothing varies


@pytest.mark.parametrize("x", [0.1, 1.0, 3.0, 11.11, 40.0])
def test_chi_square_tail_matches_closed_forms(x: float) -> None:
    assert chi_square_sf(x, 2) == pytest.approx(math.exp(-x / 2), rel=1e-12)
    assert chi_square_sf(x, 1) == pytest.approx(math.erfc(math.sqrt(x / 2)), rel=1e-12)
    assert chi_square_sf(x, 4) == pytest.approx(math.exp(-x / 2) * (1 + x / 2), rel=1e-12)


def test_flaky_is_the_homogeneity_test_not_the_bar() -> None:
    varied = variability(tuple(Sample(k / 50, 50) for k in (40, 45, 50)))
    assert varied.tested and varied.flaky
    assert varied.p_value == pytest.approx(math.exp(-50 / 9), rel=1e-12)  # χ² 11.1 on 2 df
    steady = variability(tuple(Sample(k / 50, 50) for k in (44, 41, 43, 42, 44)))
    assert steady.tested and not steady.flaky  # both sides of 42.5, well within chance
    assert not variability((Sample(0.9), Sample(0.5))).tested
    assert "no trial counts" in variability((Sample(0.9), Sample(0.5))).reason
    assert not variability((Sample(0.9, 50),)).tested


DEFAULT = RunPlan(max_runs=20, confidence=0.95)


def test_the_default_rule_needs_two_runs_in_sequence() -> None:
    first = decide((Sample(1.0, 50),), PASS_RATE, DEFAULT)
    assert (first.status, first.rule) == ("continue", "run-rates-t")
    assert "needs 2 runs" in first.judgement.message
    # 100/100: the Wilson floor at 1 − 0.05/19 one-sided is ~0.93, above the bad edge 0.80.
    second = decide((Sample(1.0, 50), Sample(1.0, 50)), PASS_RATE, DEFAULT)
    assert (second.status, second.rule) == ("pass", "run-rates-t")
    assert second.effective_attempts == 100


def test_the_default_rule_fails_once_the_good_edge_is_ruled_out() -> None:
    decision = decide(tuple(Sample(0.6, 50) for _ in range(3)), PASS_RATE, DEFAULT)
    assert decision.status == "fail"
    assert "rules out the good edge" in decision.judgement.message


def test_the_last_look_is_inconclusive_only_when_both_edges_stay_possible() -> None:
    plan = RunPlan(max_runs=3, confidence=0.95)
    wide = tuple(Sample(k / 50, 50) for k in (50, 30, 48))
    decision = decide(wide, PASS_RATE, plan)
    assert decision.status == "inconclusive"
    assert "undecided after max_runs 3" in decision.judgement.message


def test_one_fixed_run_assumes_an_icc() -> None:
    decision = decide((Sample(1.0, 50),), PASS_RATE, RunPlan(confidence=0.95))
    assert decision.rule == "effective-counts"
    assert decision.effective_attempts == pytest.approx(50 / design_effect(50, ASSUMED_ICC), 0.01)
    assert "assumed" in decision.judgement.message
    assert decision.status == "inconclusive"  # 50/50 is 8.5 effective attempts: not enough


def test_a_declared_icc_uses_effective_counts_and_icc_zero_the_pooled_rule() -> None:
    runs = (Sample(0.96, 50), Sample(0.98, 50))
    declared = decide(runs, PASS_RATE, RunPlan(max_runs=5, confidence=0.95, icc=0.02))
    assert declared.rule == "effective-counts"
    assert declared.effective_attempts == pytest.approx(100 / 1.98, abs=0.01)
    independent = decide(runs[:1], PASS_RATE, RunPlan(max_runs=5, confidence=0.95, icc=0.0))
    assert (independent.status, independent.rule) == ("pass", "pooled-wilson-sprt")


def test_a_max_bar_mirrors_a_min_bar() -> None:
    low_is_good = Bar("max_x", "x", 0.15, "max")
    mirrored = decide(tuple(Sample(k / 50, 50) for k in (0, 1, 0)), low_is_good, DEFAULT)
    straight = decide(tuple(Sample(k / 50, 50) for k in (50, 49, 50)), PASS_RATE, DEFAULT)
    assert mirrored.status == straight.status == "pass"
    assert mirrored.judgement.interval is not None and straight.judgement.interval is not None
    assert mirrored.judgement.interval.low == pytest.approx(1 - straight.judgement.interval.high)
    assert mirrored.judgement.interval.high == pytest.approx(1 - straight.judgement.interval.low)
