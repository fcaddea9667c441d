"""Saved files nobody here vouches for (`evaluate --payload`, `--baseline`) are read by the one
verdict reader: valid JSON that crashed the writer (an integer of thousands of digits, a lone
surrogate) never gives exit 4. A lone surrogate is replaced and the gate answers; an integer of
more than 1,000 digits is refused where the file is read, naming it (exit 2; issue 17)."""

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


REFUSED = "an integer of 5,000 digits (more than 1000)"


def _refused(stderr: str) -> str:
    """The one error line; a usage error after the policy loaded also writes its verdict."""
    error, *rest = stderr.splitlines()
    assert [line.split(" to ")[0] for line in rest] == ["gate-runner: verdict written"], stderr
    return error


def test_evaluate_payload_with_a_lone_surrogate_gets_a_verdict(tmp_path: Path) -> None:
    _policy(tmp_path)
    (tmp_path / "payload.json").write_text(PASSING % LONE_SURROGATE, encoding="utf-8")
    result = run_cli(["evaluate", "--payload", "payload.json"], tmp_path, token=None)
    assert result.code == 0, result.describe()
    assert checked_verdict(result)["campaigns"][0]["outcome"] == "pass"


def test_evaluate_payload_with_a_huge_integer_is_refused_naming_the_file(tmp_path: Path) -> None:
    _policy(tmp_path)
    (tmp_path / "payload.json").write_text(PASSING % HUGE_INTEGER, encoding="utf-8")
    result = run_cli(["evaluate", "--payload", "payload.json"], tmp_path, token=None)
    assert result.code == 2, result.describe()
    assert _refused(result.stderr) == f"gate-runner: error: payload.json: {REFUSED}"


@pytest.mark.parametrize("value", sorted(HOSTILE))
def test_baseline_with_hostile_json(value: str, tmp_path: Path) -> None:
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
    if value == "huge-integer":
        assert result.code == 2, result.describe()
        assert _refused(result.stderr) == f"gate-runner: error: --baseline baseline.json: {REFUSED}"
        return
    assert result.code == 0, result.describe()
    data = checked_verdict(result)
    assert data["campaigns"][0]["baseline_run_id"] == "r1"


def test_a_verdict_given_as_payload_with_a_huge_integer_is_refused(tmp_path: Path) -> None:
    _policy(tmp_path)
    saved = '{"schema_version": 1, "campaigns": [{"key": "core", "payload": %s}]}' % (
        PASSING % HUGE_INTEGER
    )
    (tmp_path / "saved.json").write_text(saved, encoding="utf-8")
    result = run_cli(["evaluate", "--payload", "saved.json"], tmp_path, token=None)
    assert result.code == 2, result.describe()
    assert _refused(result.stderr) == f"gate-runner: error: saved.json: {REFUSED}"


def test_unreadable_json_is_a_usage_error_naming_the_file(tmp_path: Path) -> None:
    _policy(tmp_path)
    (tmp_path / "payload.json").write_bytes(b'{"status": "done", \xff}')
    result = run_cli(["evaluate", "--payload", "payload.json"], tmp_path, token=None)
    assert result.code == 2
    assert "payload.json: not UTF-8 text" in result.stderr
