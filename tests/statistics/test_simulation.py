"""Seeded binomial draws: the same seed gives the same runs; the draws have the right law."""

from __future__ import annotations

import random
import statistics

import pytest

from gate_runner.statistics import Bar, RunPlan
from gate_runner.statistics.simulation import (
    Binomial,
    draw_successes,
    run_rate,
    run_rng,
    simulate,
)


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


def test_beta_rates_have_the_mean_and_icc_asked_for() -> None:

    rng = random.Random(3)
    rates = [run_rate(rng, 0.8, 0.1) for _ in range(20_000)]
    # Beta of mean p and ICC rho: variance rho * p * (1 - p) = 0.016 (seeded: no flake).
    assert statistics.fmean(rates) == pytest.approx(0.8, abs=0.005)
    assert statistics.variance(rates) == pytest.approx(0.016, rel=0.05)
    assert run_rate(rng, 0.8, 0.0) == 0.8 and run_rate(rng, 1.0, 0.3) == 1.0


def test_icc_zero_draws_today_s_binomial_and_beta_binomial_spreads_wider() -> None:

    assert [draw_successes(random.Random(i), 50, 0.9) for i in range(50)] == [
        Binomial(50, 0.9).draw(random.Random(i)) for i in range(50)
    ]
    wide = [draw_successes(random.Random(i), 50, 0.8, 0.05) for i in range(5000)]
    # Beta-binomial variance n p q (1 + (n - 1) rho) = 8 * 3.45 = 27.6 against 8 at rho 0.
    assert statistics.fmean(wide) == pytest.approx(40, abs=0.3)
    assert statistics.variance(wide) == pytest.approx(27.6, rel=0.1)


@pytest.mark.parametrize("icc", [0.0, 0.1])
def test_bars_judged_together_get_the_figures_each_gets_alone(icc: float) -> None:
    """explain's outlook draws a rate two bars show once (issue 18): the same gates either way."""
    plan = RunPlan(repeat=2, max_runs=6, confidence=0.9)
    bars = [Bar("min_pass_rate", "pass_rate", limit, "min") for limit in (0.8, 0.85, 0.9)]
    together = simulate(plan, bars, rate=0.85, icc=icc, trials=30, gates=300, seed=3)
    alone = [
        simulate(plan, [bar], rate=0.85, icc=icc, trials=30, gates=300, seed=3)[0] for bar in bars
    ]
    assert together == tuple(alone)
    assert len({o.mean_runs for o in together}) > 1  # the bars read different numbers of runs
