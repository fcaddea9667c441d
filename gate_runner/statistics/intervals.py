"""Confidence intervals: Wilson for pooled counts, Student t for the spread of repeated runs."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from gate_runner.statistics.quantiles import normal_quantile, t_quantile
from gate_runner.statistics.samples import Sample, counted, pooled_counts


@dataclass(frozen=True)
class Interval:
    """A two-sided interval at `confidence`; `method` says how it was made, for the verdict."""

    low: float
    high: float
    confidence: float
    method: str  # "wilson" or "student-t"
    basis: str  # what it was computed from, e.g. "131/150 pooled trials" or "3 runs"

    def describe(self) -> str:
        pct = f"{self.confidence * 100:g}%"
        return f"{pct} {self.method} interval [{self.low:.4f}, {self.high:.4f}] from {self.basis}"


@dataclass(frozen=True)
class NoInterval:
    """Why no interval exists; the message goes into the check as it is."""

    reason: str


def count(value: float) -> str:
    """An attempt count as text: an int as it is, an effective (divided) count to 0.1."""
    return str(value) if isinstance(value, int) else f"{value:.1f}"


def wilson(successes: float, trials: float, confidence: float) -> Interval:
    """Wilson (1927) score interval for a binomial proportion (counts may be effective: k/DE)."""
    if trials <= 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials > 0, got {successes}/{trials}")
    z = normal_quantile(1.0 - (1.0 - confidence) / 2.0)
    p = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (p + z * z / (2.0 * trials)) / denominator
    half = z * math.sqrt(p * (1.0 - p) / trials + z * z / (4.0 * trials * trials)) / denominator
    # Clamp float dust: at 0/n and n/n the bound is exactly 0 or 1.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return Interval(
        low, high, confidence, "wilson", f"{count(successes)}/{count(trials)} pooled trials"
    )


def student_t(values: list[float], confidence: float) -> Interval:
    """mean ± t(n−1) · s/√n over the runs' values; needs at least two runs."""
    n = len(values)
    if n < 2:
        raise ValueError("a t interval needs at least two runs")
    mean = statistics.fmean(values)
    half = t_quantile(1.0 - (1.0 - confidence) / 2.0, n - 1) * statistics.stdev(values) / n**0.5
    return Interval(mean - half, mean + half, confidence, "student-t", f"{n} runs")


def interval_for(samples: tuple[Sample, ...], confidence: float) -> Interval | NoInterval:
    """Wilson when every run has a trial count, else t over the runs; one uncounted run has none."""
    if counted(samples):
        successes, trials = pooled_counts(samples)
        return wilson(successes, trials, confidence)
    if len(samples) >= 2:
        return student_t([s.value for s in samples], confidence)
    return NoInterval(
        "no interval: one run and no trial count (set statistics.trials, e.g. trace_count, "
        "or repeat the campaign)"
    )
