"""Baseline regression with a test: fail only when the interval of the change shows the drop."""

from __future__ import annotations

import pytest

from gate_runner.statistics import Sample, regression
from gate_runner.statistics.regression import attempts_per_side


def test_counted_regression_uses_newcombe() -> None:
    # Newcombe 95% for 130/150 vs 138/150: [-0.1253, 0.0177] (statsmodels, see reference tests)
    result = regression(
        (Sample(130 / 150, 150),),
        (Sample(138 / 150, 150),),
        metric="pass_rate",
        direction="min",
        max_regression=0.02,
        confidence=0.95,
    )
    # The interval reaches above -0.02: the drop is not shown, so it passes, interval shown.
    assert result.status == "pass"
    assert "does not rule out a regression of at most 0.02" in result.message
    assert result.difference == pytest.approx(-8 / 150)
    assert result.interval is not None and result.interval.method == "newcombe"


@pytest.mark.parametrize(
    ("current", "baseline", "status"),
    [
        ((1900, 2000), (1910, 2000), "pass"),  # shown to be within 0.02
        ((95, 100), (95, 100), "pass"),  # unchanged: passes however small the sample
        ((1500, 2000), (1900, 2000), "fail"),  # shown to be worse by more than 0.02
    ],
)
def test_regression_is_decided_when_the_interval_allows(
    current: tuple[int, int], baseline: tuple[int, int], status: str
) -> None:
    result = regression(
        (Sample(current[0] / current[1], current[1]),),
        (Sample(baseline[0] / baseline[1], baseline[1]),),
        metric="pass_rate",
        direction="min",
        max_regression=0.02,
        confidence=0.95,
    )
    assert result.status == status


def test_uncounted_regression_needs_two_runs_a_side() -> None:
    result = regression(
        (Sample(0.8),),
        (Sample(0.9),),
        metric="pass_rate",
        direction="min",
        max_regression=0.02,
        confidence=0.95,
    )
    assert result.status == "pass"
    assert result.message == (
        "pass_rate changed by -0.1000; no interval for the change: "
        "without trial counts both sides need at least two runs, so no drop is shown"
    )


def test_uncounted_regression_on_run_samples_uses_welch() -> None:
    # Welch 95% for [0.82, 0.85, 0.80] - [0.90, 0.91, 0.89, 0.92]: [-0.134, -0.029] (scipy)
    result = regression(
        tuple(Sample(v) for v in (0.82, 0.85, 0.80)),
        tuple(Sample(v) for v in (0.90, 0.91, 0.89, 0.92)),
        metric="pass_rate",
        direction="min",
        max_regression=0.02,
        confidence=0.95,
    )
    assert result.status == "fail"
    assert "welch-t interval" in result.message


def test_a_max_bar_regresses_upwards() -> None:
    result = regression(
        tuple(Sample(v) for v in (5.0, 6.0, 5.5)),
        tuple(Sample(v) for v in (1.0, 1.5, 1.2)),
        metric="failures",
        direction="max",
        max_regression=1.0,
        confidence=0.95,
    )
    assert result.status == "fail"


def test_attempts_per_side_for_80_percent_power() -> None:
    # (1.959964 + 0.841621)^2 * 2 * 0.85 * 0.15 / 0.02^2 = 5003.4: about 5,000 a side.
    assert attempts_per_side(0.02, 0.85, 0.95) == 5004
    assert attempts_per_side(0.10, 0.85, 0.95) == 201
    assert attempts_per_side(0.02, 1.0, 0.95) > 0  # a perfect rate still gets an answer
