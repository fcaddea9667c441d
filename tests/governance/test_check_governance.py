"""`gate-runner check` as a process over real git repositories and the sandbox: --policy-ref,
gate.policy_changes, --baseline auto with a store that has a gap, new/existing failures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import validate_verdict

from .cli import Done, run
from .gitrepo import Repo, shallow_clone

# The agent today: pass rate 0.8, two failing tools. The base bar (0.9) fails it; the PR's
# loosened bar (0.7, observe) would let it through.
SCENARIO = """
token: sandbox-token
campaigns:
  - name: core
    duration: 0
    metrics:
      pass_rate: 0.8
      unsafe_attempts: 0
      failures: 1
      reliability_score: 90
      top_failing_tools:
        - {tool: payments.refund, count: 3}
        - {tool: orders.lookup, count: 1}
      mutation_categories: [tool_timeout]
"""

BASE = """
version: 1
gate: {{policy_changes: {setting}}}
enforcement: {{mode: hard}}
thresholds: {{min_pass_rate: 0.9}}
assertions:
  - name: lookup-stable
    expr: "length(top_failing_tools[?tool=='orders.lookup']) == `0`"
campaigns:
  core: {{}}
"""

# The PR loosens four ways: mode observe, a waiver added, min_pass_rate lowered, the
# assertion deleted. (It keeps gate.policy_changes: a change cannot vote on it anyway.)
PR = """
version: 1
gate: {{policy_changes: {setting}}}
enforcement: {{mode: observe}}
thresholds: {{min_pass_rate: 0.7}}
campaigns:
  core: {{}}
waivers:
  - {{campaign: core, check: decision, until: 2099-01-01, reason: PR wants it}}
