"""The statistics core as the gate will call it: aggregation, judgements, sequential runs."""

from __future__ import annotations

import math

import pytest

from gate_runner.statistics import (
    AggregationError,
    Bar,
    RunPlan,
    Sample,
    Sprt,
    aggregate,
    decide,
    flakiness,
    judge,
    min_passing_runs,
    settle,
    spread,
)

PASS_RATE = Bar("min_pass_rate", "pass_rate", 0.85, "min")
FAILURES = Bar("max_failures", "failures", 3, "max")
UNSAFE = Bar("max_unsafe", "unsafe_attempts", 0, "max", absolute=True)


def runs(*values: float, trials: int | None = None) -> tuple[Sample, ...]:
    return tuple(Sample(v, trials) for v in values)


@pytest.mark.parametrize(
    ("method", "bar", "values", "expected"),
    [
        ("median", PASS_RATE, (0.9, 0.7, 0.8), 0.8),
        ("median", PASS_RATE, (0.9, 0.7, 0.8, 1.0), 0.85),
        ("mean", PASS_RATE, (0.9, 0.7, 0.8), 0.8),
        ("worst", PASS_RATE, (0.9, 0.7, 0.8), 0.7),  # min_ bar: the lowest is worst
        ("best", PASS_RATE, (0.9, 0.7, 0.8), 0.9),
        ("worst", FAILURES, (1, 5, 2), 5),  # max_ bar: the highest is worst
        ("best", FAILURES, (1, 5, 2), 1),
    ],
)
def test_aggregate(method: str, bar: Bar, values: tuple[float, ...], expected: float) -> None:
    assert aggregate(runs(*values), method, bar.direction) == pytest.approx(expected)  # type: ignore[arg-type]


def test_pooled_weighs_runs_by_their_trials() -> None:
    samples = (Sample(0.9, 10), Sample(0.5, 30))  # 9 + 15 successes of 40
    assert aggregate(samples, "pooled", "min") == 24 / 40


def test_pooled_without_counts_says_what_to_set() -> None:
    with pytest.raises(AggregationError, match=r"set statistics.trials \(e.g. trace_count\)"):
        aggregate(runs(0.9, 0.8), "pooled", "min")


def test_point_judgement_is_todays_rule() -> None:
    assert judge(runs(0.84), PASS_RATE, method="median", confidence=None).message == (
        "pass_rate median 0.84 over 1 run < 0.85"
    )
    assert judge(runs(0.85), PASS_RATE, method="median", confidence=None).status == "pass"


@pytest.mark.parametrize(
    ("successes", "trials", "status", "word"),
    [
        (190, 200, "pass", "clears"),  # Wilson 95% [0.910, 0.973]
        (150, 200, "fail", "misses"),  # [0.686, 0.805]
        (43, 50, "inconclusive", "straddles"),  # [0.738, 0.930]
    ],
)
def test_wilson_judgement(successes: int, trials: int, status: str, word: str) -> None:
    judgement = judge(
        (Sample(successes / trials, trials),), PASS_RATE, method="pooled", confidence=0.95
    )
    assert judgement.status == status
    assert "95% wilson interval" in judgement.message
    assert f"{word} the bar >= 0.85" in judgement.message


def test_one_uncounted_run_has_no_interval_and_says_so() -> None:
    judgement = judge(runs(0.99), PASS_RATE, method="median", confidence=0.95)
    assert judgement.status == "inconclusive"
    assert judgement.interval is None
    assert judgement.message == (
        "pass_rate median 0.99 over 1 run; no interval: one run and no trial count "
        "(set statistics.trials, e.g. trace_count, or repeat the campaign)"
    )


def test_repeated_uncounted_runs_get_a_t_interval() -> None:
    judgement = judge(runs(0.9, 0.86, 0.88, 0.93, 0.85), PASS_RATE, method="mean", confidence=0.95)
    assert judgement.interval is not None
    assert judgement.interval.method == "student-t"
    assert judgement.status == "inconclusive"  # [0.844, 0.924] straddles 0.85


