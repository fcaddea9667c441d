"""The headline a user reads first says what blocks: under "BLOCKED:" the campaigns that
block, the others apart (issue 17, Messages)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import clean_env, run_gate

# gate-runner processes, seconds each on a loaded machine.
pytestmark = pytest.mark.slow

POLICY = """version: 1
enforcement: {mode: hard}
thresholds: {min_pass_rate: 0.9}
campaigns:
  checkout: {}
  search: {enforcement: soft}
"""
SCENARIO = """token: sandbox-token
campaigns:
  - name: checkout
    duration: 0
    metrics: {pass_rate: 0.5, unsafe_attempts: 0, failures: 0, reliability_score: 90}
  - name: search
    duration: 0
    metrics: {pass_rate: 0.5, unsafe_attempts: 0, failures: 0, reliability_score: 90}
"""


def test_blocked_lists_only_the_blocking_campaigns_as_blocking(tmp_path: Path) -> None:
    (tmp_path / "sepurux.yml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "scenario.yml").write_text(SCENARIO, encoding="utf-8")
    args = ["check", "--sandbox", "scenario.yml", "--report", "markdown=comment.md"]
    done = run_gate(args, cwd=tmp_path, env=clean_env(token=None))
    assert done.code == 1, done.describe()
    headline = (
        "BLOCKED: 2 campaigns: 2 failed — blocking: checkout (fail, hard); "
        "not blocking: search (fail, soft)"
    )
    assert f"  {headline}\n" in done.stdout
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    assert verdict["summary"] == headline
    assert headline in (tmp_path / "comment.md").read_text(encoding="utf-8")
