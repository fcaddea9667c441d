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
from collections.abc import Iterable, Sequence

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


# One commit's share of the pooled test: (χ², df, between SS, within SS, within df, n0 sum).
# Shares add (independent χ²s and their df; the sums of squares of a stratified ANOVA), so a
# database can sum them over any window and `pooled_from_parts` finishes the test.
DispersionParts = tuple[float, int, float, float, int, float]
NO_PARTS: DispersionParts = (0.0, 0, 0.0, 0.0, 0, 0.0)


def dispersion_parts(counts: Sequence[tuple[int, int]]) -> DispersionParts:
    """One commit's share of `pooled_dispersion` (none under two runs or one trial a run)."""
    runs = len(counts)
    trials = sum(n for _, n in counts)
    if runs < 2 or trials <= runs:
        return NO_PARTS
    successes = sum(k for k, _ in counts)
    squares = sum(k * k / n for k, n in counts if n > 0)
    group_chi2, _, group_df = dispersion(counts)
    return (
        group_chi2,
        group_df,
        squares - successes * successes / trials,
        successes - squares,
        trials - runs,
        trials - sum(n * n for _, n in counts) / trials,
    )


def pooled_dispersion(groups: Sequence[Sequence[tuple[int, int]]]) -> tuple[float, float, int]:
    """(χ², ρ̂, degrees of freedom) over several commits' runs, each commit its own rate.

    Runs of one commit share its code, so only they say how much runs vary: each group of
    two runs or more gives Pearson's χ² (summed: independent χ²s add, and so do their df) and
    the ANOVA sums of squares, pooled as one stratified one-way ANOVA (Fleiss 1981, §13)
    whose between-run mean square is free of the commits' differences. Clipped to [0, 1)."""
    return pooled_from_parts(sum_parts(dispersion_parts(counts) for counts in groups))


def sum_parts(shares: Iterable[DispersionParts]) -> DispersionParts:
    """The shares of several commits added, in order (the order a database sums in too)."""
    chi2 = between = within = n0_sum = 0.0
    df = within_df = 0
    for share in shares:
        chi2, df = chi2 + share[0], df + share[1]
        between, within = between + share[2], within + share[3]
        within_df, n0_sum = within_df + share[4], n0_sum + share[5]
    return chi2, df, between, within, within_df, n0_sum


def pooled_from_parts(parts: DispersionParts) -> tuple[float, float, int]:
    """(χ², ρ̂, df) of the commits whose shares were summed into `parts`."""
    chi2, df, between, within, within_df, n0_sum = parts
    if df == 0 or within_df == 0:
        return 0.0, 0.0, 0
    msb, msw, n0 = between / df, within / within_df, n0_sum / df
    denominator = msb + (n0 - 1.0) * msw
    icc = (msb - msw) / denominator if denominator > 0 else 0.0
    return chi2, min(max(icc, 0.0), 0.999), df
