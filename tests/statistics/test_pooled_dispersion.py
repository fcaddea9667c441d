"""Issue 22's pooled dispersion: runs vary within a commit, commits may differ in rate."""

from __future__ import annotations

import random

import pytest

from gate_runner.statistics.robust import dispersion, pooled_dispersion
from gate_runner.statistics.simulation import draw_successes


def test_one_commit_is_the_plain_estimate() -> None:
    runs = [(40, 50), (45, 50), (50, 50)]
    assert pooled_dispersion([runs]) == pytest.approx(dispersion(runs), rel=1e-12)


def test_single_runs_and_empty_groups_say_nothing() -> None:
    assert pooled_dispersion([[(40, 50)], [], [(3, 1)]]) == (0.0, 0.0, 0)


def test_chi_squares_and_their_degrees_of_freedom_add() -> None:
    a, b = [(40, 50), (45, 50), (50, 50)], [(10, 20), (14, 20)]
    chi2, _, df = pooled_dispersion([a, b])
    assert chi2 == pytest.approx(dispersion(a)[0] + dispersion(b)[0], rel=1e-12)
    assert df == 3


def test_commits_at_different_rates_are_not_mistaken_for_run_to_run_variance() -> None:
    # Pooled as one group, two steady commits at 0.5 and 0.95 look wildly overdispersed.
    steady = [[(25, 50)] * 3, [(47, 50), (48, 50), (47, 50)]]
    assert dispersion([r for g in steady for r in g])[1] > 0.25
    assert pooled_dispersion(steady)[1] == 0.0


@pytest.mark.parametrize("icc", [0.0, 0.1, 0.3])
def test_a_known_icc_is_recovered_from_many_commits(icc: float) -> None:
    rng = random.Random(22)
    groups = [
        [(draw_successes(rng, 40, mean, icc), 40) for _ in range(4)]
        for mean in (rng.uniform(0.6, 0.95) for _ in range(300))
    ]
    assert pooled_dispersion(groups)[1] == pytest.approx(icc, abs=0.04)
