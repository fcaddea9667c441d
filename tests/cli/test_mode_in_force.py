"""One "mode in force" (enforce.mode_in_force): `explain` says what the verdict will say, for
each way the mode is chosen (schedule, policy, default)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from .conftest import checked_verdict, policy, run_cli, write_json, write_yaml

# Every test here runs gate-runner processes (seconds each on a loaded machine): slow.
pytestmark = pytest.mark.slow

PASSING = {"status": "done", "decision": "pass", "pass_rate": 0.97, "unsafe_attempts": 0}
WAYS: dict[str, dict[str, Any]] = {
    # An entry whose date has come wins over enforcement.mode.
    "schedule": {"mode": "hard", "schedule": [{"from": date(2021, 6, 1), "mode": "soft"}]},
    "policy": {"mode": "observe"},
    "default": {"mode": None},
}


@pytest.mark.parametrize("way", sorted(WAYS))
def test_explain_and_the_verdict_agree_on_the_mode(way: str, tmp_path: Path) -> None:
    write_yaml(tmp_path / "sepurux.yml", policy({"core": {}}, **WAYS[way]))
    write_json(tmp_path / "payload.json", PASSING)
    explained = run_cli(["explain", "--format", "json"], tmp_path, token=None)
    assert explained.code == 0, explained.describe()
    shown = json.loads(explained.stdout)["enforcement"]
    evaluated = run_cli(["evaluate", "--payload", "payload.json"], tmp_path, token=None)
    recorded = checked_verdict(evaluated)["enforcement"]
    assert recorded["source"] == way
    assert (shown["mode"], shown["source"], shown["reason"]) == (
        recorded["mode"],
        recorded["source"],
        recorded["reason"],
    )
    location = recorded.get("location")
    expected_origin = (
        f"{location['path']}:{location['line']}:{location['column']}" if location else None
    )
    assert shown["origin"] == expected_origin
