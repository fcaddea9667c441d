"""`gate-runner diff` and the policy read from a git ref, over real repositories."""

from __future__ import annotations

import json
import shlex
import subprocess
from datetime import date
from pathlib import Path

import pytest

from gate_runner.git_commands import Git
from gate_runner.governance.diff.policy_diff import diff_policies
from gate_runner.governance.ref.git_source import resolve_policy_ref
from gate_runner.governance.ref.sides import load_ref_side, load_tree_side

from ..cli import run
from ..conftest import BASE_POLICY
from ..gitrepo import Repo, git_env, shallow_clone

TODAY = date(2026, 11, 29)


def _changes(repo: Repo) -> dict[str, tuple[str, str | None]]:
    git = Git(repo.path)
    config = repo.path / "svc" / "sepurux.yml"
    base = load_ref_side(git, resolve_policy_ref(git, "main", {}), config, env={})
    head = load_tree_side(config, env={})
    changes = diff_policies(base.policy, head.policy, today=TODAY)
    return {c.path: (c.effect, c.location) for c in changes}


def test_every_loosening_of_the_pr_is_found_with_the_line_that_made_it(pr_repo: Repo) -> None:
    found = _changes(pr_repo)
    head = str(pr_repo.path / "svc" / "sepurux.yml")
    platform = str(pr_repo.path / "platform" / "baseline.yml")
    assert found["enforcement.mode"] == ("loosens", f"{head}:7")
    assert found["gate.on_error"] == ("loosens", f"{head}:5")
    assert found["campaigns.core.thresholds.min_pass_rate"] == ("loosens", f"{head}:11")
    # A removed campaign points at where the base had it, in the ref.
    assert found["campaigns.extra"] == ("loosens", "main:svc/sepurux.yml:12")
    assert found["waivers.core.max_unsafe"] == ("loosens", f"{head}:13")
    # The extended file changed too; its line is in that file.
    assert found["assertions.refund-tool-stable.level"] == ("loosens", f"{platform}:8")
    assert set(found) == {
        "enforcement.mode",
        "gate.on_error",
        "campaigns.core.thresholds.min_pass_rate",
        "campaigns.extra",
        "waivers.core.max_unsafe",
        "assertions.refund-tool-stable.level",
    }


@pytest.mark.slow
def test_diff_exits_1_and_lists_changes_as_json(pr_repo: Repo) -> None:
    done = run(pr_repo.path / "svc", "diff", "main", "--format", "json")
    assert done.code == 1, done.stderr
    changes = json.loads(done.stdout)
    mode = next(c for c in changes if c["path"] == "enforcement.mode")
    assert mode == {
        "path": "enforcement.mode",
        "before": "hard",
        "after": "soft",
        "effect": "loosens",
        "location": "sepurux.yml:7",
        "reason": "mode hard -> soft",
    }
    assert {c["effect"] for c in changes} == {"loosens"}


@pytest.mark.slow
def test_diff_text_names_each_change(pr_repo: Repo) -> None:
    done = run(pr_repo.path / "svc", "diff", "main")
    assert done.code == 1
    assert (
        done.stdout.splitlines()[0]
        == "policy diff main -> sepurux.yml: 6 changes (6 loosen, 0 tighten)"
    )
    assert (
        "  loosens   campaigns.core.thresholds.min_pass_rate: 0.9 -> 0.7; "
        "min_pass_rate lowered  (sepurux.yml:11)"
    ) in done.stdout


@pytest.mark.slow
@pytest.mark.slow
def test_tightening_only_exits_0(pr_repo: Repo) -> None:
    pr_repo.write(
        "svc/sepurux.yml", BASE_POLICY.replace("min_pass_rate: 0.9", "min_pass_rate: 0.95")
    )
    done = run(pr_repo.path / "svc", "diff", "main", "--format", "json")
    # The platform file on the PR branch still downgrades the assertion: that loosens.
    assert done.code == 1, done.stdout
    paths = {c["path"]: c["effect"] for c in json.loads(done.stdout)}
    pr_repo.write("platform/baseline.yml", pr_repo.git("show", "main:platform/baseline.yml") + "\n")
    done = run(pr_repo.path / "svc", "diff", "main", "--format", "json")
    assert done.code == 0, done.stdout
    assert json.loads(done.stdout) == [
        {
            "path": "campaigns.core.thresholds.min_pass_rate",
            "before": 0.9,
            "after": 0.95,
            "effect": "tightens",
            "location": "sepurux.yml:11",
            "reason": "min_pass_rate raised",
        }
    ]
    assert paths["assertions.refund-tool-stable.level"] == "loosens"


@pytest.mark.slow
def test_the_same_policy_is_no_change(pr_repo: Repo) -> None:
    done = run(pr_repo.path / "svc", "diff", "pr", "HEAD")
    assert (done.code, done.stdout) == (
        0,
        "policy diff pr -> HEAD: no change to what the gate does\n",
    )


