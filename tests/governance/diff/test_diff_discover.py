"""`gate-runner diff --discover`: every policy of a monorepo, the base read from git's objects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..cli import run
from ..gitrepo import Repo

POLICY = """
version: 1
enforcement: {{mode: hard}}
campaigns:
  core:
    campaign: {name}
    thresholds: {{min_pass_rate: {bar}}}
"""


def policy(name: str, bar: float) -> str:
    return POLICY.format(name=name, bar=bar)


@pytest.fixture
def monorepo(tmp_path: Path) -> Repo:
    """main: a, b and c; the PR (checked out) lowers a, deletes b, keeps c, adds d."""
    repo = Repo.init(tmp_path / "mono")
    repo.commit(
        "three gates",
        {
            "a/sepurux.yml": policy("a", 0.9),
            "b/sepurux.yml": policy("b", 0.9),
            "c/sepurux.yml": policy("c", 0.9),
        },
    )
    repo.git("checkout", "-q", "-b", "pr")
    repo.git("rm", "-q", "b/sepurux.yml")
    repo.commit("the PR", {"a/sepurux.yml": policy("a", 0.8), "d/sepurux.yml": policy("d", 0.9)})
    return repo


@pytest.mark.slow
def test_every_policy_is_compared_and_a_deleted_one_loosens(monorepo: Repo) -> None:
    done = run(monorepo.path, "diff", "--discover", "main", "--format", "json")
    assert done.code == 1, done.stderr
    diffs = {d["config"]: d for d in json.loads(done.stdout)}
    assert sorted(diffs) == ["a/sepurux.yml", "b/sepurux.yml", "c/sepurux.yml", "d/sepurux.yml"]
    (lowered,) = diffs["a/sepurux.yml"]["changes"]
    assert (lowered["path"], lowered["before"], lowered["after"], lowered["effect"]) == (
        "campaigns.core.thresholds.min_pass_rate",
        0.9,
        0.8,
        "loosens",
    )
    assert diffs["a/sepurux.yml"]["base"] == "main:a/sepurux.yml"
    deleted = diffs["b/sepurux.yml"]
    assert deleted["removed"] is True and deleted["introduced"] is False
    assert {c["path"]: c["effect"] for c in deleted["changes"]}["policy"] == "loosens"
    assert "campaigns.core" in {c["path"] for c in deleted["changes"]}
    assert diffs["c/sepurux.yml"]["changes"] == []
    added = diffs["d/sepurux.yml"]
    assert added["introduced"] is True and added["removed"] is False
    assert {c["effect"] for c in added["changes"]} == {"tightens"}


@pytest.mark.slow
def test_the_text_names_each_policy_and_sums_up(monorepo: Repo) -> None:
    done = run(monorepo.path, "diff", "--discover", "main")
    assert done.code == 1, done.stderr
    lines = done.stdout.splitlines()
    assert "policy diff main:d/sepurux.yml (none) -> d/sepurux.yml: introduces the gate" in lines
    assert "policy diff main:c/sepurux.yml -> c/sepurux.yml: no change to what the gate does" in (
        lines
    )
    assert lines[-1] == (
        "policy diff --discover main: 4 policies, 2 loosen (a/sepurux.yml, b/sepurux.yml), "
        "1 introduced"
    )


@pytest.mark.slow
def test_a_working_tree_symlink_does_not_redirect_the_base(monorepo: Repo) -> None:
    """`c -> a` in the working tree: the base still reads c's own policy from the ref."""
    repo = monorepo
    repo.git("rm", "-q", "-r", "c")
    (repo.path / "c").symlink_to("a")
    repo.commit("c -> a")
    done = run(repo.path, "diff", "--discover", "main", "--format", "json")
    diffs = {d["config"]: d for d in json.loads(done.stdout)}
    changes = {c["path"]: c for c in diffs["c/sepurux.yml"]["changes"]}
    # The ref's c (campaign c, 0.9) against what the tree now reads there (a's, 0.8).
    assert changes["campaigns.core.campaign"]["before"] == "c"
    assert changes["campaigns.core.thresholds.min_pass_rate"]["effect"] == "loosens"


@pytest.mark.slow
def test_nothing_loosens_exits_0(monorepo: Repo) -> None:
    monorepo.commit(
        "restore", {"a/sepurux.yml": policy("a", 0.95), "b/sepurux.yml": policy("b", 0.9)}
    )
    done = run(monorepo.path, "diff", "--discover", "main")
    assert done.code == 0, done.stdout + done.stderr
    assert (
        done.stdout.splitlines()[-1]
        == "policy diff --discover main: 4 policies, 0 loosen, 1 introduced"
    )


@pytest.mark.slow
def test_discover_with_a_head_is_a_usage_error(monorepo: Repo) -> None:
    done = run(monorepo.path, "diff", "--discover", "main", "HEAD")
    assert done.code == 2
    assert "diff --discover compares BASE with the working tree" in done.stderr
    done = run(monorepo.path, "diff", "--discover", "main", "--config", "a/sepurux.yml")
    assert done.code == 2
    assert "diff --discover finds every sepurux.yml: drop --config" in done.stderr


@pytest.mark.slow
def test_discover_outside_a_repository_says_so(tmp_path: Path) -> None:
    (tmp_path / "sepurux.yml").write_text("version: 1\n", encoding="utf-8")
    done = run(tmp_path, "diff", "--discover", "main")
    assert (done.code, done.stderr) == (
        2,
        "gate-runner: error: diff --discover reads main from git, and there is no git "
        "repository here\n",
    )


@pytest.mark.slow
def test_a_file_for_base_is_no_ref_to_fetch(monorepo: Repo) -> None:
    # BASE is a ref or auto; a path no ref can be is said to be one, never sent to
    # `git fetch` as a branch name (+refs/heads/./a/sepurux.yml).
    done = run(monorepo.path, "diff", "--discover", "./a/sepurux.yml")
    assert (done.code, done.stdout) == (2, ""), done.stderr
    assert done.stderr == (
        "gate-runner: error: ./a/sepurux.yml is a path, not a git ref: name a branch, tag or "
        "commit (or auto)\n"
    )