"""


def _repo(tmp_path: Path, setting: str = "review") -> Repo:
    repo = Repo.init(tmp_path / "origin")
    repo.commit(
        "the gate",
        {"sepurux.yml": BASE.format(setting=setting), "scenario.yml": SCENARIO},
    )
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit("loosen the gate", {"sepurux.yml": PR.format(setting=setting)})
    return repo


def _check(repo: Repo, *args: str, env: dict[str, str] | None = None) -> Done:
    return run(
        repo.path,
        "check",
        "--sandbox",
        "scenario.yml",
        "--report",
        "junit=out/junit.xml",
        "--report",
        "sarif=out/sarif.json",
        "--report",
        "gitlab=out/gitlab.json",
        "--report",
        "markdown=out/comment.md",
        "--report",
        "html=out/report.html",
        "--report",
        "github",
        *args,
        env=env,
    )


def _verdict(repo: Repo) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (repo.path / "gate-runner-verdict.json").read_text(encoding="utf-8")
    )
    validate_verdict(data)
    return data


@pytest.mark.slow
def test_review_judges_the_loosened_pr_by_the_base_bar(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    # Without --policy-ref the PR's own policy judges it: observe mode, nothing blocks.
    assert _check(repo).code == 0
    done = _check(repo, "--policy-ref", "auto", env={"GITHUB_BASE_REF": "main"})
    assert done.code == 1, done.stderr
    verdict = _verdict(repo)
    changes = verdict["policy_changes"]
    assert changes["setting"] == "review"
    assert changes["judged_by"] == "base"
    assert changes["review_required"] is True and changes["blocked"] is False
    assert changes["base_ref"] == "main"
    assert changes["base_commit"] == repo.git("rev-parse", "main")
    loosened = {c["path"] for c in changes["changes"] if c["effect"] == "loosens"}
    assert {
        "enforcement.mode",
        "thresholds.min_pass_rate",
        "waivers.core.decision",
    } <= loosened
    assert any(p.startswith("assertions") for p in loosened), loosened
    for change in changes["changes"]:
        assert {"path", "before", "after", "effect", "location"} <= set(change)
    assert verdict["policy"]["path"] == "sepurux.yml"
    assert verdict["policy"]["sources"][0]["location"] == "main:sepurux.yml"
    core = verdict["campaigns"][0]
    assert core["enforcement"]["mode"] == "hard"  # the base's mode
    assert core["outcome"] == "fail" and core["blocking"] is True
    statuses = {c["id"]: c["status"] for c in core["checks"]}
    assert statuses["threshold:min_pass_rate"] == "fail"  # 0.8 against the base's 0.9
    assert statuses["decision"] == "fail"  # the PR's new waiver does not apply
    # Held for a policy owner's approval (none named here): it fails and holds the gate.
    assert statuses["policy:changes"] == "fail"
    assert "review required" in verdict["summary"]
    assert "held until a policy owner approves" in verdict["summary"]
    assert changes["approved_by"] == []
    assert "names no gate.policy_owners" in changes["approval"]
    # Every report says so.
    assert "review required" in done.stdout + done.stderr
    for name in ("junit.xml", "sarif.json", "gitlab.json", "comment.md", "report.html"):
        assert "review required" in (repo.path / "out" / name).read_text(encoding="utf-8"), name
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert any(
        line.startswith("::error file=sepurux.yml,line=") and "review required" in line
        for line in annotations
    ), annotations
    # Checks the base judged point into the working tree's policy, where a PR can be annotated.
    assert not [line for line in annotations if "main%3A" in line], annotations
    threshold = next(c for c in core["checks"] if c["id"] == "threshold:min_pass_rate")
    assert threshold["location"]["path"] == "sepurux.yml"
    assert threshold["location"]["line"] == 4  # `thresholds: {min_pass_rate: 0.7}` in the PR
    # ... and says the bar there is the base's, not the 0.7 on that line (issue 17).
    assert threshold["message"].endswith(
        "(the bar is main's, set at main:sepurux.yml:4; shown at this line)"
    ), threshold["message"]
    comment = (repo.path / "out" / "comment.md").read_text(encoding="utf-8")
    assert "the bar is main's, set at main:sepurux.yml:4" in comment
    # The policy:changes cell: "key: before -> after", not a raw JSON list (issue 17).
    changes_check = next(c for c in core["checks"] if c["id"] == "policy:changes")
    assert "thresholds.min_pass_rate: 0.9 -> 0.7" in changes_check["actual"]
    assert 'enforcement.mode: "hard" -> "observe"' in changes_check["actual"]
    [row] = [line for line in comment.splitlines() if line.startswith("| policy:changes |")]
    # (GFM shows `-\\>` as `->`.)
    assert "thresholds.min\\_pass\\_rate: 0.9 -\\> 0.7" in row
    assert not row.split("|")[4].strip().startswith("\\[")  # no raw JSON list


@pytest.mark.slow
def test_block_fails_and_allow_lets_the_head_judge(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "block")
    done = _check(repo, "--policy-ref", "main")
    assert done.code == 1
    verdict = _verdict(repo)
    assert verdict["policy_changes"]["blocked"] is True
    core = verdict["campaigns"][0]
    assert {c["id"]: c["status"] for c in core["checks"]}["policy:changes"] == "fail"
    assert "blocked" in verdict["summary"]

    allowed = _repo(tmp_path / "allow", "allow")
    done = _check(allowed, "--policy-ref", "main")
    assert done.code == 0, done.stderr  # the PR's observe mode judges, the diff is recorded
    verdict = _verdict(allowed)
    assert verdict["policy_changes"]["judged_by"] == "head"
    assert verdict["policy_changes"]["review_required"] is False
    assert verdict["campaigns"][0]["enforcement"]["mode"] == "observe"


@pytest.mark.slow
def test_a_setting_the_pr_changes_does_not_count(tmp_path: Path) -> None:
    """The PR switches gate.policy_changes to allow: the base's `block` still decides."""
    repo = _repo(tmp_path, "block")
    repo.commit("and allow it", {"sepurux.yml": PR.format(setting="allow")})
    assert _check(repo, "--policy-ref", "main").code == 1
    verdict = _verdict(repo)
    assert verdict["policy_changes"]["setting"] == "block"
    assert "gate.policy_changes" in {c["path"] for c in verdict["policy_changes"]["changes"]}