@pytest.mark.slow
def test_two_files_compare_without_git(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("version: 1\nenforcement: {mode: hard}\n")
    (tmp_path / "b.yml").write_text("version: 1\nenforcement: {mode: observe}\n")
    done = run(tmp_path, "diff", "a.yml", "b.yml", "--format", "json")
    assert done.code == 1
    assert json.loads(done.stdout)[0]["location"] == "b.yml:2"


def test_base_ref_is_read_from_git_not_the_working_tree(pr_repo: Repo) -> None:
    # The working tree's extended file says `warn`; main's says `error`: main is what counts.
    git = Git(pr_repo.path)
    side = load_ref_side(
        git, resolve_policy_ref(git, "main", {}), pr_repo.path / "svc" / "sepurux.yml", env={}
    )
    assert [a.level for a in side.policy.default_assertions] == ["error"]
    assert side.policy.path == "main:svc/sepurux.yml"
    assert [s.location for s in side.policy.sources] == [
        "main:platform/baseline.yml",
        "main:svc/sepurux.yml",
    ]


@pytest.mark.slow
@pytest.mark.slow
def test_a_shallow_clone_gets_the_one_fetch_command_that_fixes_it(
    pr_repo: Repo, tmp_path: Path
) -> None:
    clone = shallow_clone(pr_repo, tmp_path / "ci", "pr")
    env = {"GITHUB_BASE_REF": "main"}
    done = run(clone.path / "svc", "diff", "auto", env=env)
    assert done.code == 2
    # One fetch for both --policy-ref and --baseline auto: the ref and the checked-out
    # commit, each FETCH_DEPTH deep (depth 1 reads the files but finds no merge base).
    fix = (
        "git fetch --no-tags --depth=100 origin +refs/heads/main:refs/remotes/origin/main "
        + clone.head()
    )
    assert done.stderr == (
        "gate-runner: error: origin/main is not in this repository (this clone is shallow and "
        f"lacks it); fetch it with: {fix}\n"
    )
    subprocess.run(shlex.split(fix), cwd=clone.path, env=git_env(), check=True, capture_output=True)
    done = run(clone.path / "svc", "diff", env=env)  # BASE defaults to auto
    assert done.code == 1, done.stderr
    assert done.stdout.startswith("policy diff origin/main -> sepurux.yml: 6 changes")
    assert clone.git("merge-base", "HEAD", "origin/main") == pr_repo.git("rev-parse", "main")


@pytest.mark.slow
def test_auto_without_a_pull_request_says_what_to_pass(pr_repo: Repo) -> None:
    done = run(pr_repo.path / "svc", "diff", env={"CIRCLECI": "true"})
    assert done.code == 2
    assert done.stderr == (
        # `diff` has no --policy-ref: the message names what was asked, BASE's default.
        "gate-runner: error: auto: cannot tell the target branch: circleci does "
        "not expose a pull request's target branch; name the ref instead, e.g. origin/main\n"
    )


@pytest.mark.slow
def test_an_invalid_policy_at_the_ref_is_reported_at_its_ref_line(pr_repo: Repo) -> None:
    pr_repo.git("checkout", "-q", "main")
    pr_repo.commit("break", {"svc/sepurux.yml": "version: 1\nenforcement: {mode: lax}\n"})
    pr_repo.git("checkout", "-q", "pr")
    done = run(pr_repo.path / "svc", "diff", "main")
    assert done.code == 2
    assert done.stderr.startswith("main:svc/sepurux.yml:2:")


@pytest.mark.slow
def test_extends_leaving_the_repository_is_not_read_from_disk(
    pr_repo: Repo, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.yml"
    outside.write_text("version: 1\nenforcement: {mode: observe}\n")
    pr_repo.git("checkout", "-q", "main")
    pr_repo.commit("escape", {"svc/sepurux.yml": "version: 1\nextends: [../../outside.yml]\n"})
    pr_repo.git("checkout", "-q", "pr")
    done = run(pr_repo.path / "svc", "diff", "main")
    assert done.code == 2
    assert "main:svc/sepurux.yml:2:" in done.stderr
    assert "cannot read" in done.stderr


@pytest.mark.slow
def test_compare_with_ref_judges_a_loosening_pr_by_the_base(pr_repo: Repo) -> None:
    from gate_runner.governance.ref.ref_gate import compare_with_ref

    config = pr_repo.path / "svc" / "sepurux.yml"
    found = compare_with_ref(config, "main", env={}, today=TODAY, git=Git(pr_repo.path))
    assert found.decision.setting == "review"
    assert (found.decision.judge_by, found.decision.review_required) == ("base", True)
    assert found.judges == (found.base.policy,)
    assert found.base.policy.enforcement.mode == "hard"
    assert found.decision.message is not None
    assert found.decision.message.startswith("review required: this change loosens the gate (6 ")


@pytest.mark.slow
def test_a_policy_outside_the_repository_or_missing_at_the_ref(
    pr_repo: Repo, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.yml"
    outside.write_text("version: 1\n", encoding="utf-8")
    done = run(pr_repo.path, "diff", "main", "--config", str(outside))
    assert (done.code, done.stderr) == (
        2,
        f"gate-runner: error: {outside} is outside the repository, "
        "so it cannot be read from main\n",
    )
    done = run(pr_repo.path, "diff", "main", "--config", "nothere.yml")
    assert (done.code, done.stderr) == (
        2,
        "gate-runner: error: main has no nothere.yml: the policy is new in this change or was "
        "moved; nothing at that ref can judge it\n",
    )


@pytest.mark.slow
def test_neither_a_file_nor_a_repository(tmp_path: Path) -> None:
    (tmp_path / "sepurux.yml").write_text("version: 1\n", encoding="utf-8")
    done = run(tmp_path, "diff", "a.yml")
    assert (done.code, done.stderr) == (
        2,
        "gate-runner: error: a.yml: no such policy file, "
        "and no git repository here to read a ref\n",
    )
