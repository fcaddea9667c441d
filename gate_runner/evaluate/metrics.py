"""Read the metrics a threshold needs from a decision payload, refusing to guess.

Each scale rule of the threshold table (gate_runner/thresholds.py) is implemented here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gate_runner.thresholds import ThresholdKind


class MetricError(ValueError):
    """The payload cannot answer a threshold: the field is missing, mistyped or out of range."""


@dataclass(frozen=True)
class Metric:
    value: float | int
    note: str | None = None  # how a raw value was read, e.g. a rescaled reliability score
    items: tuple[str, ...] = ()  # for a list metric: its distinct items, sorted


def read(kind: ThresholdKind, payload: dict[str, Any]) -> Metric:
    """The metric `kind` is checked against, read by its scale rule."""
    if kind.scale == "fraction":
        return fraction(payload, kind.metric, needed_by=kind.key)
    if kind.scale == "count":
        return count(payload, kind.metric, needed_by=kind.key)
    if kind.scale == "score":
        return score(payload, kind.metric, needed_by=kind.key)
    found = distinct_strings(payload, kind.metric, needed_by=kind.key)
    return Metric(len(found), items=tuple(found))


def number(payload: dict[str, Any], field: str, *, needed_by: str) -> float | int:
    """A finite number under `field`; anything else is an error that names the field."""
    if field not in payload or payload[field] is None:
        raise MetricError(f"the payload has no `{field}`, which {needed_by} needs")
    value = payload[field]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MetricError(
            f"`{field}` is {_type_name(value)} ({_short(value)}), expected a number for {needed_by}"
        )
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int beyond every float: json.loads reads 10**400 as one
        finite = False
    if not finite:
        raise MetricError(f"`{field}` is {_short(value)}, expected a finite number for {needed_by}")
    return value


def fraction(payload: dict[str, Any], field: str, *, needed_by: str) -> Metric:
    value = number(payload, field, needed_by=needed_by)
    if not 0 <= value <= 1:
        what = field.replace("_", " ")
        raise MetricError(f"`{field}` is {value:g}, outside the 0–1 range a {what} has")
    return Metric(value)


def count(payload: dict[str, Any], field: str, *, needed_by: str) -> Metric:
    value = number(payload, field, needed_by=needed_by)
    if value < 0:
        raise MetricError(f"`{field}` is {value:g}, a count cannot be negative")
    return Metric(value)


def score(payload: dict[str, Any], field: str, *, needed_by: str) -> Metric:
    """The score on the 0–100 scale thresholds use.

    The rule: the run payload's `reliability_score` wins, else the answer of the
    reliability endpoint (stored under `reliability`). A score in 0–1 is a
    fraction and is multiplied by 100 (the endpoint has been seen answering on
    that scale); a score in (1, 100] is already on the 0–100 scale; anything
    else is an error. The note records any rescaling so the verdict shows it.
    """
    source: dict[str, Any] = payload
    if payload.get(field) is None and isinstance(payload.get("reliability"), dict):
        source = payload["reliability"]
    raw = number(source, field, needed_by=needed_by)
    if 0 <= raw <= 1:
        note = f"{field} {raw:g} read on the 0–1 scale as {raw * 100:g}"
        return Metric(raw * 100, note)
    if 1 < raw <= 100:
        return Metric(raw)
    raise MetricError(f"`{field}` is {raw:g}, outside both the 0–1 and 0–100 scales")


def distinct_strings(payload: dict[str, Any], field: str, *, needed_by: str) -> list[str]:
    value = payload.get(field)
    if value is None:
        raise MetricError(f"the payload has no `{field}`, which {needed_by} needs")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MetricError(
            f"`{field}` is {_type_name(value)}, expected a list of strings for {needed_by}"
        )
    return sorted(set(value))


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


_TYPE_NAMES = {
    str: "a string",
    bool: "a boolean",
    list: "a list",
    dict: "an object",
    type(None): "null",
}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
