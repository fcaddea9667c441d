"""The sticky comment carries the chart: from the verdict alone, whole, within the limit."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from support import REPO, Done, clean_env, run_gate

from gate_runner.report.markdown import COMMENT_LIMIT
from gate_runner.report.registry import REPORTERS
from gate_runner.verdict import Verdict
from gate_runner.verdict_json import verdict_from_dict

from .fixtures import hard_fail

SANDBOX = REPO / "examples" / "sandbox"


def _with_baseline(verdict: Verdict, rate: float) -> Verdict:
    campaigns = tuple(replace(c, baseline_pass_rate=rate) for c in verdict.campaigns)
    return replace(verdict, campaigns=campaigns)


def test_the_comment_shows_the_chart_and_the_baseline_recorded_in_the_verdict() -> None:
    # Reports are rendered from the verdict alone: --baseline's rate travels inside it.
    verdict = verdict_from_dict(json.loads(_with_baseline(hard_fail(), 0.9).to_json()))
    body = REPORTERS["markdown"].render(verdict)
    assert "```mermaid\n---\n" in body and "\nxychart-beta\n" in body
    drawn = "    bar [0, 0.72, 0]\n    line [0.85, 0.85, 0.85]\n    line [0.9, 0.9, 0.9]\n```"
    assert drawn in body
    assert "purple line: the baseline" in body
    assert "| C1 | core-reliability | 0.72 | 0.85 | 0.9 |" in body


@pytest.mark.slow
def test_a_comment_cut_to_the_limit_keeps_the_chart_whole() -> None:
    one = hard_fail().campaigns[0]
    many = tuple(replace(one, key=f"campaign-{i:04d}") for i in range(3000))
    body = REPORTERS["markdown"].render(replace(hard_fail(), campaigns=many))
    assert len(body) <= COMMENT_LIMIT
    assert body.count("```") % 2 == 0  # every fence that opens closes
    if "```mermaid" in body:
        chart = body.split("```mermaid\n", 1)[1].split("```", 1)[0]
        assert re.search(r"^    bar \[", chart, re.MULTILINE)


def test_the_html_page_shows_the_baseline_recorded_in_the_verdict() -> None:
    page = REPORTERS["html"].render(_with_baseline(hard_fail(), 0.9))
    assert "baseline 0.90" in page
    assert 'class="baseline"' in page
    assert "baseline 0.90" not in REPORTERS["html"].render(hard_fail())


@pytest.mark.slow
def test_check_with_a_baseline_draws_it_in_the_comment(tmp_path: Path) -> None:
    """As a user runs it: a passing run filed, then a failing one judged against it."""
    policy = tmp_path / "sepurux.yml"
    policy.write_text(
        "version: 1\nthresholds:\n  min_pass_rate: 0.85\ncampaigns:\n  core-reliability: {}\n",
        encoding="utf-8",
    )

    def check(scenario: str, *args: str) -> Done:
        return run_gate(
            [
                "check",
                "--sandbox",
                str(SANDBOX / scenario),
                *args,
            ],
            cwd=tmp_path,
            env=clean_env(token=None),
            timeout=120,
        )

    assert check("passing.yml", "--verdict", "base.json").returncode == 0
    done = check("failing.yml", "--baseline", "base.json", "--report", "markdown=comment.md")
    assert done.returncode == 1, done.stderr
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    assert verdict["campaigns"][0]["baseline_pass_rate"] == 0.97
    body = (tmp_path / "comment.md").read_text(encoding="utf-8")
    drawn = "    bar [0, 0.81, 0]\n    line [0.85, 0.85, 0.85]\n    line [0.97, 0.97, 0.97]\n```"
    assert drawn in body
