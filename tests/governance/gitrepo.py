"""Real git repositories in a temporary folder: commits, branches, shallow clones."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_ENV)
    env["HOME"] = env.get("HOME", "/tmp")
    return env


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def init(cls, path: Path, branch: str = "main") -> Repo:
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path)
        repo.git("init", "-q", "-b", branch)
        repo.git("config", "commit.gpgsign", "false")
        return repo

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=git_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"git {args}: {done.stderr}"
        return done.stdout.strip()

    def write(self, rel: str, text: str) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return target

    def commit(self, message: str, files: dict[str, str] | None = None) -> str:
        for rel, text in (files or {}).items():
            self.write(rel, text)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")


def shallow_clone(origin: Repo, target: Path, branch: str) -> Repo:
    """What CI checks out: one commit of one branch, with `origin` as its remote."""
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", "--single-branch", "--branch", branch,
         f"file://{origin.path}", str(target)],
        env=git_env(),
        check=True,
        capture_output=True,
    )  # fmt: skip
    return Repo(target)
