"""`gate-runner evaluate` (saved payloads, no API) and `gate-runner test` (policy test cases)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import REPO

from .conftest import (
    TOOLS_WARN,
    Result,
    checked_verdict,
    failing_check_ids,
    policy,
    run_cli,
    write_json,
    write_yaml,
)

# Every test here runs gate-runner processes (seconds each on a loaded machine): slow.
pytestmark = pytest.mark.slow

THRESHOLDS = {"min_pass_rate": 0.85, "max_unsafe": 0, "min_reliability_score": 80}


def payload(**changes: Any) -> dict[str, Any]:
    """A decision payload as the API returns it (reliability from the endpoint, on 0–1)."""
    data: dict[str, Any] = {
        "run_id": "7d1e6c1c-0b7a-4e55-9d3c-3f1f1f0a0001",
        "campaign_id": "0b8f3c1e-1111-4c4c-8888-000000000001",
        "status": "done",
        "decision": "pass",
        "dashboard_url": "https://app.sepurux.dev/runs/7d1e6c1c",
        "pass_rate": 0.93,
        "unsafe_attempts": 0,
        "failures": 0,
        "top_failing_tools": [],
        "mutation_categories": ["tool_timeout", "schema_drift"],
        "reliability": {"reliability_score": 0.91},
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


FAILING = payload(decision="fail", pass_rate=0.7, unsafe_attempts=2)


def write_policy(tmp_path: Path, **kwargs: Any) -> Path:
    campaigns = kwargs.pop("campaigns", {"core": {}})
    kwargs.setdefault("thresholds", THRESHOLDS)
    kwargs.setdefault("assertions", [TOOLS_WARN])
    return write_yaml(tmp_path / "sepurux.yml", policy(campaigns, **kwargs))


def evaluate(tmp_path: Path, data: Any, *args: str) -> Result:
    write_json(tmp_path / "payload.json", data)
    return run_cli(["evaluate", "--payload", "payload.json", *args], tmp_path, token=None)


# --- evaluate -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "extra", "data", "code", "outcome"),
    [
        ("hard", (), payload(), 0, "pass"),
        ("hard", (), FAILING, 1, "fail"),
        ("soft", (), FAILING, 0, "fail"),
        ("soft", ("--soft-exit-code", "42"), FAILING, 42, "fail"),
        ("observe", (), FAILING, 0, "fail"),
        ("hard", (), payload(top_failing_tools=[{"tool": "a", "count": 1}]), 0, "warn"),
        ("observe", ("--enforcement", "hard"), FAILING, 1, "fail"),
        ("hard", ("--enforcement", "observe"), FAILING, 0, "fail"),
    ],
    ids=[
        "pass",
        "hard-fail",
        "soft-fail",
        "soft-fail-42",
        "observe-fail",
        "warn",
        "cli-hard",
        "cli-observe",
    ],
)
def test_evaluate_exit_codes_match_check(
    tmp_path: Path, mode: str, extra: tuple[str, ...], data: dict[str, Any], code: int, outcome: str
) -> None:
    write_policy(tmp_path, mode=mode)
    result = evaluate(tmp_path, data, *extra)
    assert result.code == code, result.describe()
    verdict = checked_verdict(result)
    assert (verdict["outcome"], verdict["exit_code"]) == (outcome, code)
    assert verdict["blocking"] is (code == 1)
    expected_source = "cli" if "--enforcement" in extra else "policy"
    assert verdict["enforcement"]["source"] == expected_source
    campaign = verdict["campaigns"][0]
    assert campaign["key"] == "core"
    assert campaign["run_id"] == "7d1e6c1c-0b7a-4e55-9d3c-3f1f1f0a0001"
    assert campaign["payload"] == data
    if outcome == "fail":
        assert failing_check_ids(campaign) == [
            "decision",
            "threshold:max_unsafe",
            "threshold:min_pass_rate",
        ]
        assert "expected: <= 0; actual: 2" in result.stdout
        assert "expected: >= 0.85; actual: 0.7" in result.stdout


def test_reliability_on_the_0_1_scale_is_read_as_a_percentage(tmp_path: Path) -> None:
    write_policy(tmp_path)
    result = evaluate(tmp_path, payload())
    assert result.code == 0, result.describe()
    campaign = checked_verdict(result)["campaigns"][0]
    score = next(c for c in campaign["checks"] if c["id"] == "threshold:min_reliability_score")
    assert score["status"] == "pass"
    assert score["actual"] == pytest.approx(91)
    assert "0–1 scale" in score["message"]


def test_payload_missing_pass_rate_is_an_error_naming_the_field(tmp_path: Path) -> None:
    write_policy(tmp_path)
    result = evaluate(tmp_path, payload(pass_rate=None))
    assert result.code == 3, result.describe()
    verdict = checked_verdict(result)
    assert (verdict["outcome"], verdict["blocking"]) == ("error", True)
    campaign = verdict["campaigns"][0]
    assert failing_check_ids(campaign) == ["threshold:min_pass_rate"]
    broken = next(c for c in campaign["checks"] if c["id"] == "threshold:min_pass_rate")
    assert broken["status"] == "error"
    assert "`pass_rate`" in broken["message"]
    assert campaign["error"]["kind"] == "payload"
    assert "pass_rate" in campaign["error"]["message"]
    assert "the payload has no `pass_rate`, which min_pass_rate needs" in result.stdout


def test_non_boolean_assertion_is_an_error_showing_value_and_type(tmp_path: Path) -> None:
    odd = {"name": "rate-as-bool", "expr": "pass_rate", "message": "meant to be a comparison"}
    write_policy(tmp_path, assertions=[odd])
    result = evaluate(tmp_path, payload())
    assert result.code == 3, result.describe()
    campaign = checked_verdict(result)["campaigns"][0]
    check = next(c for c in campaign["checks"] if c["id"] == "assertion:rate-as-bool")
    assert check["status"] == "error"
    assert check["actual"] == 0.93
    assert "a number" in check["message"]
    assert "0.93" in check["message"]
    assert "not a boolean" in check["message"]
    assert "ERROR assertion:rate-as-bool" in result.stdout


def test_evaluate_rejudges_a_saved_verdict(tmp_path: Path) -> None:
    """A verdict that passed under a lax policy fails once the policy is tightened."""
    write_policy(tmp_path, campaigns={"core": {}, "extra": {}})
    first = evaluate(tmp_path, payload(), "--campaign", "core")
    assert first.code == 0, first.describe()
    checked_verdict(first)
    saved = tmp_path / "saved-verdict.json"
    saved.write_text(first.verdict_path.read_text(encoding="utf-8"), encoding="utf-8")

    write_policy(
        tmp_path,
        campaigns={"core": {}, "extra": {}},
        thresholds={**THRESHOLDS, "min_pass_rate": 0.95},
    )
    again = run_cli(["evaluate", "--payload", str(saved)], tmp_path, token=None)
    assert again.code == 1, again.describe()
    verdict = checked_verdict(again)
    assert [c["key"] for c in verdict["campaigns"]] == ["core"]
    assert failing_check_ids(verdict["campaigns"][0]) == ["threshold:min_pass_rate"]
    assert "expected: >= 0.95; actual: 0.93" in again.stdout

    missing = run_cli(
        ["evaluate", "--payload", str(saved), "--campaign", "extra"], tmp_path, token=None
    )
    assert missing.code == 2, missing.describe()
    assert "holds no payload for extra" in missing.stderr


def test_evaluate_needs_campaign_when_the_policy_has_several(tmp_path: Path) -> None:
    write_policy(tmp_path, campaigns={"core": {}, "extra": {}})
    result = evaluate(tmp_path, payload())
    assert result.code == 2, result.describe()
    assert "--campaign" in result.stderr
    assert "core, extra" in result.stderr


def test_evaluate_payload_that_is_not_json_is_a_usage_error(tmp_path: Path) -> None:
    write_policy(tmp_path)
    (tmp_path / "payload.json").write_text("{not json", encoding="utf-8")
    result = run_cli(["evaluate", "--payload", "payload.json"], tmp_path, token=None)
    assert result.code == 2, result.describe()
    assert "not valid JSON" in result.stderr


def test_evaluate_writes_reports(tmp_path: Path) -> None:
    write_policy(tmp_path)
    result = evaluate(
        tmp_path, FAILING, "--report", "markdown=summary.md", "--report", "json=r.json"
    )
    assert result.code == 1, result.describe()
    checked_verdict(result)
    markdown = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "min\\_pass\\_rate" in markdown  # Markdown escapes the underscores
    assert "blocks the merge" in markdown
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["outcome"] == "fail"


# --- gate-runner test -----------------------------------------------------------------------


def _case(folder: Path, name: str, data: dict[str, Any], **expect: Any) -> None:
    write_yaml(
        folder / f"{name}.yml",
        {
            "description": name,
            "policy": "../sepurux.yml",
            "campaign": "core",
            "payload": data,
            "today": "2026-06-01",
            "expect": expect,
        },
    )


def test_policy_tests_all_passing(tmp_path: Path) -> None:
    write_policy(tmp_path)
    cases = tmp_path / "cases"
    _case(cases, "green", payload(), outcome="pass", failing_checks=[], exit_code=0, blocking=False)
    _case(
        cases,
        "red",
        FAILING,
        outcome="fail",
        failing_checks=["decision", "threshold:min_pass_rate", "threshold:max_unsafe"],
        exit_code=1,
        blocking=True,
    )
    result = run_cli(["test", "cases"], tmp_path, token=None, verdict=None)
    assert result.code == 0, result.describe()
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "2 passed, 0 failed"
    assert sum(line.startswith("PASS ") for line in lines) == 2


def test_policy_tests_with_a_wrong_expectation(tmp_path: Path) -> None:
    write_policy(tmp_path)
    cases = tmp_path / "cases"
    _case(cases, "green", payload(), outcome="pass")
    _case(cases, "wrong", FAILING, outcome="pass", failing_checks=[])
    result = run_cli(["test", "cases"], tmp_path, token=None, verdict=None)
    assert result.code == 1, result.describe()
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "1 passed, 1 failed"
    failed = [line for line in lines if line.startswith("FAIL ")]
    assert len(failed) == 1
    assert "wrong.yml" in failed[0]
    assert "expected outcome pass, got fail" in failed[0]


def test_policy_tests_empty_folder_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "cases").mkdir()
    result = run_cli(["test", "cases"], tmp_path, token=None, verdict=None)
    assert result.code == 2, result.describe()
    assert "no test cases" in result.stderr


def test_shipped_cases_for_the_example_policy(tmp_path: Path) -> None:
    result = run_cli(["test", str(REPO / "examples" / "policy-tests")], tmp_path, verdict=None)
    assert result.code == 0, result.describe()
    assert result.stdout.strip().splitlines()[-1] == "11 passed, 0 failed"


def test_shipped_cases_for_the_central_policies(tmp_path: Path) -> None:
    result = run_cli(["test", str(REPO / "policies" / "tests")], tmp_path, verdict=None)
    assert result.code == 0, result.describe()
    assert result.stdout.strip().splitlines()[-1] == "11 passed, 0 failed"
    # every central policy ships with its own cases
    stems = {p.stem for p in (REPO / "policies").glob("*.yml")}
    assert stems <= {p.name for p in (REPO / "policies" / "tests").iterdir() if p.is_dir()}


def test_policy_test_with_payload_file_next_to_the_case(tmp_path: Path) -> None:
    write_policy(tmp_path)
    cases = tmp_path / "cases"
    write_json(cases / "saved-payload.json", payload())
    write_yaml(
        cases / "green.yml",
        {
            "policy": "../sepurux.yml",
            "payload_file": "saved-payload.json",
            "expect": {"outcome": "pass"},
        },
    )
    result = run_cli(["test", "cases"], tmp_path, token=None, verdict=None)
    assert result.code == 0, result.describe()
    assert result.stdout.strip().splitlines()[-1] == "1 passed, 0 failed"


def test_policy_test_lines_pass_the_channel(tmp_path: Path) -> None:
    """A case's name is repository text: its PASS line cannot start a CI logging command."""
    write_policy(tmp_path)
    _case(tmp_path / "cases", "##[error]green", payload(), outcome="pass")
    result = run_cli(["test", "cases"], tmp_path, token=None, verdict=None)
    assert result.code == 0, result.describe()
    assert "##[" not in result.stdout
    assert "PASS cases/#\u200b#[error]green.yml\n" in result.stdout
