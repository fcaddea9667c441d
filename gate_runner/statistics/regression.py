"""Baseline regression with a test: is the drop from the baseline larger than `max_regression`?"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from gate_runner.statistics.intervals import Interval, NoInterval, wilson
from gate_runner.statistics.judgement import Status
from gate_runner.statistics.quantiles import normal_quantile, t_quantile
from gate_runner.statistics.samples import Direction, Sample, counted, pooled_counts


@dataclass(frozen=True)
class Regression:
    status: Status
    difference: float  # current − baseline (point estimate)
    message: str
    interval: Interval | None = None  # of the difference


def regression(
    current: tuple[Sample, ...],
    baseline: tuple[Sample, ...],
    *,
    metric: str,
    direction: Direction,
    max_regression: float,
    confidence: float,
) -> Regression:
    """fail when the interval of the change shows a regression larger than `max_regression`
    (the whole interval beyond it), else pass, the interval in the message: an agent that did
    not change must pass whatever the sample size, so the burden of proof is on the drop.

    The interval is Newcombe's hybrid score interval for two proportions when both sides
    have trial counts, else Welch's t interval on the runs' values.
    """
    interval = difference_interval(current, baseline, confidence)
    point = statistics.fmean(s.value for s in current) - statistics.fmean(s.value for s in baseline)
    if counted(current) and counted(baseline):
        c_s, c_n = pooled_counts(current)
        b_s, b_n = pooled_counts(baseline)
        point = c_s / c_n - b_s / b_n
    allowed = f"a regression of at most {max_regression:g}"
    if isinstance(interval, NoInterval):
        message = f"{metric} changed by {point:+.4f}; {interval.reason}, so no drop is shown"
        return Regression("pass", point, message)
    # Orient so that "worse" is negative whichever way the bar points.
    sign = 1.0 if direction == "min" else -1.0
    best = max(sign * interval.low, sign * interval.high)
    status: Status = "fail" if best < -max_regression else "pass"
    shows = "rules out" if status == "fail" else "does not rule out"
    message = f"{metric} changed by {point:+.4f}; {interval.describe()} {shows} {allowed}"
    return Regression(status, point, message, interval)


def attempts_per_side(margin: float, rate: float, confidence: float, power: float = 0.8) -> int:
    """Attempts on each side (baseline and current) to tell a drop of `margin` from no change
    at a pass rate of `rate`, two-sided at `confidence`, with `power`: the normal approximation
    n = (z(1 - a/2) + z(power))^2 * 2p(1 - p) / margin^2 (Fleiss, Statistical Methods for Rates
    and Proportions, 3rd ed., 2003, section 4.2, without the continuity correction)."""
    z = normal_quantile(1.0 - (1.0 - confidence) / 2.0) + normal_quantile(power)
    variance = 2.0 * rate * (1.0 - rate) or 2.0 * margin * (1.0 - margin)  # rate 0 or 1
    return math.ceil(z * z * variance / (margin * margin))


def difference_interval(
    current: tuple[Sample, ...], baseline: tuple[Sample, ...], confidence: float
) -> Interval | NoInterval:
    if counted(current) and counted(baseline):
        return newcombe(*pooled_counts(current), *pooled_counts(baseline), confidence)
    if len(current) >= 2 and len(baseline) >= 2:
        return welch([s.value for s in current], [s.value for s in baseline], confidence)
    return NoInterval(
        "no interval for the change: without trial counts both sides need at least two runs"
    )


def newcombe(
    successes: int, trials: int, base_successes: int, base_trials: int, confidence: float
) -> Interval:
    """Newcombe (1998) method 10: p1 − p2 from the two Wilson intervals. Statistics in
    Medicine 17(8): 873–890, doi:10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I.
    """
    p1, p2 = successes / trials, base_successes / base_trials
    first = wilson(successes, trials, confidence)
    second = wilson(base_successes, base_trials, confidence)
    d = p1 - p2
    low = d - math.sqrt((p1 - first.low) ** 2 + (second.high - p2) ** 2)
    high = d + math.sqrt((first.high - p1) ** 2 + (p2 - second.low) ** 2)
    basis = f"{successes}/{trials} against {base_successes}/{base_trials} trials"
    return Interval(low, high, confidence, "newcombe", basis)


def welch(values: list[float], base_values: list[float], confidence: float) -> Interval:
    """Welch's t interval for a difference of means, Welch–Satterthwaite degrees of freedom."""
    n1, n2 = len(values), len(base_values)
    v1, v2 = statistics.variance(values) / n1, statistics.variance(base_values) / n2
    d = statistics.fmean(values) - statistics.fmean(base_values)
    basis = f"{n1} runs against {n2} baseline runs"
    if v1 + v2 == 0.0:  # identical runs on both sides: the difference is exact
        return Interval(d, d, confidence, "welch-t", basis)
    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    half = t_quantile(1.0 - (1.0 - confidence) / 2.0, df) * math.sqrt(v1 + v2)
    return Interval(d - half, d + half, confidence, "welch-t", basis)
