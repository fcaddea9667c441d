"""`--discover` finds every sepurux.yml git would show, and nothing .gitignore hides."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gate_runner.errors import UsageError
from gate_runner.monorepo import discover_policies


def _touch(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("version: 1\n", encoding="utf-8")


def test_in_a_git_checkout_ignored_files_are_skipped_untracked_ones_found(tmp_path: Path) -> None:
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", str(tmp_path)], check=True)
    _touch(tmp_path, "sepurux.yml", "services/api/sepurux.yml", "vendor/lib/sepurux.yml")
    (tmp_path / ".gitignore").write_text("vendor/\nbuild/\n", encoding="utf-8")
    subprocess.run([*git, "add", "sepurux.yml", ".gitignore"], cwd=tmp_path, check=True)
    _touch(tmp_path, "services/web/sepurux.yml", "build/out/sepurux.yml")  # untracked
    found = discover_policies(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "sepurux.yml",
        "services/api/sepurux.yml",
        "services/web/sepurux.yml",
    ]


def test_a_staged_file_deleted_from_the_work_tree_is_not_found(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    _touch(tmp_path, "a/sepurux.yml", "b/sepurux.yml")
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
    (tmp_path / "b" / "sepurux.yml").unlink()
    assert [p.relative_to(tmp_path).as_posix() for p in discover_policies(tmp_path)] == [
        "a/sepurux.yml"
    ]


def test_outside_git_the_tree_is_walked_without_hidden_or_dependency_dirs(tmp_path: Path) -> None:
    _touch(tmp_path, "x/sepurux.yml", ".cache/sepurux.yml", "node_modules/p/sepurux.yml")
    found = discover_policies(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["x/sepurux.yml"]


def test_no_policy_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"no sepurux\.yml"):
        discover_policies(tmp_path)
