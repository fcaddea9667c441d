"""Table tests of the pure evaluation: decision, thresholds, assertions, waivers, outcome."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gate_runner.evaluate import evaluate_campaign, outcome_of
from gate_runner.policy import Assertion, Campaign, Origin, Threshold, Waiver
from gate_runner.verdict import Check

HERE = Origin("sepurux.yml", 3, 5)
TODAY = date(2026, 12, 1)
PASSING = {
    "decision": "pass",
    "pass_rate": 0.92,
    "unsafe_attempts": 0,
    "failures": 0,
    "reliability_score": 88,
    "mutation_categories": ["tool_timeout", "prompt_injection", "schema_drift"],
    "top_failing_tools": [],
}


def campaign(
    thresholds: dict[str, Any] | None = None, assertions: list[Assertion] | None = None
) -> Campaign:
    return Campaign(
        key="core",
        name_or_id="core",
        trace_id=None,
        trace_file=None,
        mutation_pack_id=None,
        thresholds=tuple(
            Threshold(k, v, Origin("sepurux.yml", 10 + i, 3))
            for i, (k, v) in enumerate((thresholds or {}).items())
        ),
        assertions=tuple(assertions or ()),
        enforcement=None,
        origin=HERE,
    )


def check(checks: tuple[Check, ...], check_id: str) -> Check:
    return next(c for c in checks if c.id == check_id)


@pytest.mark.parametrize(
    ("key", "limit", "changes", "status", "message"),
    [
        ("min_pass_rate", 0.85, {}, "pass", "pass_rate 0.92 >= 0.85"),
        ("min_pass_rate", 0.95, {}, "fail", "pass_rate 0.92 < 0.95"),
        ("min_pass_rate", 0.92, {}, "pass", "pass_rate 0.92 >= 0.92"),
        (
            "min_pass_rate",
            0.85,
            {"pass_rate": None},
            "error",
            "the payload has no `pass_rate`, which min_pass_rate needs",
        ),
        (
            "min_pass_rate",
            0.85,
            {"pass_rate": "0.9"},
            "error",
            "`pass_rate` is a string ('0.9'), expected a number for min_pass_rate",
        ),
        (
            "min_pass_rate",
            0.85,
            {"pass_rate": 72},
            "error",
            "`pass_rate` is 72, outside the 0–1 range a pass rate has",
        ),
        (
            "min_pass_rate",
            0.85,
            {"pass_rate": True},
            "error",
            "`pass_rate` is a boolean (True), expected a number for min_pass_rate",
        ),
        (
            "min_pass_rate",
            0.85,
            {"pass_rate": float("nan")},
            "error",
            "`pass_rate` is nan, expected a finite number for min_pass_rate",
        ),
        ("max_unsafe", 0, {"unsafe_attempts": 1}, "fail", "unsafe_attempts 1 > 0"),
        ("max_unsafe", 1, {"unsafe_attempts": 1}, "pass", "unsafe_attempts 1 <= 1"),
        ("max_failures", 2, {"failures": 5}, "fail", "failures 5 > 2"),
        (
            "max_failures",
            2,
            {"failures": -1},
            "error",
            "`failures` is -1, a count cannot be negative",
        ),
        ("min_reliability_score", 80, {}, "pass", "reliability_score 88 >= 80"),
        (
            "min_reliability_score",
            80,
            {"reliability_score": 0.64},
            "fail",
            "reliability_score 64 < 80 (reliability_score 0.64 read on the 0–1 scale as 64)",
        ),
        (
            "min_reliability_score",
            80,
            {"reliability_score": None, "reliability": {"reliability_score": 0.87}},
            "pass",
            "reliability_score 87 >= 80 (reliability_score 0.87 read on the 0–1 scale as 87)",
        ),
        (
            "min_reliability_score",
            80,
            {"reliability_score": 140},
            "error",
            "`reliability_score` is 140, outside both the 0–1 and 0–100 scales",
        ),
        (
            "min_reliability_score",
            80,
            {"reliability_score": None},
            "error",
            "the payload has no `reliability_score`, which min_reliability_score needs",
        ),
        ("min_mutation_categories", 3, {}, "pass", "3 mutation categories >= 3"),
        ("min_mutation_categories", 4, {}, "fail", "3 mutation categories < 4"),
        (
            "required_mutation_categories",
            ("prompt_injection",),
            {},
            "pass",
            "every required mutation category ran",
        ),
        (
            "required_mutation_categories",
            ("prompt_injection", "rate_limit"),
            {},
            "fail",
            "missing mutation categories: rate_limit",
        ),
        (
            "required_mutation_categories",
            ("x",),
            {"mutation_categories": "x"},
            "error",
            "`mutation_categories` is a string, expected a list of strings for "
            "required_mutation_categories",
        ),
    ],
)
def test_thresholds(
    key: str, limit: Any, changes: dict[str, Any], status: str, message: str
) -> None:
    payload = {**PASSING, **changes}
    result = evaluate_campaign(campaign({key: limit}), payload, today=TODAY)
    found = check(result.checks, f"threshold:{key}")
    assert (found.status, found.message) == (status, message)
    assert found.location is not None and found.location.line == 10


def test_threshold_records_expected_and_actual() -> None:
    result = evaluate_campaign(campaign({"min_pass_rate": 0.95}), PASSING, today=TODAY)
    found = check(result.checks, "threshold:min_pass_rate")
    assert (found.expected, found.actual) == (">= 0.95", 0.92)
    assert result.outcome == "fail"


@pytest.mark.parametrize(
    ("decision", "status", "message"),
    [
        ("pass", "pass", "Sepurux decision: pass"),
        ("fail", "fail", "Sepurux decision: fail"),
        ("pending", "error", "`decision` is 'pending', not pass or fail"),
        (None, "error", "the payload has no `decision`"),
        (3, "error", "`decision` is 3, not pass or fail"),
    ],
)
def test_decision(decision: Any, status: str, message: str) -> None:
    result = evaluate_campaign(campaign(), {**PASSING, "decision": decision}, today=TODAY)
    found = check(result.checks, "decision")
    assert (found.status, found.message) == (status, message)
    assert found.location == result.checks[0].location


def assertion(expr: str, level: str = "error", message: str | None = None) -> Assertion:
    return Assertion("a1", expr, level, message, Origin("sepurux.yml", 20, 7))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expr", "status", "message"),
    [
        ("pass_rate > `0.9`", "pass", "`pass_rate > `0.9`` holds"),
        ("pass_rate > `0.95`", "fail", "`pass_rate > `0.95`` is false"),
        (
            "length(top_failing_tools)",
            "error",
            "`length(top_failing_tools)` returned a number 0, not a boolean",
        ),
        ("top_failing_tools", "error", "`top_failing_tools` returned an array [], not a boolean"),
        ("missing_field", "error", "`missing_field` returned null null, not a boolean"),
        ("decision", "error", '`decision` returned a string "pass", not a boolean'),
        ("@", "error", "returned an object"),
        ("length(pass_rate)", "error", "could not be evaluated"),
        ("pass_rate >= baseline.pass_rate - `0.02`", "pass", "holds"),
        ("pass_rate + `0.1` > `1`", "pass", "holds"),
    ],
)
def test_assertions(expr: str, status: str, message: str) -> None:
    result = evaluate_campaign(
        campaign(assertions=[assertion(expr)]), PASSING, today=TODAY, baseline={"pass_rate": 0.93}
    )
    found = check(result.checks, "assertion:a1")
    assert found.status == status
    assert message in found.message


def test_assertion_without_baseline_is_an_error_not_a_pass() -> None:
    result = evaluate_campaign(
        campaign(assertions=[assertion("pass_rate >= baseline.pass_rate - `0.02`")]),
        PASSING,
        today=TODAY,
    )
    assert check(result.checks, "assertion:a1").status == "error"
    assert result.outcome == "error"


def test_regression_against_baseline_fails() -> None:
    result = evaluate_campaign(
        campaign(
            assertions=[assertion("pass_rate >= baseline.pass_rate - `0.02`", message="regressed")]
        ),
        PASSING,
        today=TODAY,
        baseline={"pass_rate": 0.99},
    )
    assert check(result.checks, "assertion:a1").message == "regressed"
    assert result.outcome == "fail"


def test_warn_level_assertion_gives_warn_outcome() -> None:
    result = evaluate_campaign(
        campaign(assertions=[assertion("failures > `3`", level="warn")]), PASSING, today=TODAY
    )
    assert check(result.checks, "assertion:a1").status == "warn"
    assert result.outcome == "warn"


def waiver(until: date, name: str = "max_unsafe") -> Waiver:
    return Waiver("core", name, until, "AGENT-123", Origin("sepurux.yml", 40, 5))


def test_live_waiver_turns_failure_into_waived() -> None:
    payload = {**PASSING, "unsafe_attempts": 2}
    result = evaluate_campaign(
        campaign({"max_unsafe": 0}), payload, waivers=(waiver(date(2026, 12, 31)),), today=TODAY
    )
    found = check(result.checks, "threshold:max_unsafe")
    assert found.status == "waived"
    assert found.waiver is not None and not found.waiver.expired
    assert "waived until 2026-12-31: AGENT-123" in found.message
    assert result.outcome == "pass"


def test_waiver_is_valid_through_its_last_day() -> None:
    payload = {**PASSING, "unsafe_attempts": 2}
    result = evaluate_campaign(
        campaign({"max_unsafe": 0}), payload, waivers=(waiver(TODAY),), today=TODAY
    )
    assert check(result.checks, "threshold:max_unsafe").status == "waived"


def test_expired_waiver_no_longer_applies() -> None:
    payload = {**PASSING, "unsafe_attempts": 2}
    result = evaluate_campaign(
        campaign({"max_unsafe": 0}), payload, waivers=(waiver(date(2026, 11, 30)),), today=TODAY
    )
    found = check(result.checks, "threshold:max_unsafe")
    assert found.status == "fail"
    assert found.waiver is not None and found.waiver.expired
    assert result.outcome == "fail"


def test_waiver_does_not_hide_an_error() -> None:
    payload = {**PASSING, "unsafe_attempts": None}
    result = evaluate_campaign(
        campaign({"max_unsafe": 0}), payload, waivers=(waiver(date(2026, 12, 31)),), today=TODAY
    )
    assert check(result.checks, "threshold:max_unsafe").status == "error"
    assert result.outcome == "error"


def test_waiver_for_another_campaign_is_ignored() -> None:
    other = Waiver("other", "max_unsafe", date(2026, 12, 31), "x", HERE)
    result = evaluate_campaign(
        campaign({"max_unsafe": 0}),
        {**PASSING, "unsafe_attempts": 1},
        waivers=(other,),
        today=TODAY,
    )
    assert result.outcome == "fail"


def _check(status: str, level: str = "error") -> Check:
    return Check(id="x", kind="threshold", name="x", status=status, level=level, message="")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("statuses", "outcome"),
    [
        ([("pass", "error")], "pass"),
        ([("pass", "error"), ("waived", "error")], "pass"),
        ([("fail", "error"), ("error", "error")], "fail"),
        ([("error", "error"), ("warn", "warn")], "error"),
        ([("pass", "error"), ("warn", "warn")], "warn"),
        ([("pass", "error"), ("error", "warn")], "warn"),
        ([], "pass"),
    ],
)
def test_outcome_rules(statuses: list[tuple[str, str]], outcome: str) -> None:
    assert outcome_of([_check(s, level) for s, level in statuses]) == outcome


def test_service_fail_explained_only_by_waived_thresholds_is_waived() -> None:
    payload = {**PASSING, "decision": "fail", "unsafe_attempts": 2}
    result = evaluate_campaign(
        campaign({"max_unsafe": 0, "min_pass_rate": 0.85}),
        payload,
        waivers=(waiver(date(2026, 12, 31)),),
        today=TODAY,
    )
    decision = check(result.checks, "decision")
    assert decision.status == "waived"
    assert (
        decision.message == "Sepurux decision: fail, explained only by waived threshold max_unsafe"
    )
    assert result.outcome == "pass"


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"unsafe_attempts": 0}, "no threshold explains the service's fail"),
        ({"unsafe_attempts": 2, "pass_rate": 0.5}, "another threshold fails too"),
        ({"unsafe_attempts": 2, "pass_rate": None}, "another threshold errored"),
    ],
)
def test_service_fail_stays_a_failure_unless_waivers_explain_it(
    changes: dict[str, Any], why: str
) -> None:
    payload = {**PASSING, "decision": "fail", **changes}
    result = evaluate_campaign(
        campaign({"max_unsafe": 0, "min_pass_rate": 0.85}),
        payload,
        waivers=(waiver(date(2026, 12, 31)),),
        today=TODAY,
    )
    assert check(result.checks, "decision").status == "fail", why
    assert result.outcome == "fail"


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("!" * 50_000 + "a", "characters long; the limit is 10,000"),
        ("!" * 5_000 + "a", "the expression nests deeper than 100 levels"),
    ],
)
def test_a_pathological_assertion_is_an_error_check_not_a_crash(expr: str, reason: str) -> None:
    # The same limits as validation: a policy built without the loader still cannot crash.
    hostile = Assertion("deep", expr, "error", None, HERE)
    result = evaluate_campaign(campaign(assertions=[hostile]), PASSING, today=TODAY)
    deep = check(result.checks, "assertion:deep")
    assert deep.status == "error"
    assert reason in deep.message
    assert result.outcome == "error"