@pytest.mark.slow
def test_tightening_applies_at_once(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "origin")
    loose = "version: 1\nthresholds: {min_pass_rate: 0.7}\ncampaigns: {core: {}}\n"
    repo.commit("the gate", {"sepurux.yml": loose, "scenario.yml": SCENARIO})
    assert _check(repo).code == 0
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit("raise the bar", {"sepurux.yml": loose.replace("0.7", "0.85")})
    assert _check(repo, "--policy-ref", "main").code == 1  # 0.8 < 0.85, the PR's own bar
    verdict = _verdict(repo)
    assert verdict["policy_changes"]["judged_by"] == "head"
    assert verdict["policy_changes"]["review_required"] is False


@pytest.mark.slow
def test_shallow_clone_names_the_fetch_and_still_writes_a_verdict(tmp_path: Path) -> None:
    origin = _repo(tmp_path)
    clone = shallow_clone(origin, tmp_path / "ci", "pr")
    env = {"GITHUB_BASE_REF": "main"}
    done = _check(clone, "--policy-ref", "auto", env=env)
    assert done.code == 2
    fix = (
        "git fetch --no-tags --depth=100 origin +refs/heads/main:refs/remotes/origin/main "
        + clone.head()
    )
    assert fix in done.stderr
    verdict = _verdict(clone)
    assert verdict["error"]["kind"] == "usage"
    assert verdict["exit_code"] == 2
    assert fix in verdict["error"]["message"]
    # Not "the policy is invalid" (issue 17): the ref is missing, and how to fetch it.
    assert verdict["summary"] == (
        "the git ref origin/main is missing from this clone, so its policy could not be read: "
        f"no decision; fetch it with: {fix}"
    )
    assert "the policy is invalid" not in done.stdout + done.stderr
    clone.git(*fix.split()[1:])
    done = _check(clone, "--policy-ref", "auto", env=env)
    assert done.code == 1, done.stderr  # the base bar, read from origin/main
    assert _verdict(clone)["policy_changes"]["base_ref"] == "origin/main"


@pytest.mark.slow
def test_a_pr_that_introduces_the_gate_is_judged_by_its_own_policy(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "origin")
    repo.commit("no gate yet", {"README": "hello\n", "scenario.yml": SCENARIO})
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit("add the gate", {"sepurux.yml": PR.format(setting="review")})
    done = _check(repo, "--policy-ref", "main")
    assert done.code == 0, done.stderr
    verdict = _verdict(repo)
    assert verdict["policy_changes"]["judged_by"] == "head"
    assert any("introduces the gate" in note for note in verdict["notes"])


def _store_history(tmp_path: Path, store: str) -> tuple[Repo, list[str]]:
    """main: c0 (filed: refund failing), c1 and c2 (not filed, the gap); PR branch from c2."""
    repo = Repo.init(tmp_path / "origin")
    c0 = repo.commit(
        "the gate", {"sepurux.yml": BASE.format(setting="review"), "scenario.yml": SCENARIO}
    )
    old = _filed_verdict(c0)
    (tmp_path / "v.json").write_text(old, encoding="utf-8")
    args = ["record", str(tmp_path / "v.json"), "--store", store]
    assert run(repo.path, *args).code == 0
    c1 = repo.commit("work")
    c2 = repo.commit("more work")
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit("feature", {"app.txt": "x\n"})
    return repo, [c0, c1, c2]


def _filed_verdict(commit: str) -> str:
    from .conftest import verdict_json

    data = json.loads(verdict_json(commit, pass_rate=0.85, tools=("payments.refund",)))
    return json.dumps(data)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["dir", "git-notes"])
