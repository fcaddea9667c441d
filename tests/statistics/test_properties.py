"""Properties every input keeps: intervals hold their estimate, quantiles invert, SPRT monotone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gate_runner.statistics import Bar, RunPlan, Sample, Sprt, decide_bar, wilson
from gate_runner.statistics.quantiles import t_cdf, t_quantile

counts = st.integers(min_value=1, max_value=500).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)
confidences = st.sampled_from([0.8, 0.9, 0.95, 0.99])


@given(counts, confidences)
def test_wilson_holds_the_estimate_inside_zero_one(count: tuple[int, int], c: float) -> None:
    successes, trials = count
    interval = wilson(successes, trials, c)
    assert 0.0 <= interval.low <= successes / trials <= interval.high <= 1.0


@given(counts)
def test_more_confidence_never_narrows_wilson(count: tuple[int, int]) -> None:
    narrow, wide = wilson(*count, 0.9), wilson(*count, 0.99)
    assert wide.low <= narrow.low and narrow.high <= wide.high


@given(
    st.floats(min_value=0.01, max_value=0.99),
    st.floats(min_value=1.0, max_value=200.0),
)
def test_t_quantile_inverts_the_cdf(probability: float, df: float) -> None:
    assert abs(t_cdf(t_quantile(probability, df), df) - probability) < 1e-9


@given(
    st.floats(min_value=0.05, max_value=0.95),
    st.integers(min_value=1, max_value=400),
    st.data(),
)
def test_sprt_more_successes_never_turn_a_pass_into_a_fail(
    limit: float, trials: int, data: st.DataObject
) -> None:
    test = Sprt(limit, "min", 0.05)
    low = data.draw(st.integers(min_value=0, max_value=trials))
    high = data.draw(st.integers(min_value=low, max_value=trials))
    order = {"fail": 0, "continue": 1, "pass": 2}
    assert order[test.step(low, trials)] <= order[test.step(high, trials)]


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=8))
def test_absolute_bar_fails_exactly_when_a_run_is_over_it(unsafe: list[int]) -> None:
    bar = Bar("max_unsafe", "unsafe_attempts", 0, "max", absolute=True)
    plan = RunPlan(repeat=len(unsafe), confidence=0.95)
    decision = decide_bar(tuple(Sample(u) for u in unsafe), bar, plan)
    assert (decision.status == "fail") == any(unsafe)
