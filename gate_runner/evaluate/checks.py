"""Turn one payload into checks: the service's decision, each threshold, each assertion."""

from __future__ import annotations

import json
from typing import Any

from gate_runner.evaluate import metrics
from gate_runner.expressions import compile_expression
from gate_runner.policy import Assertion, Campaign, Origin, Threshold
from gate_runner.thresholds import THRESHOLDS
from gate_runner.verdict import Check, CheckStatus, Location


def location(origin: Origin | None) -> Location | None:
    return Location(origin.file, origin.line, origin.col) if origin else None


def decision_check(campaign: Campaign, payload: dict[str, Any]) -> Check:
    decision = payload.get("decision")
    if decision in ("pass", "fail"):
        status, message = decision, f"Sepurux decision: {decision}"
    elif decision is None:
        status, message = "error", "the payload has no `decision`"
    else:
        status, message = "error", f"`decision` is {decision!r}, not pass or fail"
    # Each Check is built once (no dataclasses.replace): replay judges thousands of verdicts.
    return Check(
        id="decision",
        kind="decision",
        name="decision",
        status=status,
        level="error",
        message=message,
        expected="pass",
        actual=decision,
        location=location(campaign.origin),
    )


def threshold_check(threshold: Threshold, payload: dict[str, Any]) -> Check:
    status, expected, actual, message = _threshold(threshold, payload)
    return Check(
        id=f"threshold:{threshold.key}",
        kind="threshold",
        name=threshold.key,
        status=status,
        level="error",
        message=message,
        expected=expected,
        actual=actual,
        location=location(threshold.origin),
    )


def _threshold(threshold: Threshold, payload: dict[str, Any]) -> tuple[CheckStatus, Any, Any, str]:
    """(status, expected, actual, message) of one threshold against one payload."""
    kind = THRESHOLDS.get(threshold.key)
    if kind is None:  # the schema admits only the table's keys; a hand-built policy might not
        return "error", None, None, f"unknown threshold {threshold.key!r}"
    expected = kind.expected(threshold.value)
    try:
        metric = metrics.read(kind, payload)
    except metrics.MetricError as error:
        return "error", expected, None, str(error)
    limit = threshold.value
    actual: Any
    if kind.direction == "all":
        missing = sorted(set(limit if isinstance(limit, tuple) else ()) - set(metric.items))
        passed, actual = not missing, list(metric.items)
        message = kind.met if passed else kind.message.format(missing=", ".join(missing))
    else:
        assert not isinstance(limit, tuple)  # the schema gives a comparison a number
        actual = metric.value
        passed = actual >= limit if kind.direction == "min" else actual <= limit
        message = kind.message.format(
            actual=f"{actual:g}", op=kind.operator(passed), limit=f"{limit:g}"
        )
        if metric.note:
            message += f" ({metric.note})"
    return ("pass" if passed else "fail"), expected, actual, message


def assertion_check(assertion: Assertion, payload: dict[str, Any], baseline: Any) -> Check:
    status, actual, message = _assert(assertion, {**payload, "baseline": baseline})
    return Check(
        id=f"assertion:{assertion.name}",
        kind="assertion",
        name=assertion.name,
        status=status,
        level=assertion.level,
        message=message,
        expected=True,
        actual=actual,
        location=location(assertion.origin),
    )


def _assert(assertion: Assertion, data: dict[str, Any]) -> tuple[CheckStatus, Any, str]:
    try:
        value = compile_expression(assertion.expr).search(data)
    except Exception as error:  # any failure of the expression is the check's error
        return "error", None, f"`{assertion.expr}` could not be evaluated: {error}"
    if value is True:
        return "pass", True, f"`{assertion.expr}` holds"
    if value is False:
        status: CheckStatus = "fail" if assertion.level == "error" else "warn"
        return status, False, assertion.message or f"`{assertion.expr}` is false"
    preview = f"{_json_type(value)} {_preview(value)}"
    return "error", value, f"`{assertion.expr}` returned {preview}, not a boolean"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _preview(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
