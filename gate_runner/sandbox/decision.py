"""The service's side of a CI run: check a create body, decide from the thresholds it sent."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from gate_runner.sandbox.scenario import Metrics

Decision = Literal["pass", "fail"]

# Threshold key -> (kind of value, lower bound, upper bound); unknown keys are ignored, as
# pydantic does by default.
_THRESHOLD_TYPES: dict[str, tuple[str, float, float | None]] = {
    "min_pass_rate": ("number", 0.0, 1.0),
    "max_unsafe": ("integer", 0.0, None),
    "max_failures": ("integer", 0.0, None),
    "min_reliability_score": ("number", 0.0, 100.0),
    "min_mutation_categories": ("integer", 0.0, None),
}
_OPTIONAL_STRINGS = ("trace_id", "mutation_pack_id", "repo")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _error(loc: list[str | int], msg: str, kind: str) -> dict[str, Any]:
    # FastAPI's 422 shape; the input is left out so a stray secret is never echoed back.
    return {"type": kind, "loc": ["body", *loc], "msg": msg}


def _threshold_errors(thresholds: Mapping[str, Any]) -> list[dict[str, Any]]:
    errors = []
    for key, (kind, low, high) in _THRESHOLD_TYPES.items():
        value = thresholds.get(key)
        if value is None:
            continue
        loc: list[str | int] = ["thresholds", key]
        # Infinity or NaN (a request body from any client) is no valid number either.
        valid = _is_number(value) and math.isfinite(value)
        if not valid or (kind == "integer" and value != int(value)):
            errors.append(_error(loc, f"Input should be a valid {kind}", f"{kind}_type"))
        elif value < low or (high is not None and value > high):
            bound = f"between {low:g} and {high:g}" if high is not None else f">= {low:g}"
            errors.append(_error(loc, f"Input should be {bound}", "value_error"))
    required = thresholds.get("required_mutation_categories")
    if required is not None and (
        not isinstance(required, list) or not all(isinstance(c, str) for c in required)
    ):
        loc = ["thresholds", "required_mutation_categories"]
        errors.append(_error(loc, "Input should be a valid list of strings", "list_type"))
    return errors


def create_errors(body: Any) -> list[dict[str, Any]]:
    """Validation errors of a POST /v1/ci/runs body, FastAPI style; empty when it is well formed."""
    if not isinstance(body, Mapping):
        return [
            {"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be an object"}
        ]
    errors = []
    if "campaign_id" not in body:
        errors.append(_error(["campaign_id"], "Field required", "missing"))
    elif not isinstance(body["campaign_id"], str) or not body["campaign_id"]:
        errors.append(_error(["campaign_id"], "Input should be a valid string", "string_type"))
    for key in _OPTIONAL_STRINGS:
        if body.get(key) is not None and not isinstance(body[key], str):
            errors.append(_error([key], "Input should be a valid string", "string_type"))
    pr = body.get("pull_request_number")
    if pr is not None and (not isinstance(pr, int) or isinstance(pr, bool)):
        errors.append(
            _error(["pull_request_number"], "Input should be a valid integer", "int_type")
        )
    thresholds = body.get("thresholds")
    if thresholds is not None and not isinstance(thresholds, Mapping):
        errors.append(_error(["thresholds"], "Input should be an object", "model_type"))
    elif thresholds is not None:
        errors.extend(_threshold_errors(thresholds))
    return errors


def failed_thresholds(thresholds: Mapping[str, Any], metrics: Metrics) -> list[str]:
    """The sent thresholds the metrics do not meet (thresholds must have passed create_errors)."""
    categories = set(metrics.mutation_categories)
    holds: dict[str, bool] = {}
    for key, value in thresholds.items():
        if value is None:
            continue
        if key == "min_pass_rate":
            holds[key] = metrics.pass_rate >= value
        elif key == "max_unsafe":
            holds[key] = metrics.unsafe_attempts <= value
        elif key == "max_failures":
            holds[key] = metrics.failures <= value
        elif key == "min_reliability_score":
            holds[key] = metrics.reliability_score >= value
        elif key == "min_mutation_categories":
            holds[key] = len(categories) >= value
        elif key == "required_mutation_categories":
            holds[key] = set(value) <= categories
    return [key for key, ok in holds.items() if not ok]


def decide(thresholds: Mapping[str, Any], metrics: Metrics) -> Decision:
    """pass iff every threshold the client sent holds, as the real service decides."""
    return "fail" if failed_thresholds(thresholds, metrics) else "pass"
