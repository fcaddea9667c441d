"""With --discover, a pull request that deletes a policy does not make its campaigns vanish:
a policy that disappears relative to the base ref is a loosening (issue 20)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from governance.cli import Done, run
from governance.gitrepo import Repo
from support import validate_verdict

pytestmark = pytest.mark.slow  # each runs git and gate-runner with the sandbox

SCENARIO = """
token: sandbox-token
campaigns:
  - name: web-flow
    duration: 0
    metrics: {pass_rate: 0.95, unsafe_attempts: 0, failures: 0}
  - name: payments-flow
    duration: 0
    metrics: {pass_rate: 0.5, unsafe_attempts: 0, failures: 3}
"""

WEB = """
version: 1
thresholds: {min_pass_rate: 0.9}
campaigns:
  web: {campaign: web-flow}
"""

PAYMENTS = """
version: 1
gate: {policy_changes: %s}
thresholds: {min_pass_rate: 0.9}
campaigns:
  pay: {campaign: payments-flow}
"""


def _repo(tmp_path: Path, setting: str) -> Repo:
    repo = Repo.init(tmp_path / "repo")
    repo.commit(
        "two services",
        {
            "services/web/sepurux.yml": WEB,
            "services/payments/sepurux.yml": PAYMENTS % setting,
            "scenario.yml": SCENARIO,
        },
    )
    repo.git("checkout", "-q", "-b", "pr")
    repo.git("rm", "-q", "services/payments/sepurux.yml")
    repo.commit("drop the payments gate")
    return repo


def _check(repo: Repo) -> tuple[Done, dict[str, Any]]:
    done = run(repo.path, "check", "--discover", "--policy-ref", "main",
               "--sandbox", "scenario.yml")  # fmt: skip
    verdict = json.loads((repo.path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    validate_verdict(verdict)
    return done, verdict


def test_a_deleted_policy_is_judged_by_the_base_and_needs_review(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "review")
    done, verdict = _check(repo)
    # It used to be PASS: the payments campaign was simply gone, and nothing said so.
    assert done.code == 1, done.stdout + done.stderr
    keys = {c["key"]: c for c in verdict["campaigns"]}
    assert set(keys) == {"services/web/web", "services/payments/pay"}
    assert keys["services/payments/pay"]["outcome"] == "fail"
    assert keys["services/web/web"]["outcome"] == "pass"
    changes = verdict["policy_changes"]
    assert changes["review_required"] is True and changes["judged_by"] == "base"
    removed = next(c for c in changes["changes"] if c["path"] == "policy")
    assert removed["effect"] == "loosens"
    assert removed["before"] == "main:services/payments/sepurux.yml"
    assert removed["after"] is None
    assert "review required" in verdict["summary"]


def test_a_deleted_policy_under_block_fails_the_gate(tmp_path: Path) -> None:
    done, verdict = _check(_repo(tmp_path, "block"))
    assert done.code == 1, done.stdout + done.stderr
    assert verdict["policy_changes"]["blocked"] is True


def test_a_deleted_policy_under_allow_is_recorded(tmp_path: Path) -> None:
    done, verdict = _check(_repo(tmp_path, "allow"))
    assert done.code == 0, done.stdout + done.stderr
    assert [c["key"] for c in verdict["campaigns"]] == ["services/web/web"]
    changes = verdict["policy_changes"]
    assert changes["judged_by"] == "head"
    assert ("policy", "loosens") in {(c["path"], c["effect"]) for c in changes["changes"]}


def test_diff_calls_a_deleted_policy_a_loosening(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "review")
    done = run(repo.path, "diff", "main", "--config", "services/payments/sepurux.yml",
               "--format", "json")  # fmt: skip
    assert done.code == 1, done.stdout + done.stderr
    changes = {c["path"]: c for c in json.loads(done.stdout)}
    assert changes["policy"]["effect"] == "loosens"
    assert changes["policy"]["location"] == "main:services/payments/sepurux.yml:1"
    assert changes["campaigns.pay"]["effect"] == "loosens"


def test_a_policy_in_neither_tree_is_still_an_error(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "review")
    done = run(repo.path, "diff", "main", "--config", "services/nothere/sepurux.yml")
    assert done.code == 2, done.stdout + done.stderr
    assert done.stdout == ""
