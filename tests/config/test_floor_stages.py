"""Floors and rules staged one by one (issue 20): a floor's rule may only rise in mode in a
repository; a tighter bar the repository stages lower keeps the floor's bar judging beside it
at the floor's mode, whether the repository extends the floor or `--floor` applies it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import clean_env, run_gate, validate_verdict

pytestmark = pytest.mark.slow

CENTRAL = """version: 1
floor: true
enforcement: {mode: hard}
thresholds: {min_pass_rate: 0.8}
assertions:
  - {name: refunds, expr: "failures == `0`"}
"""
SCENARIO = """token: sandbox-token
campaigns:
  - name: core
    duration: 0
    metrics: {pass_rate: 0.75, unsafe_attempts: 0, failures: 0, reliability_score: 90}
"""


def _write(tmp_path: Path, **files: str) -> None:
    for name, text in {"central.yml": CENTRAL, "scenario.yml": SCENARIO, **files}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")


def test_a_floor_rule_judged_at_a_weaker_mode_is_an_error_at_its_line(tmp_path: Path) -> None:
    _write(
        tmp_path,
        **{
            "repo.yml": """version: 1
extends: [central.yml]
assertions:
  - {name: refunds, expr: "failures == `0`", enforcement: {mode: observe}}
campaigns:
  core: {}
"""
        },
    )
    done = run_gate(["validate", "repo.yml"], cwd=tmp_path, env=clean_env(token=None))
    assert done.code == 2, done.describe()
    assert "repo.yml:4:" in done.stderr
    assert "this rule judged at observe, the floor's at hard" in done.stderr
    assert "(central.yml:6)" in done.stderr


def test_a_tighter_bar_staged_lower_is_valid_and_the_floor_bar_still_judges(
    tmp_path: Path,
) -> None:
    repo = """version: 1
extends: [central.yml]
thresholds:
  min_pass_rate: {value: 0.9, enforcement: {mode: observe}}
campaigns:
  core: {}
"""
    _write(tmp_path, **{"repo.yml": repo})
    done = run_gate(["validate", "repo.yml"], cwd=tmp_path, env=clean_env(token=None))
    assert done.code == 0, done.describe()
    done = run_gate(
        ["check", "--config", "repo.yml", "--sandbox", "scenario.yml"],
        cwd=tmp_path, env=clean_env(token=None),
    )  # fmt: skip
    assert done.code == 1, done.describe()  # 0.75 is below the floor's 0.8, judged at hard
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    validate_verdict(verdict)
    check = next(c for c in verdict["campaigns"][0]["checks"] if c["name"] == "min_pass_rate")
    assert (check["expected"], check["mode"]) == (">= 0.8", "hard")


def test_check_floor_keeps_the_floor_bar_beside_a_tighter_staged_one(tmp_path: Path) -> None:
    # The repository does not extend the floor: --floor applies it.
    repo = """version: 1
thresholds:
  min_pass_rate: {value: 0.9, enforcement: {mode: observe}}
assertions:
  - {name: refunds, expr: "failures == `0`"}
campaigns:
  core: {}
"""
    _write(tmp_path, **{"repo.yml": repo})
    done = run_gate(
        ["check", "--config", "repo.yml", "--floor", "central.yml", "--sandbox", "scenario.yml"],
        cwd=tmp_path, env=clean_env(token=None),
    )  # fmt: skip
    assert done.code == 1, done.describe()
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    validate_verdict(verdict)
    checks = {c["id"]: c for c in verdict["campaigns"][0]["checks"]}
    bar = checks["threshold:min_pass_rate"]
    assert (bar["expected"], bar["mode"]) == (">= 0.8", "hard")
    assert [(b["expected"], b["mode"]) for b in bar["bars"]] == [
        (">= 0.9", "observe"),
        (">= 0.8", "hard"),
    ]
    floor = checks["policy:floor"]
    assert "this rule judged at observe, the floor's at hard" in floor["message"]
