"""check_gate called directly: prepare (who judges, waiver rules, the baseline) and govern."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from gate_runner.ci import detect
from gate_runner.config import load_policy
from gate_runner.enforce import decided_verdict
from gate_runner.errors import UsageError
from gate_runner.git_commands import Git
from gate_runner.governance.check_gate import (
    GovernanceRequest,
    PolicyRefUnreadable,
    govern,
    prepare,
)
from gate_runner.runner import GateOptions, judge_payloads

TODAY = date.today()  # load_policy checks waivers against today's date too
POLICY = """\
version: 1
thresholds: {{min_pass_rate: 0.9}}
enforcement: {{mode: hard}}
campaigns:
  core: {{}}
waivers:
  max_days: 30
  entries:
    - {{campaign: core, check: min_pass_rate, until: {until}, reason: {reason}}}
"""


def _policy(tmp_path: Path, days: int = 10) -> Path:
    path = tmp_path / "sepurux.yml"
    until = (TODAY + timedelta(days=days)).isoformat()
    path.write_text(POLICY.format(until=until, reason="JIRA-12"), encoding="utf-8")
    return path


def _payload(pass_rate: float, *tools: str) -> dict[str, Any]:
    return {
        "run_id": "r1",
        "status": "done",
        "decision": "pass" if pass_rate >= 0.9 else "fail",
        "pass_rate": pass_rate,
        "top_failing_tools": [{"tool": t, "count": 2} for t in tools],
    }


def _load(path: Path) -> Any:
    return load_policy(path, env={})


@pytest.mark.parametrize(("days", "code", "live"), [(10, 0, 1), (60, 1, 0)])
def test_a_waiver_the_rules_refuse_does_not_apply(
    tmp_path: Path, days: int, code: int, live: int
) -> None:
    gate = prepare(_policy(tmp_path, days), GovernanceRequest(), load=_load, env={}, today=TODAY)
    assert len(gate.policy.waivers) == live
    assert gate.waivers is not None and gate.baseline is None and gate.comparison is None
    options = GateOptions()
    judged = judge_payloads(
        gate.policy, {"core": _payload(0.5)}, options, ci=detect({}), today=TODAY
    )
    governed = govern(judged, gate, rejudge=None, baseline={})
    verdict = decided_verdict(governed, soft_exit_code=0, interrupted=False)
    assert verdict.exit_code == code
    assert verdict.waivers is not None and verdict.waivers["live"] == live


def test_govern_tells_new_failures_from_the_baselines(tmp_path: Path) -> None:
    gate = prepare(_policy(tmp_path), GovernanceRequest(), load=_load, env={}, today=TODAY)
    payloads = {"core": _payload(0.95, "refund", "search")}
    judged = judge_payloads(gate.policy, payloads, GateOptions(), ci=detect({}), today=TODAY)
    baseline = {"core": _payload(0.95, "search")}
    governed = govern(judged, gate, rejudge=None, baseline=baseline)
    verdict = decided_verdict(governed, soft_exit_code=0, interrupted=False)
    failures = {f.tool: f.status for f in verdict.campaigns[0].failures or ()}
    assert failures == {"refund": "new", "search": "existing"}
    assert verdict.exit_code == 0


def test_baseline_auto_needs_a_store(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--baseline auto needs --store"):
        prepare(
            _policy(tmp_path),
            GovernanceRequest(baseline_auto=True),
            load=_load,
            env={},
            today=TODAY,
        )


def test_a_ref_git_cannot_read_is_unreadable_never_the_working_tree(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    path = _policy(tmp_path)
    with pytest.raises(PolicyRefUnreadable, match="--policy-ref no-such-ref"):
        prepare(
            path,
            GovernanceRequest(policy_ref="no-such-ref"),
            load=_load,
            env={},
            today=TODAY,
            git=Git(tmp_path),
        )
