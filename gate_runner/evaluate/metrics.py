"""Read the metrics a threshold needs from a decision payload, refusing to guess."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


class MetricError(ValueError):
    """The payload cannot answer a threshold: the field is missing, mistyped or out of range."""


@dataclass(frozen=True)
class Metric:
    value: float | int
    note: str | None = None  # how a raw value was read, e.g. a rescaled reliability score


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


def pass_rate(payload: dict[str, Any]) -> Metric:
    value = number(payload, "pass_rate", needed_by="min_pass_rate")
    if not 0 <= value <= 1:
        raise MetricError(f"`pass_rate` is {value:g}, outside the 0–1 range a pass rate has")
    return Metric(value)


def count(payload: dict[str, Any], field: str, *, needed_by: str) -> Metric:
    value = number(payload, field, needed_by=needed_by)
    if value < 0:
        raise MetricError(f"`{field}` is {value:g}, a count cannot be negative")
    return Metric(value)


def reliability_score(payload: dict[str, Any]) -> Metric:
    """The score on the 0–100 scale thresholds use.

    The rule: the run payload's `reliability_score` wins, else the answer of the
    reliability endpoint (stored under `reliability`). A score in 0–1 is a
    fraction and is multiplied by 100 (the endpoint has been seen answering on
    that scale); a score in (1, 100] is already on the 0–100 scale; anything
    else is an error. The note records any rescaling so the verdict shows it.
    """
    source: dict[str, Any] = payload
    field = "reliability_score"
    if payload.get(field) is None and isinstance(payload.get("reliability"), dict):
        source, field = payload["reliability"], "reliability_score"
    raw = number(source, field, needed_by="min_reliability_score")
    if 0 <= raw <= 1:
        note = f"reliability_score {raw:g} read on the 0–1 scale as {raw * 100:g}"
        return Metric(raw * 100, note)
    if 1 < raw <= 100:
        return Metric(raw)
    raise MetricError(f"`reliability_score` is {raw:g}, outside both the 0–1 and 0–100 scales")


def categories(payload: dict[str, Any], *, needed_by: str) -> list[str]:
    value = payload.get("mutation_categories")
    if value is None:
        raise MetricError(f"the payload has no `mutation_categories`, which {needed_by} needs")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MetricError(
            f"`mutation_categories` is {_type_name(value)}, "
            f"expected a list of strings for {needed_by}"
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
