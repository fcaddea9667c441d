"""Waiver rules in the policy: the mapping form, the list form merging as entries, errors at
their line, and `check` applying them (refused waivers, expiry warnings, the live count)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from gate_runner.config import load_policy
from gate_runner.errors import PolicyError
from gate_runner.policy import WaiverRules

from .cli import run

CENTRAL = """\
version: 1
thresholds: {min_pass_rate: 0.9}
waivers:
  max_days: 30
  reason: '[A-Z][A-Z0-9]+-\\d+'
  warn_days: 7
"""


def _until(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def _repo_policy(*waivers: tuple[str, str]) -> str:
    lines = "".join(
        f"  - {{campaign: core, check: {check}, until: {until}, reason: {reason}}}\n"
        for check, until, reason in ((c, u, r) for c, (u, r) in waivers)
    )
    return "version: 1\nextends: [central.yml]\ncampaigns:\n  core: {}\nwaivers:\n" + lines


def _write(tmp_path: Path, repo: str) -> Path:
    (tmp_path / "central.yml").write_text(CENTRAL, encoding="utf-8")
    path = tmp_path / "sepurux.yml"
    path.write_text(repo, encoding="utf-8")
    return path


def test_a_repository_list_keeps_the_central_rules(tmp_path: Path) -> None:
    path = _write(tmp_path, _repo_policy(("min_pass_rate", (_until(10), "AGENT-1 flaky"))))
    policy = load_policy(path, env={})
    assert policy.waiver_rules.max_days == 30
    assert policy.waiver_rules.warn_days == 7
    assert policy.waiver_rules.reason == "[A-Z][A-Z0-9]+-\\d+"
    assert policy.waiver_rules.origin is not None
    assert policy.waiver_rules.origin.file.endswith("central.yml")
    assert [w.check for w in policy.waivers] == ["min_pass_rate"]
    assert policy.waivers[0].origin.line == 6  # the entry's own line in sepurux.yml


def test_the_mapping_form_in_one_file(tmp_path: Path) -> None:
    path = tmp_path / "sepurux.yml"
    path.write_text(
        "version: 1\ncampaigns: {core: {}}\nwaivers:\n  max_days: 5\n  entries:\n"
        f"    - {{campaign: core, check: decision, until: {_until(3)}, reason: x}}\n",
        encoding="utf-8",
    )
    policy = load_policy(path, env={})
    assert policy.waiver_rules == WaiverRules(5, None, None, policy.waiver_rules.origin)
    assert len(policy.waivers) == 1


def test_a_reason_without_a_ticket_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, _repo_policy(("min_pass_rate", (_until(10), "because"))))
    with pytest.raises(PolicyError) as raised:
        load_policy(path, env={})
    (problem,) = raised.value.diagnostics
    assert (Path(problem.file).name, problem.line) == ("sepurux.yml", 6)
    assert problem.col > 1
    assert "waivers[0].reason: 'because' does not contain a match of waivers.reason" in str(problem)
    assert "central.yml:5" in problem.message


def test_a_reason_pattern_that_is_not_a_regex(tmp_path: Path) -> None:
    path = tmp_path / "sepurux.yml"
    path.write_text("version: 1\ncampaigns: {core: {}}\nwaivers: {reason: '[a-'}\n", "utf-8")
    with pytest.raises(PolicyError) as raised:
        load_policy(path, env={})
    assert "waivers.reason: '[a-' is not a regular expression" in str(raised.value.diagnostics[0])
    assert raised.value.diagnostics[0].line == 3


SCENARIO = """
token: sandbox-token
campaigns:
  - name: core
    duration: 0
    metrics: {pass_rate: 0.8, unsafe_attempts: 0, failures: 1, reliability_score: 90}
"""


@pytest.mark.slow
def test_check_refuses_a_too_long_waiver_and_warns_before_expiry(tmp_path: Path) -> None:
    (tmp_path / "scenario.yml").write_text(SCENARIO, encoding="utf-8")
    _write(
        tmp_path,
        _repo_policy(
            ("min_pass_rate", (_until(400), "AGENT-7 slow fix")),  # past max_days: refused
            ("decision", (_until(3), "AGENT-8 service")),  # live, expires within warn_days
        ),
    )
    done = run(tmp_path, "check", "--sandbox", "scenario.yml")
    assert done.code == 1, done.stderr  # min_pass_rate counts as unwaived
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    waivers = verdict["waivers"]
    assert waivers["live"] == 1
    assert waivers["max_days"] == 30 and waivers["warn_days"] == 7
    kinds = {(f["check"], f["kind"], f["refused"]) for f in waivers["findings"]}
    assert kinds == {("min_pass_rate", "too_long", True), ("decision", "expiring", False)}
    checks = {c["id"]: c["status"] for c in verdict["campaigns"][0]["checks"]}
    assert checks["threshold:min_pass_rate"] == "fail"
    assert checks["decision"] == "waived"
    assert any("waivers.max_days" in n and "does not apply" in n for n in verdict["notes"])
    assert any("expires in 3 days" in n for n in verdict["notes"])