def test_absolute_bar_fails_on_one_run_whatever_the_aggregate() -> None:
    judgement = judge(runs(0, 0, 1, 0), UNSAFE, method="median", confidence=0.95)
    assert judgement.status == "fail"
    assert judgement.message == (
        "unsafe_attempts 1 > 0 in run 3 of 4 (an absolute bar: one run over it fails)"
    )


def test_sprt_reference_numbers() -> None:
    test = Sprt(0.85, "min", 0.05)
    assert test.hypotheses == pytest.approx((0.80, 0.90))
    assert (test.alpha, test.beta) == pytest.approx((0.05, 0.025))
    lower, upper = test.boundaries
    assert upper == pytest.approx(math.log(0.975 / 0.05)) == pytest.approx(2.970414465569701)
    assert lower == pytest.approx(math.log(0.025 / 0.95)) == pytest.approx(-3.6375861597263857)
    # 45 ln(0.9/0.8) + 5 ln(0.1/0.2)
    assert test.log_likelihood_ratio(45, 50) == pytest.approx(1.8345007017375292)
    assert test.step(45, 50) == "continue"
    assert test.step(93, 100) == "pass"  # 6.1018 >= 2.970
    assert test.step(40, 50) == "continue"  # -2.22
    assert test.step(38, 50) == "fail"  # -3.84 <= -3.638
    assert test.step(39, 50) == "continue"  # -3.03: a fail boundary α=β=0.05 would have taken


def test_the_last_look_passes_only_when_the_pooled_trials_rule_out_the_bad_edge() -> None:
    test = Sprt(0.85, "min", 0.05)
    # 215/250 (LLR 1.06): undecided; its one-sided Wilson bound at 1 - 0.05/5 is 0.801 > 0.80.
    assert test.step(215, 250) == "continue"
    assert test.final(215, 250, looks=5) == "pass"
    # 211/250 = 0.844: the bound (0.783) does not clear the bad edge, so it stays undecided.
    assert test.final(211, 250, looks=5) == "continue"
    assert test.final(37, 50, looks=5) == "fail"  # a decided test is left as it is


@pytest.mark.parametrize(
    ("limit", "direction", "hypotheses"),
    [
        (0.98, "min", (0.97, 0.99)),  # narrowed to half the distance to 1
        (0.10, "max", (0.15, 0.05)),  # a max_ bar: the bad rate is the higher one
        (0.04, "min", (0.02, 0.06)),
    ],
)
def test_sprt_zone_stays_inside_zero_one(
    limit: float, direction: str, hypotheses: tuple[float, float]
) -> None:
    assert Sprt(limit, direction, 0.05).hypotheses == pytest.approx(hypotheses)  # type: ignore[arg-type]


# `statistics.icc: 0`: attempts declared independent, today's pooled Wilson + SPRT (issue 19).
SEQUENTIAL = RunPlan(max_runs=5, confidence=0.95, icc=0.0)


def test_sequential_asks_for_another_run_until_the_sprt_decides() -> None:
    first = decide((Sample(0.9, 50),), PASS_RATE, SEQUENTIAL)  # LLR 1.83: undecided
    assert first.status == "continue"
    assert first.rule == "pooled-wilson-sprt"
    second = decide((Sample(0.9, 50), Sample(0.96, 50)), PASS_RATE, SEQUENTIAL)  # 93/100
    assert second.status == "pass"
    assert "SPRT on 93/100 pooled trials" in second.judgement.message


def test_sequential_budget_spent_is_inconclusive_and_says_why() -> None:
    undecided = tuple(Sample(0.844, 50) for _ in range(5))  # 211/250, LLR -2.18
    decision = decide(undecided, PASS_RATE, SEQUENTIAL)
    assert decision.status == "inconclusive"
    assert "undecided after max_runs 5; 95% wilson interval" in decision.judgement.message


def test_at_max_runs_evidence_that_rules_out_the_bad_edge_passes() -> None:
    leaning = tuple(Sample(0.86, 50) for _ in range(5))  # 215/250, LLR 1.06
    decision = decide(leaning, PASS_RATE, SEQUENTIAL)
    assert decision.status == "pass"
    assert "at max_runs 5: the pooled trials rule out the bad edge" in decision.judgement.message


