"""Fail-closed does not depend on the command: a run whose status says the service could not
finish (`failed`, `error`) is a `run_failed` error in `check`, `evaluate` and `test` alike, even
when its decision says pass and its metrics pass."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gate_runner.sandbox import Sandbox, Scenario

from .conftest import TOKEN, checked_verdict, policy, run_cli, write_json, write_yaml

# Every test here runs gate-runner processes (seconds each on a loaded machine): slow.
pytestmark = pytest.mark.slow

METRICS = {"pass_rate": 0.97, "unsafe_attempts": 0, "top_failing_tools": []}
THRESHOLDS = {"min_pass_rate": 0.85, "max_unsafe": 0}


@pytest.fixture(scope="module")
def failing_service() -> Iterator[Sandbox]:
    # The sandbox's run_failed fault: poll answers status failed with decision pass.
    scenario = {
        "campaigns": [
            {
                "name": "core",
                "duration": 0.1,
                "metrics": METRICS,
                "faults": [{"on": "poll", "kind": "run_failed"}],
            }
        ]
    }
    with Sandbox(Scenario.from_dict(scenario), host="127.0.0.1", port=0, token=TOKEN) as box:
        yield box


def saved_payload(status: str) -> dict[str, Any]:
    return {"run_id": "r-1", "status": status, "decision": "pass", **METRICS}


def _policy(tmp_path: Path) -> None:
    write_yaml(tmp_path / "sepurux.yml", policy({"core": {}}, thresholds=THRESHOLDS))


def _run_error(verdict: dict[str, Any]) -> tuple[str, str, str]:
    campaign = verdict["campaigns"][0]
    return campaign["outcome"], campaign["status"], campaign["error"]["kind"]


def test_check_treats_a_failed_run_as_run_failed(failing_service: Sandbox, tmp_path: Path) -> None:
    _policy(tmp_path)
    result = run_cli(["check", "--api-url", failing_service.url], tmp_path)
    assert result.code == 3, result.describe()
    assert _run_error(checked_verdict(result)) == ("error", "error", "run_failed")


@pytest.mark.parametrize("status", ["failed", "error"])
def test_evaluate_treats_a_failed_run_as_run_failed(status: str, tmp_path: Path) -> None:
    _policy(tmp_path)
    write_json(tmp_path / "payload.json", saved_payload(status))
    result = run_cli(["evaluate", "--payload", "payload.json"], tmp_path, token=None)
    assert result.code == 3, result.describe()
    verdict = checked_verdict(result)
    assert _run_error(verdict) == ("error", "error", "run_failed")
    message = verdict["campaigns"][0]["error"]["message"]
    assert message == f"run r-1: the service could not finish the run (status {status})"


def test_policy_test_sees_a_failed_run_as_an_error(tmp_path: Path) -> None:
    _policy(tmp_path)
    write_yaml(
        tmp_path / "cases" / "failed.yml",
        {"payload": saved_payload("failed"), "expect": {"outcome": "error", "exit_code": 3}},
    )
    result = run_cli(["test", "cases"], tmp_path, token=None)
    assert result.code == 0, result.describe()
    assert "1 passed, 0 failed" in result.stdout
