"""validate and explain show each rule staged apart (issue 20): its mode on the day, its
schedule, the looser bar still judging; and warn where a rule's own mode has no effect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import clean_env, run_gate

pytestmark = pytest.mark.slow

V1 = """version: 1
enforcement: {mode: hard}
thresholds: {min_pass_rate: 0.8}
campaigns:
  core: {}
"""
V2 = """version: 1
extends: [v1.yml]
thresholds:
  min_pass_rate:
    value: 0.9
    enforcement:
      schedule: [{from: 2026-12-01, mode: observe}, {from: 2026-12-20, mode: hard}]
assertions:
  - name: new-rule
    expr: "failures == `0`"
    enforcement: {mode: soft, schedule: [{from: 2026-12-01, mode: observe}]}
  - {name: same, expr: "unsafe_attempts == `0`", enforcement: {mode: hard}}
"""


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "v1.yml").write_text(V1, encoding="utf-8")
    (tmp_path / "v2.yml").write_text(V2, encoding="utf-8")
    return tmp_path


def test_validate_notes_each_stage_and_warns_where_a_rule_mode_has_no_effect(work: Path) -> None:
    done = run_gate(["validate", "v2.yml"], cwd=work, env=clean_env(token=None))
    assert done.code == 0, done.describe()
    lines = done.stderr.splitlines()
    assert any(
        line.startswith("v2.yml:7:7: note: thresholds.min_pass_rate is staged: ")
        and line.endswith("; schedule 2026-12-01 observe, 2026-12-20 hard")
        for line in lines
    ), done.stderr
    # A mode under a schedule already in force, and a mode equal to the one above it.
    assert any(
        line.startswith("v2.yml:11:25: warning: assertions[0].enforcement.mode: soft has no effect")
        for line in lines
    ), done.stderr
    assert any(
        line.startswith("v2.yml:12:70: warning: assertions[1].enforcement.mode: hard has no effect")
        for line in lines
    ), done.stderr


def test_explain_shows_the_stage_and_the_bar_still_judging(work: Path) -> None:
    done = run_gate(
        ["explain", "--config", "v2.yml", "--format", "json", "--as-of", "2026-12-05"],
        cwd=work, env=clean_env(token=None),
    )  # fmt: skip
    assert done.code == 0, done.describe()
    campaign = json.loads(done.stdout)["campaigns"][0]
    bar = campaign["thresholds"][0]
    assert bar["stage"] == {
        "mode": "observe",
        "origin": "v2.yml:7:18",
        "schedule": [
            {"from": "2026-12-01", "mode": "observe"},
            {"from": "2026-12-20", "mode": "hard"},
        ],
    }
    assert bar["previous"] == [{"value": 0.8, "origin": "v1.yml:3:29"}]
    rules = {a["name"]: a for a in campaign["assertions"]}
    assert rules["new-rule"]["stage"]["mode"] == "observe"
    done = run_gate(
        ["explain", "--config", "v2.yml", "--as-of", "2026-12-25"],
        cwd=work, env=clean_env(token=None),
    )  # fmt: skip
    assert "staged: hard today (v2.yml:7:53)" in done.stdout, done.stdout
    assert "tightens 0.8 (v1.yml:3:29), which judges at its own mode while" in done.stdout


def test_a_rule_schedule_must_ascend(tmp_path: Path) -> None:
    (tmp_path / "sepurux.yml").write_text(
        """version: 1
assertions:
  - name: a
    expr: "failures == `0`"
    enforcement:
      schedule: [{from: 2026-12-10, mode: soft}, {from: 2026-12-01, mode: hard}]
""",
        encoding="utf-8",
    )
    done = run_gate(["validate", "sepurux.yml"], cwd=tmp_path, env=clean_env(token=None))
    assert done.code == 2, done.describe()
    assert (
        "sepurux.yml:6:57: assertions[0].enforcement.schedule[1].from: 2026-12-01 is not after "
        "the entry before it (2026-12-10); schedule dates must ascend"
    ) in done.stderr