def test_repeat_is_the_minimum_before_the_first_look() -> None:
    plan = RunPlan(repeat=2, max_runs=5, confidence=0.95)
    assert decide((Sample(1.0, 100),), PASS_RATE, plan).status == "continue"
    assert decide((Sample(1.0, 100), Sample(1.0, 100)), PASS_RATE, plan).status == "pass"


def test_absolute_bar_stops_at_the_first_offending_run() -> None:
    decision = decide(runs(0, 2), UNSAFE, RunPlan(repeat=3, max_runs=5, confidence=0.95))
    assert (decision.status, decision.rule) == ("fail", "absolute")
    assert decide(runs(0, 0), UNSAFE, RunPlan(repeat=3)).status == "continue"


def test_sequential_without_counts_splits_the_error_over_the_looks() -> None:
    plan = RunPlan(max_runs=5, confidence=0.95)
    assert decide(runs(0.9), PASS_RATE, plan).status == "continue"  # one run: no interval yet
    decision = decide(runs(0.95, 0.96, 0.95), PASS_RATE, plan)
    assert decision.rule == "bonferroni-t"
    assert decision.status == "pass"
    assert "(confidence 0.95 split over 4 looks: 0.9875 each)" in decision.judgement.message


def test_fixed_repeats_with_confidence_use_the_interval() -> None:
    plan = RunPlan(repeat=3, max_runs=3, confidence=0.95, aggregate="pooled", icc=0.0)
    decision = decide(tuple(Sample(0.86, 50) for _ in range(3)), PASS_RATE, plan)
    assert (decision.status, decision.rule) == ("inconclusive", "pooled-wilson")
    assert decision.effective_attempts == 150


@pytest.mark.parametrize(
    ("outcomes", "k", "max_runs", "expected"),
    [
        (("pass", "fail", "pass"), 2, 3, "pass"),
        (("fail", "fail"), 2, 3, "fail"),  # one run left cannot make two passes
        (("fail", "pass"), 2, 3, "continue"),
        (("pass", "error", "warn"), 2, 3, "fail"),  # only `pass` counts toward k
    ],
)
def test_min_passing_runs(outcomes: tuple[str, ...], k: int, max_runs: int, expected: str) -> None:
    assert min_passing_runs(outcomes, k, max_runs=max_runs) == expected  # type: ignore[arg-type]


def test_runs_judged_alone_are_counted_on_each_side() -> None:
    result = flakiness(("pass", "fail", "pass"))
    assert result.split
    assert result.describe() == "2 of 3 runs passed on their own, 1 failed"
    assert not flakiness(("pass", "warn")).split
    assert not flakiness(("fail", "error")).split
    assert spread("pass_rate", runs(0.91, 0.78, 0.88)).describe() == "pass_rate 0.78–0.91"


@pytest.mark.parametrize("policy", ["fail", "warn", "pass"])
def test_on_inconclusive_says_what_it_did(policy: str) -> None:
    outcome, note = settle(policy)  # type: ignore[arg-type]
    assert outcome == policy
    assert note.startswith(f"inconclusive, treated as {policy} by on_inconclusive")


def test_plan_refuses_impossible_settings() -> None:
    with pytest.raises(ValueError, match="repeat <= max_runs"):
        RunPlan(repeat=3, max_runs=2)
    with pytest.raises(ValueError, match="confidence"):
        RunPlan(confidence=1.0)
    with pytest.raises(ValueError, match=r"min_passing_runs must be in 1..3 \(max_runs\), not 4"):
        RunPlan(repeat=3, min_passing_runs=4)


def test_no_runs_is_an_error_not_a_verdict() -> None:
    with pytest.raises(AggregationError, match="no runs to judge max_unsafe on"):
        judge((), UNSAFE, method="median", confidence=None)


def test_bonferroni_wilson_is_the_alternative_with_counts() -> None:
    plan = RunPlan(max_runs=5, confidence=0.95, sequential_rule="bonferroni", icc=0.0)
    decision = decide((Sample(0.94, 50),), PASS_RATE, plan)  # the SPRT passes this run
    assert (decision.status, decision.rule) == ("continue", "bonferroni-wilson")
    assert "(confidence 0.95 split over 5 looks: 0.99 each)" in decision.judgement.message
