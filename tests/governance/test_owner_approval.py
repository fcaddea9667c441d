"""`gate.policy_changes: review` holds a loosening until a policy owner approves the head
commit: `gate-runner check --policy-ref` as a process over real git repositories, with
loopback GitHub and GitLab forges that keep reviews and approvals as each forge does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from forges.approvals_fake import GitHubPull, GitLabMergeRequest
from forges.fake import fake_forge
from support import validate_verdict

from gate_runner.governance.owner_approval import Approvals, Owners, approvers

from .cli import Done, run
from .gitrepo import Repo

TOKEN = "ghs_owner_approval_token_5521"
GITLAB_TOKEN = "glpat-owner-approval-7731"

# The agent clears the base bar (0.9) as well as the loosened one: before issue 20 such a
# pull request passed under `review`, and once merged the lowered bar was in force.
SCENARIO = """
token: sandbox-token
campaigns:
  - name: core
    duration: 0
    metrics:
      pass_rate: 0.95
      unsafe_attempts: 0
      failures: 0
      reliability_score: 95
      top_failing_tools: []
      mutation_categories: [tool_timeout]
"""

BASE = """
version: 1
gate: {{policy_changes: {setting}, policy_owners: {owners}}}
enforcement: {{mode: {mode}}}
thresholds: {{min_pass_rate: 0.9}}
campaigns:
  core: {{}}
"""

# The pull request lowers the bar, and names itself owner: neither may count unapproved.
PR = """
version: 1
gate: {{policy_changes: {setting}, policy_owners: [mallory]}}
enforcement: {{mode: {mode}}}
thresholds: {{min_pass_rate: 0.7}}
campaigns:
  core: {{}}
