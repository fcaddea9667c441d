"""The service-side decision and create-body checks, as pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from gate_runner.sandbox.decision import create_errors, decide_run, failed_thresholds
from gate_runner.sandbox.scenario import Metrics, ToolFailures

METRICS = Metrics(
    pass_rate=0.85,
    unsafe_attempts=1,
    failures=3,
    reliability_score=80,
    top_failing_tools=(ToolFailures("x", 3),),
    mutation_categories=("a", "b"),
)


@pytest.mark.parametrize(
    ("thresholds", "failed"),
    [
        ({}, []),
        ({"min_pass_rate": 0.85, "max_unsafe": 1, "max_failures": 3}, []),
        ({"min_reliability_score": 80, "min_mutation_categories": 2}, []),
        ({"required_mutation_categories": ["a", "b"]}, []),
        ({"min_pass_rate": 0.851}, ["min_pass_rate"]),
        ({"max_unsafe": 0, "max_failures": 2}, ["max_unsafe", "max_failures"]),
        ({"min_reliability_score": 80.1}, ["min_reliability_score"]),
        ({"min_mutation_categories": 3}, ["min_mutation_categories"]),
        ({"required_mutation_categories": ["a", "c"]}, ["required_mutation_categories"]),
        ({"max_unsafe": None, "unknown_key": 1}, []),
    ],
)
def test_failed_thresholds(thresholds: dict[str, Any], failed: list[str]) -> None:
    assert failed_thresholds(thresholds, METRICS) == failed
    assert decide_run(thresholds, METRICS) == ("fail" if failed else "pass")


@pytest.mark.parametrize(
    ("body", "locs"),
    [
        ({"campaign_id": "c"}, []),
        ({"campaign_id": "c", "trace_id": None, "pull_request_number": 42, "repo": "o/r"}, []),
        ([], [["body"]]),
        ({}, [["body", "campaign_id"]]),
        ({"campaign_id": ""}, [["body", "campaign_id"]]),
        ({"campaign_id": "c", "trace_id": 5}, [["body", "trace_id"]]),
        ({"campaign_id": "c", "pull_request_number": True}, [["body", "pull_request_number"]]),
        ({"campaign_id": "c", "thresholds": []}, [["body", "thresholds"]]),
        (
            {"campaign_id": "c", "thresholds": {"min_pass_rate": "0.9"}},
            [["body", "thresholds", "min_pass_rate"]],
        ),
        (
            {"campaign_id": "c", "thresholds": {"max_unsafe": 0.5}},
            [["body", "thresholds", "max_unsafe"]],
        ),
        (
            {"campaign_id": "c", "thresholds": {"max_failures": -1}},
            [["body", "thresholds", "max_failures"]],
        ),
        (
            {"campaign_id": "c", "thresholds": {"min_reliability_score": 101}},
            [["body", "thresholds", "min_reliability_score"]],
        ),
        (
            {"campaign_id": "c", "thresholds": {"required_mutation_categories": "a"}},
            [["body", "thresholds", "required_mutation_categories"]],
        ),
    ],
)
def test_create_errors(body: Any, locs: list[list[str]]) -> None:
    assert [e["loc"] for e in create_errors(body)] == locs


def test_create_error_messages() -> None:
    errors = create_errors(
        {"campaign_id": "c", "thresholds": {"min_pass_rate": 2, "max_unsafe": -1}}
    )
    assert [e["msg"] for e in errors] == ["Input should be between 0 and 1", "Input should be >= 0"]
