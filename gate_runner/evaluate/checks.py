"""Turn one payload into checks: the service's decision, each threshold, each assertion."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from gate_runner.evaluate import metrics
from gate_runner.expressions import compile_expression
from gate_runner.policy import Assertion, Campaign, Origin, Threshold
from gate_runner.thresholds import THRESHOLDS, ThresholdKind
from gate_runner.verdict import Check, CheckStatus, Location


def location(origin: Origin | None) -> Location | None:
    return Location(origin.file, origin.line, origin.col) if origin else None


def decision_check(campaign: Campaign, payload: dict[str, Any]) -> Check:
    # Built once, not built and replaced: replay judges a million of these (issue 22).
    decision = payload.get("decision")
    if decision in ("pass", "fail"):
        status, message = decision, f"Sepurux decision: {decision}"
    elif decision is None:
        status, message = "error", "the payload has no `decision`"
    else:
        status, message = "error", f"`decision` is {decision!r}, not pass or fail"
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


def threshold_check(
    threshold: Threshold, payload: dict[str, Any], baseline: dict[str, Any] | None = None
) -> Check:
    kind = THRESHOLDS.get(threshold.key)
    expected = None if kind is None else kind.expected(threshold.value)
    where = location(threshold.origin)

    def made(status: CheckStatus, message: str, actual: Any = None) -> Check:
        # Each outcome built once, not built and replaced: replay judges a million (issue 22).
        return Check(
            id=f"threshold:{threshold.key}",
            kind="threshold",
            name=threshold.key,
            status=status,
            level="error",
            message=message,
            expected=expected,
            actual=actual,
            location=where,
        )

    if kind is None:  # the schema admits only the table's keys; a hand-built policy might not
        return made("error", f"unknown threshold {threshold.key!r}")
    try:
        metric = metrics.read(kind, payload)
        if kind.baseline:  # max_regression: the change from the --baseline verdict's metric
            return _change(made("error", ""), kind, threshold.value, metric.value, baseline)
    except metrics.MetricError as error:
        return made("error", str(error))
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
    return made("pass" if passed else "fail", message, actual)


def _change(
    base: Check, kind: ThresholdKind, limit: object, actual: float, baseline: dict[str, Any] | None
) -> Check:
    """One run's raw change from the baseline; repeats.py tests it over runs with statistics."""
    if not isinstance(baseline, dict):
        message = "not judged: no --baseline verdict to compare with"
        return replace(base, status="pass", actual=actual, message=message)
    assert isinstance(limit, (int, float))
    before = metrics.read(kind, baseline).value
    change = actual - before
    passed = change >= -limit
    message = f"{kind.metric} changed by {change:+.4f} from {before:g} (at most -{limit:g})"
    return replace(base, status="pass" if passed else "fail", actual=actual, message=message)


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