"""


def _repo(
    tmp_path: Path,
    *,
    owners: str = "[alice, '@acme/policy-team']",
    setting: str = "review",
    mode: str = "hard",
    files: dict[str, str] | None = None,
    pr_files: dict[str, str] | None = None,
) -> Repo:
    repo = Repo.init(tmp_path / "origin")
    base = BASE.format(setting=setting, owners=owners, mode=mode)
    repo.commit("the gate", {"sepurux.yml": base, "scenario.yml": SCENARIO, **(files or {})})
    repo.git("checkout", "-q", "-b", "pr")
    pr = PR.format(setting=setting, mode=mode)
    repo.commit("lower the bar", {"sepurux.yml": pr, **(pr_files or {})})
    return repo


def _github(repo: Repo, url: str, *, token: bool = True, event_name: str = "pull_request") -> Done:
    event = repo.path.parent / "event.json"
    pull = {"number": 42, "head": {"sha": repo.head()}, "base": {"ref": "main"}}
    event.write_text(json.dumps({"pull_request": pull}), encoding="utf-8")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "acme/agent",
        "GITHUB_SHA": "0" * 40,
        "GITHUB_API_URL": url,
    }
    if token:
        env["GITHUB_TOKEN"] = TOKEN
    if event_name == "pull_request":
        env["GITHUB_BASE_REF"] = "main"  # set for pull_request events only
    return _check(repo, env)


def _check(repo: Repo, env: dict[str, str]) -> Done:
    done = run(
        repo.path,
        "check",
        "--sandbox",
        "scenario.yml",
        "--policy-ref",
        "auto",
        "--publish",
        "--report",
        "markdown=out/comment.md",
        env=env,
    )
    assert TOKEN not in done.stdout.replace(f"::add-mask::{TOKEN}", "") + done.stderr
    return done


def _verdict(repo: Repo) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (repo.path / "gate-runner-verdict.json").read_text(encoding="utf-8")
    )
    validate_verdict(data)
    return data


def _pull(repo: Repo) -> GitHubPull:
    return GitHubPull(TOKEN, "acme/agent", 42, repo.head(), teams={"acme/policy-team": {}})


def _held(repo: Repo, done: Done) -> dict[str, Any]:
    """The loosening is held: base bar, exit 1, policy:changes fails, nobody named approver."""
    assert done.code == 1, done.stdout + done.stderr
    verdict = _verdict(repo)
    changes = verdict["policy_changes"]
    assert changes["judged_by"] == "base" and changes["review_required"] is True
    assert changes["approved_by"] == []
    core = verdict["campaigns"][0]
    checks = {c["id"]: c for c in core["checks"]}
    assert checks["threshold:min_pass_rate"]["expected"].endswith("0.9"), checks
    assert checks["policy:changes"]["status"] == "fail"
    assert verdict["blocking"] is True
    return verdict


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["hard", "soft"])
def test_an_unapproved_loosening_is_held_and_blocks(tmp_path: Path, mode: str) -> None:
    repo = _repo(tmp_path, mode=mode)
    pull = _pull(repo)
    with fake_forge(pull) as fake:
        done = _github(repo, fake.url)
    verdict = _held(repo, done)
    approval = verdict["policy_changes"]["approval"]
    assert approval.startswith("waiting for a policy owner's approval of the head commit")
    assert "alice, @acme/policy-team (gate.policy_owners at main:sepurux.yml)" in approval
    assert "held until a policy owner approves" in verdict["summary"]
    # The gate's check run asks a person to act; the campaign itself cleared the base bar.
    assert pull.conclusion("gate-runner") == "action_required"
    assert pull.conclusion("gate-runner / core") == "success"
    comment = (repo.path / "out" / "comment.md").read_text(encoding="utf-8")
    assert "waiting for a policy owner" in comment


@pytest.mark.slow
def test_observe_mode_reports_the_hold_without_blocking(tmp_path: Path) -> None:
    repo = _repo(tmp_path, mode="observe")
    with fake_forge(_pull(repo)) as fake:
        done = _github(repo, fake.url)
    assert done.code == 0, done.stderr
    verdict = _verdict(repo)
    assert verdict["policy_changes"]["review_required"] is True
    statuses = {c["id"]: c["status"] for c in verdict["campaigns"][0]["checks"]}
    assert statuses["policy:changes"] == "warn"


@pytest.mark.slow
def test_an_owner_approving_the_head_lets_the_pr_policy_judge(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    pull = _pull(repo)
    pull.review("mallory")  # named owner only by the pull request itself
    pull.review("alice", "COMMENTED")
    pull.review("alice")
    pull.review("alice", "COMMENTED")  # a later comment leaves the approval standing
    with fake_forge(pull) as fake:
        done = _github(repo, fake.url)
    assert done.code == 0, done.stdout + done.stderr
    changes = _verdict(repo)["policy_changes"]
    assert changes["judged_by"] == "head" and changes["review_required"] is False
    assert changes["approved_by"] == ["alice"]
    assert changes["approval"] == "approved by alice (gate.policy_owners at main:sepurux.yml)"
    core = _verdict(repo)["campaigns"][0]
    checks = {c["id"]: c for c in core["checks"]}
    assert checks["threshold:min_pass_rate"]["expected"].endswith("0.7")  # the PR's own bar
    assert checks["policy:changes"]["status"] == "pass"
    assert "approved by alice" in checks["policy:changes"]["message"]
    assert pull.conclusion("gate-runner") == "success"
    assert "approved by alice" in (repo.path / "out" / "comment.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_approval_re_runs_the_gate_on_pull_request_review(tmp_path: Path) -> None:
    """The documented `pull_request_review` trigger: GITHUB_BASE_REF is not set for it, so
    `--policy-ref auto` reads the target branch from the event."""
    repo = _repo(tmp_path)
    pull = _pull(repo)
    pull.review("alice")
    with fake_forge(pull) as fake:
        done = _github(repo, fake.url, event_name="pull_request_review")
    assert done.code == 0, done.stdout + done.stderr
    changes = _verdict(repo)["policy_changes"]
    assert changes["base_ref"] == "main" and changes["approved_by"] == ["alice"]


@pytest.mark.slow
def test_approvals_that_do_not_count_hold_it(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    pull = _pull(repo)
    pull.review("alice")  # on the first push ...
    pull.review("mallory")  # ... and someone the base does not name
    pull.teams["acme/policy-team"] = {"mallory": "pending"}  # an invitation is not membership
    repo.commit("and lower it more", {"sepurux.yml": PR.format(setting="review", mode="hard")})
    pull.push(repo.head())
    pull.review("bob", "APPROVED")
    pull.review("bob", "CHANGES_REQUESTED")  # bob's latest deciding review does not approve
    with fake_forge(pull) as fake:
        done = _github(repo, fake.url)
    _held(repo, done)


@pytest.mark.slow
def test_a_team_member_approves(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    pull = _pull(repo)
    pull.teams["acme/policy-team"] = {"bob": "active"}
    for n in range(120):  # past the first page of reviews
        pull.review(f"reader{n}", "COMMENTED")
    pull.review("bob")
    with fake_forge(pull) as fake:
        done = _github(repo, fake.url)
        pages = [r.target for r in fake.requests if "/reviews" in r.target]
    assert len(pages) == 2, pages
    assert done.code == 0, done.stdout + done.stderr
    assert _verdict(repo)["policy_changes"]["approved_by"] == ["bob (acme/policy-team)"]


CODEOWNERS = """
# the platform team owns every policy
*.yml @acme/policy-team
/sepurux.yml @carol
"""


@pytest.mark.slow
def test_codeowners_at_the_base_ref_name_the_owners(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        owners="codeowners",
        files={".github/CODEOWNERS": CODEOWNERS},
        # The pull request names itself owner in the working tree's CODEOWNERS.
        pr_files={".github/CODEOWNERS": "* @mallory\n"},
    )
    pull = _pull(repo)
    pull.review("mallory")
    with fake_forge(pull) as fake:
        held = _github(repo, fake.url)
    _held(repo, held)
    approval = _verdict(repo)["policy_changes"]["approval"]
    assert "carol (CODEOWNERS at main:.github/CODEOWNERS)" in approval

    pull.review("carol")
    with fake_forge(pull) as fake:
        done = _github(repo, fake.url)
    assert done.code == 0, done.stdout + done.stderr
    assert _verdict(repo)["policy_changes"]["approved_by"] == ["carol"]


@pytest.mark.slow
def test_block_cannot_be_approved(tmp_path: Path) -> None:
    repo = _repo(tmp_path, setting="block")
    pull = _pull(repo)
    pull.review("alice")
    with fake_forge(pull) as fake:
        done = _github(repo, fake.url)
    assert done.code == 1
    changes = _verdict(repo)["policy_changes"]
    assert changes["blocked"] is True and changes["approved_by"] == []
    assert "no approval can lift it" in changes["message"]
    assert not [r for r in fake.requests if "/reviews" in r.target]  # not even asked


@pytest.mark.slow
def test_without_a_token_the_base_bar_judges_and_says_why(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    pull = _pull(repo)
    pull.review("alice")
    with fake_forge(pull) as fake:
        done = _github(repo, fake.url, token=False)
    verdict = _held(repo, done)
    assert (
        "the approvals could not be read (GITHUB_TOKEN is not set"
        in (verdict["policy_changes"]["approval"])
    )
    assert not fake.requests


def _gitlab(repo: Repo, url: str, mr: GitLabMergeRequest) -> Done:
    env = {
        "GITLAB_CI": "true",
        "CI_API_V4_URL": f"{url}/api/v4",
        "CI_PROJECT_ID": str(mr.project_id),
        "CI_PROJECT_PATH": "acme/agent",
        "CI_MERGE_REQUEST_IID": str(mr.iid),
        "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": repo.head(),
        "CI_COMMIT_SHA": repo.head(),
        "GITLAB_TOKEN": GITLAB_TOKEN,
    }
    return run(repo.path, "check", "--sandbox", "scenario.yml", "--policy-ref", "main", env=env)


@pytest.mark.slow
def test_gitlab_group_member_approval_and_its_reset_on_push(tmp_path: Path) -> None:
    repo = _repo(tmp_path, owners="[acme/platform]")
    mr = GitLabMergeRequest(GITLAB_TOKEN, 7, 3, repo.head(), groups={"acme/platform": {"dana"}})
    mr.approve("erin")  # not in the group
    with fake_forge(mr) as fake:
        _held(repo, _gitlab(repo, fake.url, mr))
        mr.approve("dana")
        done = _gitlab(repo, fake.url, mr)
        assert done.code == 0, done.stdout + done.stderr
        assert _verdict(repo)["policy_changes"]["approved_by"] == ["dana (acme/platform)"]
        # A push removes every approval (reset_approvals_on_push): held again.
        repo.commit("and more", {"sepurux.yml": PR.format(setting="review", mode="hard")})
        mr.push(repo.head())
        _held(repo, _gitlab(repo, fake.url, mr))


@pytest.mark.slow
def test_gitlab_approvals_kept_across_pushes_do_not_count(tmp_path: Path) -> None:
    repo = _repo(tmp_path, owners="[dana]")
    mr = GitLabMergeRequest(GITLAB_TOKEN, 7, 3, repo.head(), reset_approvals_on_push=False)
    mr.approve("dana")
    with fake_forge(mr) as fake:
        done = _gitlab(repo, fake.url, mr)
    verdict = _held(repo, done)
    assert "keeps approvals when commits are added" in verdict["policy_changes"]["approval"]


def test_every_owner_group_needs_an_approval() -> None:
    """GitLab's CODEOWNERS sections each need one of their owners."""
    owners = Owners((("dev",), ("acme/platform", "old")), "CODEOWNERS at main:CODEOWNERS")
    assert approvers(owners, Approvals((("dev", "dev"),))) is None
    both = Approvals((("dev", "dev"), ("acme/platform", "dana")))
    assert approvers(owners, both) == ("dev", "dana (acme/platform)")
    assert approvers(owners, Approvals(both.approved, problem="401")) is None
    assert approvers(Owners((), "x", "no owners"), both) is None
