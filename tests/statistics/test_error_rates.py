"""The SPRT keeps its stated error rate although it looks after every run: computed exactly.

Not simulated: `operating_characteristic` carries the distribution of pooled successes
run by run and absorbs every path `Sprt.step` stops, so these are exact probabilities.
"""

from __future__ import annotations

import pytest

from gate_runner.statistics.sequential import Sprt, operating_characteristic


@pytest.mark.parametrize("trials", [20, 50, 100])
@pytest.mark.parametrize("bar", [0.5, 0.85, 0.95])
def test_error_rates_at_the_zone_edges_are_at_most_alpha(bar: float, trials: int) -> None:
    test = Sprt(bar, "min", 0.05)
    bad, good = test.hypotheses
    at_bad = operating_characteristic(test, bad, trials, max_runs=5)
    at_good = operating_characteristic(test, good, trials, max_runs=5)
    assert at_bad.passed <= 0.05
    assert at_good.failed <= 0.05
    # and among the gates that concluded (what the benchmark reports)
    assert at_bad.passed / (at_bad.passed + at_bad.failed) <= 0.05
    assert at_good.failed / (at_good.passed + at_good.failed) <= 0.05


def test_exact_figures_for_the_documented_example() -> None:
    """Bar 0.85, 50 attempts, max_runs 5: the numbers behind docs/statistics.md."""
    test = Sprt(0.85, "min", 0.05)
    far_good = operating_characteristic(test, 0.95, 50, max_runs=5)
    edge_good = operating_characteristic(test, 0.90, 50, max_runs=5)
    # The benchmark (5,000 gates) measured 1.25 runs, and 0.048 blocked, 0.034 out of budget.
    assert far_good.passed > 0.999
    assert far_good.mean_runs == pytest.approx(1.25, abs=0.03)
    assert edge_good.failed + edge_good.inconclusive == pytest.approx(0.0476, abs=0.0001)
    assert edge_good.inconclusive == pytest.approx(0.0317, abs=0.0001)
