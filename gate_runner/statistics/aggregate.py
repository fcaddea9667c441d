"""One value for a metric across runs, by the method the policy names."""

from __future__ import annotations

import statistics
from typing import Literal

from gate_runner.statistics.samples import Direction, Sample, counted, pooled_counts

Method = Literal["median", "worst", "best", "mean", "pooled"]
METHODS: tuple[Method, ...] = ("median", "worst", "best", "mean", "pooled")
DEFAULT_METHOD: Method = "median"


class AggregationError(ValueError):
    """The method cannot be applied to these runs (no runs, or `pooled` without trial counts)."""


def aggregate(samples: tuple[Sample, ...], method: Method, direction: Direction) -> float:
    """The aggregate; `worst`/`best` follow the direction (worst of a min_ bar is the lowest)."""
    if not samples:
        raise AggregationError("no runs to aggregate")
    values = [s.value for s in samples]
    if method == "median":
        return float(statistics.median(values))
    if method == "mean":
        return statistics.fmean(values)
    if method in ("worst", "best"):
        lowest_is_worst = direction == "min"
        pick_lowest = (method == "worst") == lowest_is_worst
        return float(min(values) if pick_lowest else max(values))
    if not counted(samples):
        raise AggregationError(
            "`pooled` needs a trial count for every run; set statistics.trials "
            "(e.g. trace_count) or choose median, worst, best or mean"
        )
    successes, trials = pooled_counts(samples)
    return successes / trials
