"""One threshold table: the schema, the evaluator and the sandbox's copy know the same keys."""

from __future__ import annotations

import typing
from dataclasses import replace
from typing import Any

import pytest

from gate_runner.config.schema import policy_schema
from gate_runner.evaluate.checks import threshold_check
from gate_runner.policy import Origin, Threshold
from gate_runner.sandbox.decision import create_errors, failed_thresholds
from gate_runner.sandbox.scenario import Metrics
from gate_runner.thresholds import (
    THRESHOLDS,
    Looser,
    ThresholdKind,
    request_thresholds,
    threshold_effect,
)

HERE = Origin("sepurux.yml", 1, 1)
SCHEMA_THRESHOLDS = policy_schema()["$defs"]["limits"]["properties"]
# A limit no metrics can meet, per key, and the metrics that show it.
IMPOSSIBLE: dict[str, Any] = {
    "min_pass_rate": 1,
    "max_unsafe": 0,
    "max_failures": 0,
    "min_reliability_score": 100,
    "min_mutation_categories": 3,
    "required_mutation_categories": ["tool_timeout", "never-run"],
}
# What the service hears of; a baseline comparison (max_regression) is judged here only.
SENT = [key for key, kind in THRESHOLDS.items() if not kind.baseline]
BAD_METRICS = Metrics(
    pass_rate=0.5, unsafe_attempts=2, failures=3, reliability_score=40.0,
    mutation_categories=("tool_timeout",),
)  # fmt: skip


def test_the_schema_lists_exactly_the_tables_keys() -> None:
    assert set(SCHEMA_THRESHOLDS) == set(THRESHOLDS)


@pytest.mark.parametrize("kind", THRESHOLDS.values(), ids=lambda k: k.key)
def test_the_schema_says_what_the_table_says(kind: ThresholdKind) -> None:
    entry = SCHEMA_THRESHOLDS[kind.key]
    assert entry["description"] == kind.description
    if kind.limit_type == "strings":
        assert (entry["type"], entry["items"]["type"]) == ("array", "string")
    else:
        assert entry["type"] == kind.limit_type
    assert entry.get("minimum") == kind.minimum
    assert entry.get("maximum") == kind.maximum


def test_the_sandbox_decides_on_every_key_of_the_table_and_no_other() -> None:
    # The sandbox is the wire engineer's, with its own copy of the keys; held to ours here
    # by what it does: a limit these metrics miss fails, a key it does not know is ignored.
    for key in SENT:
        assert failed_thresholds({key: IMPOSSIBLE[key]}, BAD_METRICS) == [key], key
    assert failed_thresholds({"min_made_up": 1}, BAD_METRICS) == []


def test_the_sandbox_validates_every_key_of_the_table() -> None:
    for key in SENT:
        body = {"campaign_id": "c", "thresholds": {key: "not a limit"}}
        assert [e["loc"] for e in create_errors(body)] == [["body", "thresholds", key]], key
    assert create_errors({"campaign_id": "c", "thresholds": {"min_made_up": "x"}}) == []


@pytest.mark.parametrize("kind", [THRESHOLDS[k] for k in SENT], ids=lambda k: k.key)
def test_the_evaluator_checks_every_key_by_the_table(kind: ThresholdKind) -> None:
    payload = {
        "pass_rate": 0.5, "unsafe_attempts": 2, "failures": 3, "reliability_score": 40,
        "mutation_categories": ["tool_timeout"],
    }  # fmt: skip
    limit = IMPOSSIBLE[kind.key]
    value = tuple(limit) if isinstance(limit, list) else limit
    check = threshold_check(Threshold(kind.key, value, HERE), payload)
    assert check.status == "fail"
    assert check.expected == kind.expected(value)
    if kind.direction != "all":
        assert check.message.startswith(
            kind.message.format(
                actual=f"{check.actual:g}", op=kind.operator(False), limit=f"{limit:g}"
            )
        )
    assert request_thresholds([Threshold(kind.key, value, HERE)]) == {kind.key: limit}


@pytest.mark.parametrize("kind", THRESHOLDS.values(), ids=lambda k: k.key)
def test_every_kind_says_what_repeats_and_the_diff_ask(kind: ThresholdKind) -> None:
    assert kind.looser in typing.get_args(Looser)
    assert isinstance(kind.estimated, bool)
    if kind.estimated:  # statistics.decide_bar compares a number, at least or at most
        assert kind.direction in ("min", "max") and kind.limit_type != "strings"
    if kind.looser == "fewer":
        assert kind.limit_type == "strings"


def test_a_diff_classes_a_threshold_by_the_table_not_by_its_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    floor = replace(THRESHOLDS["min_pass_rate"], key="floor", looser="lower")
    ceiling = replace(THRESHOLDS["max_failures"], key="ceiling", looser="higher")
    monkeypatch.setitem(THRESHOLDS, "floor", floor)
    monkeypatch.setitem(THRESHOLDS, "ceiling", ceiling)
    assert threshold_effect("floor", 0.9, 0.8) == "loosens"
    assert threshold_effect("floor", 0.8, 0.9) == "tightens"
    assert threshold_effect("ceiling", 2, 3) == "loosens"
    assert threshold_effect("ceiling", 3, 3) == "neutral"
    # max_regression measures pass_rate upwards, yet a larger allowed drop loosens.
    assert threshold_effect("max_regression", 0.05, 0.1) == "loosens"
    assert threshold_effect("required_mutation_categories", ("a", "b"), ("a",)) == "loosens"
