"""Issue #12's keys in the policy, the verdict and enforcement (the pure parts, in process)."""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from gate_runner.config import load_policy
from gate_runner.enforce import blocks, decide_gate
from gate_runner.errors import PolicyError
from gate_runner.report.registry import REPORTERS
from gate_runner.statistics import RunPlan
from gate_runner.verdict import Verdict
from gate_runner.verdict_json import verdict_from_dict

GOLDEN = Path(__file__).parents[1] / "report" / "golden"


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "sepurux.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_policy(path)


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        _load(tmp_path, text)
    return [f"{d.line}:{d.col}: {d.message}" for d in caught.value.diagnostics]


def test_the_keys_merge_from_gate_and_campaign_into_a_run_plan(tmp_path: Path) -> None:
    policy = _load(
        tmp_path,
        """\
        version: 1
        gate: {max_runs: 5, on_inconclusive: warn}
        statistics: {confidence: 0.9, trials: trace_count}
        campaigns:
          a: {aggregate: pooled}
          b: {repeat: 3, max_runs: 3, min_passing_runs: 2, on_inconclusive: pass}
        """,
    )
    a, b = policy.campaigns  # type: ignore[attr-defined]
    assert a.runs == RunPlan(
        repeat=1, max_runs=5, aggregate="pooled", confidence=0.9, on_inconclusive="warn"
    )
    assert b.runs == RunPlan(
        repeat=3, max_runs=3, confidence=0.9, on_inconclusive="pass", min_passing_runs=2
    )
    assert policy.statistics.trials == "trace_count"  # type: ignore[attr-defined]


def test_semantic_checks_point_at_the_value(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """\
        version: 1
        gate:
          repeat: 3
          max_runs: 2
        campaigns:
          a:
            aggregate: pooled
          b:
            repeat: 1
            max_runs: 4
          c:
            max_runs: 3
            min_passing_runs: 4
        """,
    )
    assert problems == [
        "4:13: gate.max_runs: max_runs 2 is below repeat 3 (gate)",
        "7:16: campaigns.a.aggregate: aggregate: pooled needs statistics.trials "
        "(e.g. trials: trace_count)",
        "10:15: campaigns.b.max_runs: max_runs 4 above repeat 1 (campaign b), but nothing asks "
        "for the extra runs: set statistics.confidence or min_passing_runs",
        "13:23: campaigns.c.min_passing_runs: min_passing_runs 4 is more than the 3 runs this "
        "campaign c may get (max_runs, else repeat)",
    ]


def test_an_invalid_trials_expression_is_a_diagnostic(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """\
        version: 1
        statistics: {confidence: 0.95, trials: "trace_count +"}
        campaigns: {a: {}}
        """,
    )
    assert len(problems) == 1 and problems[0].startswith("2:40: statistics.trials: invalid")


@pytest.mark.parametrize(
    ("policy", "mode", "blocked"),
    [
        (None, "hard", True),
        ("fail", "hard", True),
        ("fail", "soft", False),
        ("warn", "hard", False),
        ("pass", "hard", False),
        ("fail", "observe", False),
    ],
)
def test_inconclusive_blocks_as_on_inconclusive_says(
    policy: str | None, mode: str, blocked: bool
) -> None:
    assert blocks("inconclusive", mode, None, policy) is blocked  # type: ignore[arg-type]


def _golden() -> Verdict:
    return verdict_from_dict(json.loads((GOLDEN / "inconclusive_flaky.json").read_text()))


def test_inconclusive_under_fail_blocks_the_gate_and_under_warn_does_not() -> None:
    verdict = _golden()
    decision = decide_gate(verdict.campaigns, soft_exit_code=0)
    assert (decision.outcome, decision.exit_code) == ("inconclusive", 1)
    lenient = tuple(
        replace(c, inconclusive_policy="warn", blocking=False) if c.outcome == "inconclusive" else c
        for c in verdict.campaigns
    )
    decision = decide_gate(lenient, soft_exit_code=0)
    assert decision.exit_code == 0
    assert decision.summary.startswith("PASS (inconclusive allowed by on_inconclusive)")


