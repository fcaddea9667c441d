"""Seeded binomial draws: the same seed gives the same runs; the draws have the right law."""

from __future__ import annotations

import random
import statistics

import pytest

from gate_runner.statistics.simulation import Binomial, beta_binomial, run_rng


def test_same_seed_same_sequence_of_runs() -> None:
    law = Binomial(40, 0.9)
    first = [law.draw(run_rng(7, "checkout", i)) for i in range(1, 6)]
    again = [law.draw(run_rng(7, "checkout", i)) for i in range(1, 6)]
    other = [law.draw(run_rng(8, "checkout", i)) for i in range(1, 6)]
    assert first == again
    assert first != other


def test_a_runs_draw_does_not_depend_on_other_campaigns() -> None:
    law = Binomial(40, 0.9)
    assert law.draw(run_rng(7, "checkout", 3)) == law.draw(run_rng(7, "checkout", 3))
    assert run_rng(7, "checkout", 3).random() != run_rng(7, "search", 3).random()


@pytest.mark.parametrize(("rate", "expected"), [(0.0, 0), (1.0, 40)])
def test_certain_rates_are_exact(rate: float, expected: int) -> None:
    rng = random.Random(1)
    assert {Binomial(40, rate).draw(rng) for _ in range(200)} == {expected}


def test_draws_have_the_binomial_mean_and_variance() -> None:
    rng, law = random.Random(12), Binomial(50, 0.85)
    draws = [law.draw(rng) for _ in range(20_000)]
    mean = sum(draws) / len(draws)
    variance = sum((d - mean) ** 2 for d in draws) / (len(draws) - 1)
    # 42.5 and 6.375; the bounds are > 6 standard errors wide, a deterministic seed anyway.
    assert mean == pytest.approx(42.5, abs=0.12)
    assert variance == pytest.approx(6.375, rel=0.06)


def test_beta_binomial_runs_vary_by_the_design_effect() -> None:
    """Issue 19's draw: icc 0 is the plain binomial; icc ρ inflates a run's variance by
    1 + (n − 1)ρ (seeded, so the figures below are the same on every machine)."""
    plain, same = random.Random(5), random.Random(5)
    assert [beta_binomial(50, 0.9, 0.0, plain) for _ in range(20)] == [
        Binomial(50, 0.9).draw(same) for _ in range(20)
    ]
    rng = random.Random(19)
    draws = [beta_binomial(50, 0.9, 0.05, rng) for _ in range(4000)]
    expected = 50 * 0.9 * 0.1 * (1 + 49 * 0.05)  # 15.5
    assert statistics.fmean(draws) == pytest.approx(45, abs=0.3)
    assert statistics.variance(draws) == pytest.approx(expected, rel=0.1)
    assert beta_binomial(50, 1.0, 0.05, rng) == 50
    with pytest.raises(ValueError, match="icc"):
        beta_binomial(50, 0.9, 1.0, rng)
