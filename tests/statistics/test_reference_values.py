"""Quantiles and intervals against reference values computed offline.

Every expected number below was computed with scipy 1.17.1 and statsmodels 0.15.0
(in a throwaway virtualenv, not a dependency of gate-runner) and pasted here:
  scipy.stats.t.ppf / t.cdf / t.interval(c, n-1, loc=mean, scale=sem)
  scipy.stats.binomtest(k, n).proportion_ci(confidence_level=c, method="wilson")
  statsmodels.stats.proportion.confint_proportions_2indep(..., method="newcomb", compare="diff")
  scipy.stats.ttest_ind(x, y, equal_var=False).confidence_interval(0.95)
"""

from __future__ import annotations

import pytest

from gate_runner.statistics.intervals import student_t, wilson
from gate_runner.statistics.quantiles import t_cdf, t_quantile
from gate_runner.statistics.regression import newcombe, welch

T_QUANTILES = [
    # (probability, df, scipy.stats.t.ppf)
    (0.975, 1, 12.706204736174694),
    (0.975, 2, 4.302652729749462),
    (0.975, 4, 2.7764451051977934),
    (0.975, 9, 2.262157162798205),
    (0.975, 29, 2.045229642132703),
    (0.995, 2, 9.924843200918287),
    (0.95, 7.5, 1.8757474792112878),
]


@pytest.mark.parametrize(("probability", "df", "expected"), T_QUANTILES)
def test_t_quantile_matches_scipy(probability: float, df: float, expected: float) -> None:
    assert t_quantile(probability, df) == pytest.approx(expected, rel=1e-12)
    assert t_quantile(1 - probability, df) == pytest.approx(-expected, rel=1e-12)


@pytest.mark.parametrize(
    ("t", "df", "expected"),
    [(2.0, 3.5, 0.9369307387120432), (-1.3, 12, 0.10900858554175706)],
)
def test_t_cdf_matches_scipy(t: float, df: float, expected: float) -> None:
    assert t_cdf(t, df) == pytest.approx(expected, rel=1e-12)


WILSON = [
    # (successes, trials, confidence, low, high) from scipy binomtest(...).proportion_ci("wilson")
    (0, 10, 0.95, 0.0, 0.27753279986288926),
    (10, 10, 0.95, 0.7224672001371109, 1.0),
    (43, 50, 0.95, 0.7381380628941446, 0.9304916657298371),
    (131, 150, 0.95, 0.8106335124178631, 0.9173887051206396),
    (17, 20, 0.9, 0.6781719243246932, 0.9384175895226318),
    (1, 40, 0.99, 0.002941973231855688, 0.18221757960034954),
]


@pytest.mark.parametrize(("successes", "trials", "confidence", "low", "high"), WILSON)
def test_wilson_matches_scipy(
    successes: int, trials: int, confidence: float, low: float, high: float
) -> None:
    interval = wilson(successes, trials, confidence)
    assert (interval.low, interval.high) == pytest.approx((low, high), rel=1e-12, abs=1e-15)


T_INTERVALS = [
    # (values, confidence, low, high) from scipy.stats.t.interval with the sample's sem
    ([0.82, 0.88, 0.91], 0.95, 0.7561625089920971, 0.9838374910079029),
    ([0.7, 0.75], 0.9, 0.5671562121331237, 0.882843787866876),
    ([0.9, 0.86, 0.88, 0.93, 0.85], 0.95, 0.8441505160765108, 0.9238494839234892),
]


@pytest.mark.parametrize(("values", "confidence", "low", "high"), T_INTERVALS)
def test_student_t_interval_matches_scipy(
    values: list[float], confidence: float, low: float, high: float
) -> None:
    interval = student_t(values, confidence)
    assert (interval.low, interval.high) == pytest.approx((low, high), rel=1e-10)


NEWCOMBE = [
    # (current k, n, baseline k, n, confidence, low, high) from statsmodels, method="newcomb"
    (88, 100, 92, 100, 0.95, -0.12727318307790703, 0.046011305870914454),
    (40, 50, 45, 50, 0.9, -0.21860131212317913, 0.019312269355515346),
    (130, 150, 138, 150, 0.95, -0.12532637347793882, 0.01765106917707887),
]


@pytest.mark.parametrize(("k1", "n1", "k2", "n2", "confidence", "low", "high"), NEWCOMBE)
def test_newcombe_matches_statsmodels(
    k1: int, n1: int, k2: int, n2: int, confidence: float, low: float, high: float
) -> None:
    interval = newcombe(k1, n1, k2, n2, confidence)
    assert (interval.low, interval.high) == pytest.approx((low, high), rel=1e-10)


def test_welch_matches_scipy() -> None:
    interval = welch([0.82, 0.85, 0.80], [0.90, 0.91, 0.89, 0.92], 0.95)
    expected = (-0.13443228132984944, -0.028901052003484105)  # df 2.7948025649679407
    assert (interval.low, interval.high) == pytest.approx(expected, rel=1e-9)
