"""repeats.judge_runs called directly: one more run while undecided, and the table's kinds."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from gate_runner.ci import detect
from gate_runner.config import load_policy
from gate_runner.policy import Policy
from gate_runner.repeats import judge_runs
from gate_runner.runner import GateOptions, evaluate_payloads
from gate_runner.statistics import RunPlan
from gate_runner.thresholds import THRESHOLDS
from gate_runner.verdict import CampaignResult

TODAY = date(2026, 3, 1)
POLICY = """\
version: 1
statistics: {confidence: 0.9}
thresholds: {min_pass_rate: 0.8, max_unsafe: 1}
campaigns:
  core: {repeat: 2, max_runs: 4}
"""


@pytest.fixture
def policy(tmp_path: Path) -> Policy:
    path = tmp_path / "sepurux.yml"
    path.write_text(POLICY, encoding="utf-8")
    return load_policy(path, env={})


def _payload(pass_rate: float) -> dict[str, Any]:
    return {"run_id": "r", "status": "done", "decision": "pass", "pass_rate": pass_rate,
            "unsafe_attempts": 0}  # fmt: skip


def _runs(policy: Policy, *rates: float) -> list[CampaignResult]:
    """Each run judged alone (as the runner does before judging them together)."""
    campaign = policy.campaigns[0]
    alone = replace(policy, campaigns=(replace(campaign, runs=RunPlan()),))
    return [
        evaluate_payloads(
            alone, {"core": _payload(rate)}, GateOptions(), ci=detect({}), today=TODAY
        ).campaigns[0]
        for rate in rates
    ]


def test_undecided_asks_for_one_more_run_until_no_more_can_start(policy: Policy) -> None:
    campaign = policy.campaigns[0]
    runs = _runs(policy, 0.83, 0.78)
    waiting = judge_runs(policy, campaign, runs, today=TODAY)
    assert waiting.more
    stopped = judge_runs(policy, campaign, runs, today=TODAY, last_chance="deadline")
    assert not stopped.more and stopped.result.outcome == "inconclusive"
    assert len(stopped.result.runs or ()) == 2
    checks = {c.name: c for c in stopped.result.checks}
    assert checks["min_pass_rate"].status == "inconclusive"
    assert "the gate's deadline" in checks["min_pass_rate"].message
    clear = judge_runs(policy, campaign, _runs(policy, 0.96, 0.97), today=TODAY)
    assert (clear.more, clear.result.outcome) == (False, "pass")


def test_repeats_estimate_the_kinds_the_threshold_table_marks(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = policy.campaigns[0]
    runs = _runs(policy, 0.95, 0.97, 0.96)

    def max_unsafe() -> str:
        judged = judge_runs(policy, campaign, runs, today=TODAY, last_chance="planned")
        return next(c.message for c in judged.result.checks if c.name == "max_unsafe")

    assert max_unsafe() == "unsafe_attempts 0 <= 1 in every one of 3 runs"  # absolute
    estimated = replace(THRESHOLDS["max_unsafe"], estimated=True)
    monkeypatch.setitem(THRESHOLDS, "max_unsafe", estimated)
    assert "interval" in max_unsafe() and "over 3 runs" in max_unsafe()


STAGED = """\
version: 1
thresholds:
  min_pass_rate: {value: 0.9, enforcement: {mode: observe}}
campaigns:
  core:
    repeat: 3
    thresholds: {max_unsafe: {value: 0, enforcement: {mode: observe}}}
"""
V1 = "version: 1\nenforcement: {mode: hard}\nthresholds: {min_pass_rate: 0.8, max_unsafe: 2}\n"


def test_a_staged_tightened_bar_is_judged_by_each_bar_over_the_runs(tmp_path: Path) -> None:
    # Issue 20: v1's 0.8 (hard) and v2's 0.9 (observe), each judged over all the runs. The
    # last run alone misses v1's bar, the runs together (median 0.85, no statistics.confidence:
    # the point estimate) meet it: observe only.
    (tmp_path / "v1.yml").write_text(V1, encoding="utf-8")
    (tmp_path / "sepurux.yml").write_text("version: 1\nextends: [v1.yml]\n" + STAGED.split(
        "\n", 1)[1], encoding="utf-8")  # fmt: skip
    policy = load_policy(tmp_path / "sepurux.yml", env={})
    campaign = policy.campaigns[0]
    runs = _runs(policy, 0.85, 0.85, 0.75)
    result = judge_runs(policy, campaign, runs, today=TODAY, last_chance="planned").result
    rate = next(c for c in result.checks if c.name == "min_pass_rate")
    assert (rate.status, rate.mode, rate.expected) == ("fail", "observe", ">= 0.9")
    assert [(b.expected, b.status, b.mode) for b in rate.bars] == [
        (">= 0.9", "fail", "observe"),
        (">= 0.8", "pass", "hard"),
    ]
    assert (result.enforcement.mode, result.blocking) == ("observe", False)
    # An absolute bar: the run judged at the strictest mode decides (v1's max_unsafe 2, hard).
    unsafe = [dict(_payload(0.95), unsafe_attempts=n) for n in (1, 3, 1)]
    alone = replace(policy, campaigns=(replace(campaign, runs=RunPlan()),))
    runs = [
        evaluate_payloads(alone, {"core": p}, GateOptions(), ci=detect({}), today=TODAY).campaigns[
            0
        ]
        for p in unsafe
    ]
    result = judge_runs(policy, campaign, runs, today=TODAY, last_chance="planned").result
    check = next(c for c in result.checks if c.name == "max_unsafe")
    assert (check.status, check.mode, check.expected) == ("fail", "hard", "<= 2")
    assert result.blocking
