"""Validation of what the API answers: objects where objects belong, statuses and decisions."""

from __future__ import annotations

from typing import Any

from gate_runner.errors import ServiceError
from gate_runner.saved_payloads import FAILED_RUN_STATUSES as FAILED_STATUSES
from gate_runner.saved_payloads import run_failure

RUNNING_STATUSES = ("queued", "running", "pending")
STATUSES = (*RUNNING_STATUSES, "done", *FAILED_STATUSES)
DECISIONS = ("pass", "fail", "pending")


def _type_name(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def json_object(value: Any, url: str) -> dict[str, Any]:
    """``value`` when it is a JSON object, else a payload error naming what came instead."""
    if not isinstance(value, dict):
        raise ServiceError(
            "payload", f"{url} answered {_type_name(value)} where a JSON object was expected"
        )
    return value


def campaign_list(value: Any, url: str) -> list[dict[str, Any]]:
    """The campaigns of ``GET /v1/campaigns``: a list, or an object wrapping one."""
    items = value
    if isinstance(value, dict):
        wrapped = [
            value[k] for k in ("campaigns", "items", "data") if isinstance(value.get(k), list)
        ]
        if not wrapped:
            raise ServiceError("payload", f"{url} answered an object without a campaign list")
        items = wrapped[0]
    if not isinstance(items, list):
        raise ServiceError("payload", f"{url} answered {_type_name(value)}, not a campaign list")
    campaigns: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ServiceError(
                "payload", f"{url}: campaign #{index} is {_type_name(item)}, not an object"
            )
        campaigns.append(item)
    return campaigns


def create_answer(value: Any, url: str) -> tuple[str, str]:
    """``(id, "run" | "batch")`` from a create answer: ``run_id`` first, then ``batch_id``.

    A ``failed``/``error`` status in the answer is a ``run_failed`` error, id or not.
    """
    answer = json_object(value, url)
    status = answer.get("status")
    if status in FAILED_STATUSES:
        # Polling would trust a later answer that contradicts this one: fail closed now.
        raise ServiceError(
            "run_failed", f"{url}: the service could not start the run (status {status})"
        )
    for field, kind in (("run_id", "run"), ("batch_id", "batch")):
        candidate = answer.get(field)
        if isinstance(candidate, str) and candidate:
            return candidate, kind
    raise ServiceError(
        "payload", f"{url} answered without a non-empty string 'run_id' or 'batch_id'"
    )


def poll_state(payload: dict[str, Any], where: str) -> str:
    """``queued | running | pending`` (poll again) or ``done`` (a pass/fail decision).

    Raises ``run_failed`` for a failed/error status whatever the decision says, and a
    payload error naming the field for an unknown status or a done run without a decision.
    """
    status = payload.get("status")
    if not isinstance(status, str):
        raise ServiceError(
            "payload", f"{where}: field 'status' is {_type_name(status)}, expected a string"
        )
    if status not in STATUSES:
        raise ServiceError(
            "payload",
            f"{where}: unknown status {status!r} (expected one of {', '.join(STATUSES)})",
        )
    failure = run_failure(payload, where)  # the one fail-closed rule, shared with evaluate
    if failure is not None:
        raise failure
    decision = payload.get("decision")
    if status in RUNNING_STATUSES and decision is None:
        return status
    if not isinstance(decision, str):
        raise ServiceError(
            "payload", f"{where}: field 'decision' is {_type_name(decision)}, expected a string"
        )
    if decision not in DECISIONS:
        raise ServiceError(
            "payload",
            f"{where}: unknown decision {decision!r} (expected one of {', '.join(DECISIONS)})",
        )
    if status in RUNNING_STATUSES:
        return status
    return "pending" if decision == "pending" else "done"
