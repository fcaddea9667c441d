"""Run-to-run variance: the cluster-robust interval on run rates and the effective counts.

Attempts of one run share the run's conditions (the provider's model, the fault draw, the
environment), so they are correlated: an intra-class correlation ρ between runs. Pooling
them as independent coins understates the variance by the design effect
DE = 1 + (n − 1)ρ (Kish, *Survey Sampling*, 1965, §5.4). Two remedies live here:

- `run_rates_interval`: the runs are the clusters. The rate K/N (a ratio estimator) gets the
  cluster-robust variance of its runs' residuals (Liang & Zeger, Biometrika 73(1):13–22, 1986;
  with the small-sample factor m/(m − 1) and Student's t on m − 1 degrees of freedom), and the
  interval is never narrower than the binomial (Wilson) one on the pooled attempts: the
  variance is floored at the binomial p(1 − p)/N, so identical runs never give a zero-width
  interval. It needs no ρ and at least two runs.
- `effective_counts`: ρ declared by the policy; each run's k and n divided by its DE
  (Donner & Klar, *Design and Analysis of Cluster Randomization Trials*, 2000, §5), then the
  pooled rules (Wilson, Wald's SPRT) on the effective counts.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

from gate_runner.statistics.intervals import Interval, wilson
from gate_runner.statistics.quantiles import t_quantile

# With one run there is no between-run variance to measure; the default rule then assumes
# this ρ (the top of the range the rule is shown to hold for, docs/statistics.md).
ASSUMED_ICC = 0.10


def design_effect(trials: float, icc: float) -> float:
    """Kish's design effect of one run of `trials` attempts at intra-class correlation `icc`."""
    return 1.0 + (trials - 1.0) * icc


def effective_counts(counts: Sequence[tuple[int, int]], icc: float) -> tuple[float, float]:
    """(successes, attempts) each run's counts divided by its design effect, summed."""
    if not 0.0 <= icc < 1.0:
        raise ValueError(f"icc must be in [0, 1), not {icc}")
    successes = sum(k / design_effect(n, icc) for k, n in counts)
    trials = sum(n / design_effect(n, icc) for _, n in counts)
    return successes, trials


@functools.lru_cache(maxsize=4096)
def _t(probability: float, df: int) -> float:
    # The bisection is exact but slow; a gate asks for the same few quantiles again and again.
    return t_quantile(probability, df)


def run_rates_interval(counts: Sequence[tuple[int, int]], one_sided: float) -> Interval:
    """Bounds each holding at `one_sided` confidence: the wider of the cluster-robust t
    interval on the runs and the Wilson interval on the pooled attempts (two runs at least)."""
    runs = len(counts)
    if runs < 2:
        raise ValueError("the run-rates interval needs at least two runs")
    successes = sum(k for k, _ in counts)
    trials = sum(n for _, n in counts)
    rate = successes / trials
    residuals = sum((k - rate * n) ** 2 for k, n in counts)
    standard_error = math.sqrt(runs / (runs - 1) * residuals) / trials
    half = _t(one_sided, runs - 1) * standard_error
    floor = wilson(successes, trials, 2.0 * one_sided - 1.0)
    low = max(0.0, min(floor.low, rate - half))
    high = min(1.0, max(floor.high, rate + half))
    return Interval(
        low,
        high,
        2.0 * one_sided - 1.0,
        "run-rates-t",
        f"{successes}/{trials} attempts in {runs} runs (between-run SE {standard_error:.4f}, "
        "floored at the binomial)",
    )


def dispersion(counts: Sequence[tuple[int, int]]) -> tuple[float, float, int]:
    """(χ², ρ̂, degrees of freedom): Pearson's homogeneity statistic over the runs' counts
    (the runs share one rate?) and the ANOVA estimate of the intra-class correlation for
    binary outcomes (Fleiss, *Statistical Methods for Rates and Proportions*, 1981, §13),
    clipped to [0, 1)."""
    runs = len(counts)
    successes = sum(k for k, _ in counts)
    trials = sum(n for _, n in counts)
    if runs < 2 or trials <= 0:
        return 0.0, 0.0, 0
    rate = successes / trials
    if rate in (0.0, 1.0):
        return 0.0, 0.0, runs - 1  # every attempt alike: nothing varies
    chi2 = sum((k - rate * n) ** 2 / n for k, n in counts) / (rate * (1.0 - rate))
    between = sum(k * k / n for k, n in counts) - successes * successes / trials
    within = successes - sum(k * k / n for k, n in counts)
    msb = between / (runs - 1)
    msw = within / (trials - runs) if trials > runs else 0.0
    n0 = (trials - sum(n * n for _, n in counts) / trials) / (runs - 1)
    denominator = msb + (n0 - 1.0) * msw
    icc = (msb - msw) / denominator if denominator > 0 else 0.0
    return chi2, min(max(icc, 0.0), 0.999), runs - 1


def pooled_dispersion(groups: Sequence[Sequence[tuple[int, int]]]) -> tuple[float, float, int]:
    """(χ², ρ̂, degrees of freedom) over several commits' runs, each commit its own rate.

    Runs of one commit share its code, so only they say how much runs vary: each group of
    two runs or more gives Pearson's χ² (summed: independent χ²s add, and so do their df) and
    the ANOVA sums of squares, pooled as one stratified one-way ANOVA (Fleiss 1981, §13)
    whose between-run mean square is free of the commits' differences. Clipped to [0, 1)."""
    chi2, df = 0.0, 0
    between = within = n0_sum = 0.0
    within_df = 0
    for counts in groups:
        runs = len(counts)
        trials = sum(n for _, n in counts)
        if runs < 2 or trials <= runs:
            continue
        successes = sum(k for k, _ in counts)
        squares = sum(k * k / n for k, n in counts if n > 0)
        group_chi2, _, group_df = dispersion(counts)
        chi2, df = chi2 + group_chi2, df + group_df
        between += squares - successes * successes / trials
        within += successes - squares
        within_df += trials - runs
        n0_sum += trials - sum(n * n for _, n in counts) / trials
    if df == 0 or within_df == 0:
        return 0.0, 0.0, 0
    msb, msw, n0 = between / df, within / within_df, n0_sum / df
    denominator = msb + (n0 - 1.0) * msw
    icc = (msb - msw) / denominator if denominator > 0 else 0.0
    return chi2, min(max(icc, 0.0), 0.999), df
