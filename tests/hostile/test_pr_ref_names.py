"""A ref is resolved as a ref, never as a file the pull request adds under its name (issue 20)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from governance.cli import run

from .prrepo import LAX, STRICT, pull_request, shallow_pull_request

pytestmark = pytest.mark.slow  # each runs gate-runner and git several times


@pytest.mark.parametrize("name", ["origin/main", "main"])
def test_a_file_named_like_the_ref_is_not_what_diff_compares_with(
    tmp_path: Path, name: str
) -> None:
    # The pull request loosens sepurux.yml and adds its own copy under the ref's name.
    repo = pull_request(tmp_path, {"sepurux.yml": STRICT}, {"sepurux.yml": LAX, name: LAX})
    done = run(repo.path, "diff", name, "--format", "json")
    assert done.code == 1, done.stdout + done.stderr
    paths = {c["path"]: c["effect"] for c in json.loads(done.stdout)}
    assert paths["thresholds.min_pass_rate"] == "loosens"
    assert paths["enforcement.mode"] == "loosens"


def test_a_file_named_auto_is_not_the_target_branch(tmp_path: Path) -> None:
    repo = pull_request(tmp_path, {"sepurux.yml": STRICT}, {"sepurux.yml": LAX, "auto": LAX})
    for args in (("diff",), ("diff", "auto")):
        done = run(repo.path, *args, env={"GITHUB_ACTIONS": "true", "GITHUB_BASE_REF": "main"})
        assert done.code == 1, done.stdout + done.stderr
        assert "policy diff origin/main -> sepurux.yml" in done.stdout


def test_a_ref_missing_from_a_shallow_clone_is_not_read_from_a_file(tmp_path: Path) -> None:
    repo = shallow_pull_request(
        tmp_path, {"sepurux.yml": STRICT}, {"sepurux.yml": LAX, "origin/main": LAX}
    )
    done = run(repo.path, "diff", "origin/main")
    assert done.code == 2, done.stdout + done.stderr
    assert "origin/main is not in this repository" in done.stderr
    assert "git fetch --no-tags" in done.stderr
    assert done.stdout == ""


def test_a_policy_file_is_still_compared_when_named_as_a_file(tmp_path: Path) -> None:
    repo = pull_request(tmp_path, {"sepurux.yml": STRICT}, {"sepurux.yml": LAX, "old.yml": STRICT})
    for base in ("old.yml", "./old.yml", str(repo.path / "old.yml")):
        done = run(repo.path, "diff", base, "sepurux.yml", "--format", "json")
        assert done.code == 1, done.stdout + done.stderr
        assert "thresholds.min_pass_rate" in {c["path"] for c in json.loads(done.stdout)}
