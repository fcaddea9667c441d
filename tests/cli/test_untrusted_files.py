"""Saved files nobody here vouches for (`evaluate --payload`, `--baseline`) are read by the one
verdict reader: valid JSON that crashed the writer (an integer of thousands of digits, a lone
surrogate) now gives the gate's own answer and a verdict, never exit 4."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import checked_verdict, policy, run_cli, write_yaml

# Every test here runs gate-runner processes (seconds each on a loaded machine): slow.
pytestmark = pytest.mark.slow

PASSING = (
    '{"run_id": "r1", "status": "done", "decision": "pass", "pass_rate": 0.97, '
    '"unsafe_attempts": 0, "note": %s}'
)
# 5,000 digits: past Python's 4,300-digit limit on int -> str, which the verdict writer hits.
HUGE_INTEGER = "9" * 5000
LONE_SURROGATE = '"\\ud800"'
HOSTILE = {"huge-integer": HUGE_INTEGER, "lone-surrogate": LONE_SURROGATE}


def _policy(tmp_path: Path) -> None:
    write_yaml(
        tmp_path / "sepurux.yml",
        policy({"core": {}}, thresholds={"min_pass_rate": 0.85, "max_unsafe": 0}),
    )


@pytest.mark.parametrize("value", sorted(HOSTILE))
def test_evaluate_payload_with_hostile_json_gets_a_verdict(value: str, tmp_path: Path) -> None:
    _policy(tmp_path)
    (tmp_path / "payload.json").write_text(PASSING % HOSTILE[value], encoding="utf-8")
    result = run_cli(["evaluate", "--payload", "payload.json"], tmp_path, token=None)
    assert result.code == 0, result.describe()
    assert checked_verdict(result)["campaigns"][0]["outcome"] == "pass"


@pytest.mark.parametrize("value", sorted(HOSTILE))
def test_baseline_with_hostile_json_gets_a_verdict(value: str, tmp_path: Path) -> None:
    _policy(tmp_path)
    (tmp_path / "payload.json").write_text(PASSING % "1", encoding="utf-8")
    baseline = '{"schema_version": 1, "campaigns": [{"key": "core", "payload": %s}]}' % (
        PASSING % HOSTILE[value]
    )
    (tmp_path / "baseline.json").write_text(baseline, encoding="utf-8")
    result = run_cli(
        ["evaluate", "--payload", "payload.json", "--baseline", "baseline.json"],
        tmp_path,
        token=None,
    )
    assert result.code == 0, result.describe()
    data = checked_verdict(result)
    assert data["campaigns"][0]["baseline_run_id"] == "r1"


def test_a_verdict_given_as_payload_with_hostile_json_is_judged_again(tmp_path: Path) -> None:
    _policy(tmp_path)
    saved = '{"schema_version": 1, "campaigns": [{"key": "core", "payload": %s}]}' % (
        PASSING % HUGE_INTEGER
    )
    (tmp_path / "saved.json").write_text(saved, encoding="utf-8")
    result = run_cli(["evaluate", "--payload", "saved.json"], tmp_path, token=None)
    assert result.code == 0, result.describe()


def test_unreadable_json_is_a_usage_error_naming_the_file(tmp_path: Path) -> None:
    _policy(tmp_path)
    (tmp_path / "payload.json").write_bytes(b'{"status": "done", \xff}')
    result = run_cli(["evaluate", "--payload", "payload.json"], tmp_path, token=None)
    assert result.code == 2
    assert "payload.json: not UTF-8 text" in result.stderr
