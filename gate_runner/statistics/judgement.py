"""One threshold over a fixed set of runs: pass, fail, or inconclusive (the interval straddles)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gate_runner.statistics.aggregate import AggregationError, Method, aggregate
from gate_runner.statistics.intervals import Interval, NoInterval, interval_for
from gate_runner.statistics.samples import Bar, Sample

Status = Literal["pass", "fail", "inconclusive"]


@dataclass(frozen=True)
class Judgement:
    """What one threshold concluded, with the numbers that made it and one line that says why."""

    status: Status
    value: float | None  # the aggregate asked for (absolute bar: the worst run; None: no run yet)
    method: str  # the aggregation method, or "every run" for an absolute bar
    runs: int
    message: str
    interval: Interval | None = None


def judge(
    samples: tuple[Sample, ...], bar: Bar, *, method: Method, confidence: float | None
) -> Judgement:
    """Without `confidence` the aggregate is compared with the bar (today's rule, over N runs).

    With it, the interval decides: it must lie wholly on the good side to pass and
    wholly on the bad side to fail; an interval across the bar, or none, is inconclusive.
    """
    if not samples:
        raise AggregationError(f"no runs to judge {bar.key} on")
    if bar.absolute:
        return judge_absolute(samples, bar)
    value = aggregate(samples, method, bar.direction)
    met = bar.met_by(value)
    point = _point(bar.metric, method, value, len(samples))
    if confidence is None:
        sign = bar.operator if met else _opposite(bar.operator)
        return Judgement(
            "pass" if met else "fail", value, method, len(samples), f"{point} {sign} {bar.limit:g}"
        )
    interval = interval_for(samples, confidence)
    if isinstance(interval, NoInterval):
        return Judgement("inconclusive", value, method, len(samples), f"{point}; {interval.reason}")
    status = interval_status(interval, bar)
    where = {
        "pass": "clears",
        "fail": "misses",
        "inconclusive": "straddles",
    }[status]
    message = f"{point}; {interval.describe()} {where} the bar {bar.operator} {bar.limit:g}"
    return Judgement(status, value, method, len(samples), message, interval)


def interval_status(interval: Interval, bar: Bar) -> Status:
    """pass when the whole interval is on the good side (the bar itself counts as good)."""
    good_low, good_high = (
        (interval.low, interval.high) if bar.direction == "min" else (-interval.high, -interval.low)
    )
    limit = bar.limit if bar.direction == "min" else -bar.limit
    if good_low >= limit:
        return "pass"
    if good_high < limit:
        return "fail"
    return "inconclusive"


def judge_absolute(samples: tuple[Sample, ...], bar: Bar) -> Judgement:
    """Every run on its own: one run over the bar fails, whatever the others did."""
    worst = max(samples, key=lambda s: s.value if bar.direction == "max" else -s.value)
    offenders = [i + 1 for i, s in enumerate(samples) if not bar.met_by(s.value)]
    if offenders:
        which = ", ".join(map(str, offenders))
        message = (
            f"{bar.metric} {worst.value:g} {_opposite(bar.operator)} {bar.limit:g} in run "
            f"{which} of {len(samples)} (an absolute bar: one run over it fails)"
        )
        return Judgement("fail", worst.value, "every run", len(samples), message)
    message = f"{bar.metric} {bar.operator} {bar.limit:g} in every one of {_runs(len(samples))}"
    return Judgement("pass", worst.value, "every run", len(samples), message)


def describe_point(judgement: Judgement, metric: str) -> str:
    """ "pass_rate median 0.9 over 2 runs": the aggregate a judgement was made on."""
    return _point(metric, judgement.method, judgement.value, judgement.runs)


def _point(metric: str, method: str, value: float | None, runs: int) -> str:
    shown = "none" if value is None else f"{value:g}"
    return f"{metric} {method} {shown} over {_runs(runs)}"


def _opposite(operator: str) -> str:
    return "<" if operator == ">=" else ">"


def _runs(n: int) -> str:
    return "1 run" if n == 1 else f"{n} runs"
