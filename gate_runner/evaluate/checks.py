"""Turn one payload into checks: the service's decision, each threshold, each assertion."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from gate_runner.evaluate import metrics
from gate_runner.expressions import compile_expression
from gate_runner.policy import Assertion, Campaign, Origin, Threshold
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
    try:
        passed, actual, message = _THRESHOLDS[threshold.key](threshold.value, payload)
        status: CheckStatus = "pass" if passed else "fail"
    except metrics.MetricError as error:
        status, actual, message = "error", None, str(error)
    return Check(
        id=f"threshold:{threshold.key}",
        kind="threshold",
        name=threshold.key,
        status=status,
        level="error",
        message=message,
        expected=_expected(threshold),
        actual=actual,
        location=location(threshold.origin),
    )


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


def _expected(threshold: Threshold) -> Any:
    value = threshold.value
    if isinstance(value, tuple):
        return list(value)
    op = ">=" if threshold.key.startswith("min_") else "<="
    return f"{op} {value:g}"


def _min_pass_rate(limit: Any, payload: dict[str, Any]) -> tuple[bool, Any, str]:
    actual = metrics.pass_rate(payload).value
    ok = actual >= limit
    return ok, actual, f"pass_rate {actual:g} {'>=' if ok else '<'} {limit:g}"


def _maximum(field: str, key: str) -> Callable[[Any, dict[str, Any]], tuple[bool, Any, str]]:
    def check(limit: Any, payload: dict[str, Any]) -> tuple[bool, Any, str]:
        actual = metrics.count(payload, field, needed_by=key).value
        ok = actual <= limit
        return ok, actual, f"{field} {actual:g} {'<=' if ok else '>'} {limit:g}"

    return check


def _min_reliability(limit: Any, payload: dict[str, Any]) -> tuple[bool, Any, str]:
    metric = metrics.reliability_score(payload)
    ok = metric.value >= limit
    text = f"reliability_score {metric.value:g} {'>=' if ok else '<'} {limit:g}"
    if metric.note:
        text += f" ({metric.note})"
    return ok, metric.value, text


def _min_categories(limit: Any, payload: dict[str, Any]) -> tuple[bool, Any, str]:
    found = metrics.categories(payload, needed_by="min_mutation_categories")
    ok = len(found) >= limit
    return ok, len(found), f"{len(found)} mutation categories {'>=' if ok else '<'} {limit:g}"


def _required_categories(required: Any, payload: dict[str, Any]) -> tuple[bool, Any, str]:
    found = metrics.categories(payload, needed_by="required_mutation_categories")
    missing = sorted(set(required) - set(found))
    text = (
        "every required mutation category ran"
        if not missing
        else ("missing mutation categories: " + ", ".join(missing))
    )
    return not missing, found, text


_THRESHOLDS: dict[str, Callable[[Any, dict[str, Any]], tuple[bool, Any, str]]] = {
    "min_pass_rate": _min_pass_rate,
    "max_unsafe": _maximum("unsafe_attempts", "max_unsafe"),
    "max_failures": _maximum("failures", "max_failures"),
    "min_reliability_score": _min_reliability,
    "min_mutation_categories": _min_categories,
    "required_mutation_categories": _required_categories,
}


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
