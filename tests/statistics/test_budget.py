"""gate.budget's arithmetic (issue 21): the minimum, the worst case, what is left, and where
the next run is most likely to settle an answer."""

from __future__ import annotations

import pytest

from gate_runner.statistics import Bar, RunPlan, Sample
from gate_runner.statistics.budget import (
    Budget,
    Spend,
    next_run_priority,
    refusal,
    runs_left,
    spend,
    total,
    worst_case,
)

BAR = Bar("min_pass_rate", "pass_rate", 0.85, "min")
SEQUENTIAL = RunPlan(repeat=2, max_runs=8, confidence=0.95)


def _runs(*rates: float, trials: int = 50) -> tuple[Sample, ...]:
    return tuple(Sample(r, trials) for r in rates)


def test_the_minimum_is_every_campaigns_repeat() -> None:
    assert refusal(8, {"a": 2, "b": 3, "c": 3}) is None
    assert refusal(7, {"a": 2, "b": 3, "c": 3}) == (
        "7 is below the 8 runs the campaigns' repeat always starts (a 2, b 3, c 3): "
        "raise budget.runs or lower repeat"
    )


def test_the_worst_case_is_max_runs_capped_by_the_budget() -> None:
    plans = {"a": SEQUENTIAL, "b": RunPlan(repeat=3)}
    assert worst_case(plans, Budget()) == "worst case 11 run(s) (at least 5; max_runs allow 11)"
    assert worst_case(plans, Budget(runs=6, trials=300, cost_per_trial=0.5)) == (
        "worst case 6 run(s) (at least 5; max_runs allow 11, gate.budget.runs 6), "
        "at most 300 trials (cost at most 150)"
    )


def test_spend_counts_runs_trials_and_money() -> None:
    priced = Budget(runs=10, cost_per_trial=0.01)
    one = spend([50, 50, None], priced)
    assert one == Spend(3, 100, 1.0)
    assert spend([None], priced) == Spend(1, None, None)  # no count: no trials, no price
    assert total([one, Spend(2, 60, 0.6)], priced) == Spend(5, 160, 1.6)


@pytest.mark.parametrize(
    ("budget", "spent", "left"),
    [
        (Budget(), Spend(40, 2000), None),
        (Budget(runs=10), Spend(8, 400), 2),
        (Budget(runs=10), Spend(12, 600), 0),
        (Budget(runs=10, trials=450), Spend(9, 450), 0),  # the trials are spent first
        (Budget(trials=450), Spend(8, 400), 1),  # 50 left: one run of 50 fits
        (Budget(trials=440), Spend(8, 400), 0),  # 40 left: a run of 50 would break it
        (Budget(runs=3, trials=5000), Spend(1, 50), 2),
        (Budget(trials=450), Spend(8, None), None),  # no count yet: nothing to go by
    ],
)
def test_runs_left(budget: Budget, spent: Spend, left: int | None) -> None:
    assert runs_left(budget, spent) == left


def test_a_campaign_on_the_bar_ranks_below_one_a_run_would_settle() -> None:
    on_the_bar = next_run_priority(_runs(0.84, 0.86), BAR, SEQUENTIAL)
    clear = next_run_priority(_runs(0.96, 0.94), BAR, SEQUENTIAL)
    bad = next_run_priority(_runs(0.72, 0.74), BAR, SEQUENTIAL)
    assert on_the_bar[0] == 0.0 and clear[0] >= 0.5 and bad[0] >= 0.5
    assert clear > bad > on_the_bar


def test_equal_chances_rank_by_the_distance_from_the_bar() -> None:
    # Neither run settles either with three runs of one attempt each; the farther ranks first.
    plan = RunPlan(repeat=2, max_runs=20, confidence=0.95)
    near = next_run_priority(_runs(0.86, 0.84, trials=10), BAR, plan)
    far = next_run_priority(_runs(1.0, 0.9, trials=10), BAR, plan)
    assert near[0] == far[0] == 0.0
    assert far > near