def test_baseline_auto_finds_the_nearest_filed_ancestor(tmp_path: Path, kind: str) -> None:
    store = str(tmp_path / "verdicts") if kind == "dir" else "git-notes"
    repo, (c0, _c1, c2) = _store_history(tmp_path, store)
    done = _check(repo, "--baseline", "auto", "--store", store, env={"GITHUB_BASE_REF": "main"})
    assert done.code == 1, done.stderr
    verdict = _verdict(repo)
    assert verdict["baseline"]["commit"] == c0
    assert verdict["baseline"]["commits_back"] == 2
    assert verdict["baseline"]["merge_base"] == c2
    core = verdict["campaigns"][0]
    assert core["baseline_run_id"] == f"run-{c0}"
    failures = {f["tool"]: f for f in core["failures"]}
    assert failures["payments.refund"]["status"] == "existing"
    assert failures["payments.refund"]["baseline_count"] == 2
    assert failures["orders.lookup"]["status"] == "new"
    check = next(c for c in core["checks"] if c["id"] == "failures:baseline")
    assert "new: orders.lookup" in check["message"]
    assert "orders.lookup" in done.stdout  # the GitHub annotations
    for name in ("junit.xml", "sarif.json", "gitlab.json", "comment.md", "report.html"):
        text = (repo.path / "out" / name).read_text(encoding="utf-8")
        assert "orders.lookup" in text and "new" in text, name


@pytest.mark.slow
def test_no_baseline_is_a_note_not_an_error(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    store = tmp_path / "empty-store"
    store.mkdir()
    env = {"GITHUB_BASE_REF": "main"}
    done = _check(repo, "--baseline", "auto", "--store", str(store), env=env)
    assert done.code == 0, done.stderr  # as without a baseline: the PR's policy, observe
    verdict = _verdict(repo)
    assert verdict["baseline"]["commit"] is None
    assert verdict["baseline"]["note"].startswith("no baseline")
    assert verdict["campaigns"][0].get("failures") is None


def test_baseline_auto_needs_a_store(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    done = _check(repo, "--baseline", "auto")
    assert done.code == 2
    assert "--store" in done.stderr


@pytest.mark.slow
def test_a_change_that_tightens_and_loosens_is_judged_at_the_strictest_of_both(
    tmp_path: Path,
) -> None:
    """The PR raises the bar (0.75 -> 0.85) and weakens the mode (hard -> observe): the
    raised bar counts at once, under the base's hard mode."""
    repo = Repo.init(tmp_path / "origin")
    base = "version: 1\nenforcement: {mode: hard}\nthresholds: {min_pass_rate: 0.75}\n"
    base += "campaigns: {core: {}}\n"
    repo.commit("the gate", {"sepurux.yml": base, "scenario.yml": SCENARIO})
    assert _check(repo).code == 0  # 0.8 >= 0.75
    repo.git("checkout", "-q", "-b", "pr")
    pr = base.replace("0.75", "0.85").replace("hard", "observe")
    repo.commit("raise the bar, weaken the mode", {"sepurux.yml": pr})
    assert _check(repo).code == 0  # its own policy: observe
    done = _check(repo, "--policy-ref", "main")
    assert done.code == 1, done.stderr
    verdict = _verdict(repo)
    assert verdict["policy_changes"]["judged_by"] == "both"
    assert verdict["policy_changes"]["review_required"] is True
    core = verdict["campaigns"][0]
    assert core["enforcement"]["mode"] == "hard"
    assert core["outcome"] == "fail" and core["blocking"] is True
    statuses = {c["id"]: c["status"] for c in core["checks"]}
    assert statuses["threshold:min_pass_rate"] == "fail"  # 0.8 < 0.85


@pytest.mark.slow
def test_a_monorepo_names_the_policy_that_loosened(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "origin")
    gate = BASE.format(setting="review")
    files = {"a/sepurux.yml": gate, "b/sepurux.yml": gate, "scenario.yml": SCENARIO}
    repo.commit("the gates", files)
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit("loosen b", {"b/sepurux.yml": PR.format(setting="review")})
    configs = ("--config", "a/sepurux.yml", "--config", "b/sepurux.yml")
    done = _check(repo, *configs, "--policy-ref", "main")
    assert done.code == 1, done.stderr
    verdict = _verdict(repo)
    assert verdict["policy_changes"]["review_required"] is True
    assert [p["path"] for p in verdict["policies"]] == ["a/sepurux.yml", "b/sepurux.yml"]
    checks = {c["key"]: [k["id"] for k in c["checks"]] for c in verdict["campaigns"]}
    assert "policy:changes" in checks["b/core"]
    assert "policy:changes" not in checks["a/core"]
