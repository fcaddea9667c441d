"""ci/workspace.py: repository roots and where a location outside the repository lands."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gate_runner.ci.workspace import Place, place, repo_relative, repository_root


def _repo(root: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True)
    return root


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_chain_of_outside_parents_lands_on_the_repositorys_extends_line(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    far = _write(tmp_path / "central" / "far.yml", "version: 1\nthresholds: {max_unsafe: 0}\n")
    near = _write(
        tmp_path / "central" / "near.yml", "version: 1\n# extends: x\nextends: [far.yml]\n"
    )
    policy = _write(repo / "sepurux.yml", 'version: 1\nextends:\n  - "../central/near.yml"\n')
    sources = [str(far), str(near), str(policy)]
    spot = place(str(far), 2, 14, policy=str(policy), sources=sources, cwd=repo)
    assert spot == Place("sepurux.yml", 3, 6)
    assert place(str(near), 3, 1, policy=str(policy), sources=sources, cwd=repo) == spot


def test_an_outside_file_nothing_in_the_repository_names_keeps_its_path(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    policy = _write(repo / "sepurux.yml", "version: 1\n")
    other = _write(tmp_path / "elsewhere.yml", "version: 1\n")
    assert place(str(other), 1, 1, policy=str(policy), cwd=repo).path == str(other)


def test_relative_paths_resolve_from_the_working_directory(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    policy = _write(repo / "a" / "sepurux.yml", "version: 1\n")
    (repo / "b").mkdir()
    assert repo_relative("../a/sepurux.yml", policy="../a/sepurux.yml", cwd=repo / "b") == (
        "a/sepurux.yml"
    )
    assert repository_root(policy) == repo.resolve()


def test_without_a_root_paths_stay_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "BUILDKITE", "TF_BUILD"):
        monkeypatch.delenv(name, raising=False)
    policy = _write(tmp_path / "loose" / "sepurux.yml", "version: 1\n")
    assert repo_relative("./x\\y.yml", policy=str(policy), cwd=tmp_path) == "x/y.yml"
    assert place("sepurux.yml", 2, 3, policy=str(policy), cwd=policy.parent) == Place(
        "sepurux.yml", 2, 3
    )
