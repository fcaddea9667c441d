"""The closed vocabularies are Literal types, and they say what the verdict schema says."""

from __future__ import annotations

import json
from typing import get_args

from support import VERDICT_SCHEMA

from gate_runner.api.model import RunOutcomeStatus
from gate_runner.errors import ServiceErrorKind
from gate_runner.verdict import RunErrorKind, RunStatus


def _flatten(kind: object) -> set[str]:
    found: set[str] = set()
    for arg in get_args(kind):
        found |= _flatten(arg) if get_args(arg) else {arg}
    return found


def _schema() -> dict[str, object]:
    data: dict[str, object] = json.loads(VERDICT_SCHEMA.read_text(encoding="utf-8"))
    return data


def _enums_under(node: object, key: str) -> list[set[str]]:
    """Every `enum` found under a property called `key`, anywhere in the schema."""
    found: list[set[str]] = []
    if isinstance(node, dict):
        for name, child in node.items():
            if name == key and isinstance(child, dict) and "enum" in child:
                found.append(set(child["enum"]))
            found += _enums_under(child, key)
    elif isinstance(node, list):
        for child in node:
            found += _enums_under(child, key)
    return found


def test_error_kinds_match_the_verdict_schema() -> None:
    assert _flatten(RunErrorKind) in _enums_under(_schema(), "kind")
    assert _flatten(RunErrorKind) == _flatten(ServiceErrorKind) | {
        "usage",
        "policy",
        "policy_fetch",
    }


def test_run_statuses_match_the_verdict_schema() -> None:
    assert _flatten(RunStatus) in _enums_under(_schema(), "status")
    # What execute_runs reports is a subset of what a campaign result may say.
    assert _flatten(RunOutcomeStatus) <= _flatten(RunStatus)