def test_junit_skips_an_inconclusive_check_that_on_inconclusive_lets_through() -> None:
    verdict = _golden()
    search = replace(verdict.campaigns[0], inconclusive_policy="warn", blocking=False)
    xml = REPORTERS["junit"].render(replace(verdict, campaigns=(search,)))
    assert '<skipped message="inconclusive, not counted (on_inconclusive: warn)' in xml
    assert "<failure" not in xml


def test_a_verdict_from_before_issue_12_still_loads() -> None:
    data = json.loads((GOLDEN / "pass.json").read_text())
    for campaign in data["campaigns"]:
        for key in ("runs", "aggregate", "flaky", "spread", "inconclusive_policy"):
            campaign.pop(key, None)
    campaign = verdict_from_dict(data).campaigns[0]
    assert (campaign.runs, campaign.aggregate, campaign.flaky) == ((), None, False)


def test_max_regression_compares_with_the_baseline_and_is_never_sent() -> None:
    from gate_runner.evaluate.checks import threshold_check
    from gate_runner.policy import Origin, Threshold
    from gate_runner.thresholds import request_thresholds

    limit = Threshold("max_regression", 0.02, Origin("sepurux.yml", 1, 1))
    dropped = threshold_check(limit, {"pass_rate": 0.85}, {"pass_rate": 0.9})
    assert (dropped.status, dropped.message) == (
        "fail",
        "pass_rate changed by -0.0500 from 0.9 (at most -0.02)",
    )
    alone = threshold_check(limit, {"pass_rate": 0.85}, None)
    assert (alone.status, alone.message) == (
        "pass",
        "not judged: no --baseline verdict to compare with",
    )
    assert request_thresholds([limit]) == {}


def test_explain_shows_each_run_setting_with_its_origin(tmp_path: Path) -> None:
    from datetime import date

    from gate_runner.config.explain import explanation, render_text
    from gate_runner.modes import mode_in_force

    policy = _load(
        tmp_path,
        """\
        version: 1
        gate: {max_runs: 5}
        statistics: {confidence: 0.95}
        campaigns:
          a: {on_inconclusive: warn}
        """,
    )
    today = date(2026, 6, 1)
    data = explanation(policy, today, mode_in_force(policy, None, today=today, override=None))  # type: ignore[arg-type]
    rows = {r["key"]: (r["value"], r["origin"]) for r in data["campaigns"][0]["runs"]}
    path = str(tmp_path / "sepurux.yml")
    assert rows["max_runs"] == (5, f"{path}:2:18")
    assert rows["on_inconclusive"] == ("warn", f"{path}:5:24")
    assert rows["confidence"] == (0.95, f"{path}:3:26")
    assert rows["repeat"] == (1, None)
    assert '  on_inconclusive = "warn"  (' in render_text(data)


def test_icc_auto_loads_as_no_declared_icc_and_explain_says_auto(tmp_path: Path) -> None:
    from datetime import date

    from gate_runner.config.explain import explanation
    from gate_runner.modes import mode_in_force

    policy = _load(
        tmp_path,
        """\
        version: 1
        statistics: {confidence: 0.95, trials: trace_count, icc: auto}
        campaigns:
          a: {repeat: 3}
        """,
    )
    assert policy.statistics.icc_auto is True  # type: ignore[attr-defined]
    assert policy.campaigns[0].runs.icc is None  # type: ignore[attr-defined]
    today = date(2026, 6, 1)
    data = explanation(policy, today, mode_in_force(policy, None, today=today, override=None))  # type: ignore[arg-type]
    rows = {r["key"]: r["value"] for r in data["campaigns"][0]["runs"]}
    assert rows["icc"] == "auto"
    assert rows["rule"].startswith("run-rates-t")
    assert "statistics.icc: auto: effective counts on the ρ estimated" in rows["rule"]
