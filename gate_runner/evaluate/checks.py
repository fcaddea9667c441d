"""Turn one payload into checks: the service's decision, each threshold, each assertion."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from gate_runner.evaluate import metrics
from gate_runner.expressions import compile_expression
from gate_runner.policy import Assertion, Campaign, Origin, Threshold
from gate_runner.verdict import Check, Location


def location(origin: Origin | None) -> Location | None:
    return Location(origin.file, origin.line, origin.col) if origin else None


def decision_check(campaign: Campaign, payload: dict[str, Any]) -> Check:
    decision = payload.get("decision")
    base = Check(
        id="decision",
        kind="decision",
        name="decision",
        status="error",
        level="error",
        message="",
        expected="pass",
        actual=decision,
        location=location(campaign.origin),
    )
    if decision in ("pass", "fail"):
        return replace(base, status=decision, message=f"Sepurux decision: {decision}")
    if decision is None:
        return replace(base, message="the payload has no `decision`")
    return replace(base, message=f"`decision` is {decision!r}, not pass or fail")


def threshold_check(
    threshold: Threshold, payload: dict[str, Any], baseline: dict[str, Any] | None = None
) -> Check:
    base = Check(
        id=f"threshold:{threshold.key}",
        kind="threshold",
        name=threshold.key,
        status="error",
        level="error",
        message="",
        expected=_expected(threshold),
        location=location(threshold.origin),
    )
    try:
        if threshold.key == "max_regression":
            passed, actual, message = _max_regression(threshold.value, payload, baseline)
        else:
            passed, actual, message = _THRESHOLDS[threshold.key](threshold.value, payload)
    except metrics.MetricError as error:
        return replace(base, message=str(error))
    return replace(base, status="pass" if passed else "fail", message=message, actual=actual)


def assertion_check(assertion: Assertion, payload: dict[str, Any], baseline: Any) -> Check:
    base = Check(
        id=f"assertion:{assertion.name}",
        kind="assertion",
        name=assertion.name,
        status="error",
        level=assertion.level,
        message="",
        expected=True,
        location=location(assertion.origin),
    )
    data = {**payload, "baseline": baseline}
    try:
        value = compile_expression(assertion.expr).search(data)
    except Exception as error:  # any failure of the expression is the check's error
        return replace(base, message=f"`{assertion.expr}` could not be evaluated: {error}")
    if value is True:
        return replace(base, status="pass", actual=True, message=f"`{assertion.expr}` holds")
    if value is False:
        return replace(
            base,
            status="fail" if assertion.level == "error" else "warn",
            actual=False,
            message=assertion.message or f"`{assertion.expr}` is false",
        )
    return replace(
        base,
        actual=value,
        message=f"`{assertion.expr}` returned {_json_type(value)} {_preview(value)}, not a boolean",
    )


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


def _max_regression(
    limit: Any, payload: dict[str, Any], baseline: dict[str, Any] | None
) -> tuple[bool, Any, str]:
    """The raw change of pass_rate from the baseline; repeats.py tests it with statistics."""
    actual = metrics.pass_rate(payload).value
    if not isinstance(baseline, dict):
        return True, actual, "not judged: no --baseline verdict to compare with"
    before = metrics.pass_rate(baseline).value
    change = actual - before
    ok = change >= -limit
    return ok, actual, f"pass_rate changed by {change:+.4f} from {before:g} (at most -{limit:g})"


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
