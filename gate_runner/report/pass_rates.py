"""Each campaign's pass rate against its bar, read defensively from the verdict for the pictures."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

from gate_runner.verdict import CampaignResult, Verdict

THRESHOLD_ID = "threshold:min_pass_rate"
_AT_LEAST = re.compile(r"^\s*>=?\s*([0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)\s*$")


@dataclass(frozen=True)
class PassRate:
    """What the HTML page and the mermaid chart draw for one campaign."""

    key: str
    outcome: str
    value: float | None  # the rate the gate judged (the aggregate when the campaign repeats)
    bar: float | None  # min_pass_rate in force
    interval: tuple[float, float] | None  # confidence interval, when the statistics give one
    runs: tuple[float, ...]  # each run's own rate, when the campaign ran more than once
    baseline: float | None  # the same campaign's rate in the baseline verdict


def pass_rates(verdict: Verdict, baseline: Verdict | None = None) -> list[PassRate]:
    before = {c.key: _value(c) for c in baseline.campaigns} if baseline is not None else {}
    return [
        PassRate(
            key=c.key,
            outcome=c.outcome,
            value=_value(c),
            bar=_bar(c),
            interval=_interval(c),
            runs=_runs(c),
            # A baseline verdict given here, else what the verdict recorded from --baseline.
            baseline=before.get(c.key) if baseline is not None else rate(c.baseline_pass_rate),
        )
        for c in verdict.campaigns
    ]


def judged(campaign: CampaignResult) -> tuple[float | None, float | None]:
    """(the pass rate the gate judged, the bar then in force): `pass_rates` without the rest
    (history files this for every verdict, and each run's rate costs more than both)."""
    return _value(campaign), _bar(campaign)


def rate(value: Any) -> float | None:
    """A finite number, or None: payloads and verdict files are untrusted."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int past every float (json reads 10**400 as one)
        return None
    return number if math.isfinite(number) else None


def _threshold(campaign: CampaignResult) -> Any:
    return next((c for c in campaign.checks if c.id == THRESHOLD_ID), None)


def _value(campaign: CampaignResult) -> float | None:
    check = _threshold(campaign)
    if check is not None:
        judged = rate(check.actual)
        if judged is None and isinstance(check.actual, Mapping):
            judged = rate(check.actual.get("value"))
        if judged is not None:
            return judged
    aggregate = _field(campaign, "aggregate")
    if isinstance(aggregate, Mapping):
        found = _metric(aggregate, "pass_rate")
        metrics = aggregate.get("metrics")
        if found is None and isinstance(metrics, Mapping):
            found = _metric(metrics, "pass_rate")
        if found is not None:
            return found
    return rate((campaign.payload or {}).get("pass_rate"))


def _bar(campaign: CampaignResult) -> float | None:
    check = _threshold(campaign)
    if check is None:
        return None
    expected = check.expected
    if isinstance(expected, Mapping):
        return rate(expected.get("min"))
    if isinstance(expected, str):
        # The runner records the bar as text (">= 0.85"); older verdicts as {"min": 0.85}.
        found = _AT_LEAST.match(expected)
        return rate(float(found.group(1))) if found else None
    return rate(expected)


def _interval(campaign: CampaignResult) -> tuple[float, float] | None:
    # Issue #12 puts the interval beside the aggregate or the check's actual value; accept
    # `interval: [low, high]` or `low`/`high` keys in either, and nothing that is not ordered.
    check = _threshold(campaign)
    aggregate = _field(campaign, "aggregate")
    places: list[Any] = [check.actual if check is not None else None]
    if isinstance(aggregate, Mapping):
        places += [aggregate.get("pass_rate"), aggregate]
    for place in places:
        if not isinstance(place, Mapping):
            continue
        pair = place.get("interval")
        if isinstance(pair, Mapping):  # the verdict's aggregate: {"low", "high", ...}
            pair = [pair.get("low"), pair.get("high")]
        low, high = (
            (pair[0], pair[1])
            if isinstance(pair, (list, tuple)) and len(pair) == 2
            else (
                place.get("low"),
                place.get("high"),
            )
        )
        low, high = rate(low), rate(high)
        if low is not None and high is not None and low <= high:
            return (low, high)
    return None


def _runs(campaign: CampaignResult) -> tuple[float, ...]:
    runs = _field(campaign, "runs")
    if not isinstance(runs, (list, tuple)) or len(runs) < 2:
        return ()
    values: list[float] = []
    for run in runs:
        data = run if isinstance(run, Mapping) else getattr(run, "__dict__", {})
        metrics = data.get("metrics")
        found = _metric(metrics, "pass_rate") if isinstance(metrics, Mapping) else None
        if found is None:
            found = _metric(data, "pass_rate")
        if found is not None:
            values.append(found)
    return tuple(values)


def _metric(data: Mapping[str, Any], name: str) -> float | None:
    value = data.get(name)
    if isinstance(value, Mapping):
        value = value.get("value")
    return rate(value)


def _field(campaign: CampaignResult, name: str) -> Any:
    # `runs` (RunRecord) and `aggregate` (Aggregate) came with issue #12: read as plain data.
    value = getattr(campaign, name, None)
    if isinstance(value, tuple):
        return [asdict(v) if is_dataclass(v) and not isinstance(v, type) else v for v in value]
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value
