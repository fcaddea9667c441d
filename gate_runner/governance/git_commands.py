"""The few git commands governance needs, run in one repository with a timeout."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from gate_runner.errors import UsageError

GIT_TIMEOUT_S = 60.0
_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?\Z")


class GitError(UsageError):
    """git is missing, this is not a repository, or a command failed: a usage error (exit 2)."""


def is_full_sha(text: str) -> bool:
    return _SHA.match(text) is not None


class Git:
    """One repository; every call returns text or raises GitError with git's own first line."""

    def __init__(self, cwd: Path | None = None) -> None:
        self.cwd = cwd

    def run(
        self,
        args: Sequence[str],
        *,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
    ) -> bytes:
        done = self._call(args, stdin, env)
        if done.returncode != 0:
            reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = reason[-1] if reason else f"exit {done.returncode}"
            raise GitError(f"git {' '.join(args[:2])} failed: {detail}")
        return done.stdout

    def text(self, args: Sequence[str]) -> str:
        return self.run(args).decode("utf-8", "replace").strip()

    def ok(self, args: Sequence[str]) -> bool:
        return self._call(args, None).returncode == 0

    def commit_of(self, ref: str) -> str | None:
        """The full sha `ref` names in this clone, or None when the clone lacks it."""
        done = self._call(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], None
        )
        out = done.stdout.decode("ascii", "replace").strip()
        return out if done.returncode == 0 and is_full_sha(out) else None

    def toplevel(self) -> Path:
        return Path(self.text(["rev-parse", "--show-toplevel"]))

    def is_shallow(self) -> bool:
        return self._call(["rev-parse", "--is-shallow-repository"], None).stdout.strip() == b"true"

    def remotes(self) -> list[str]:
        return self.text(["remote"]).split()

    def _call(
        self, args: Sequence[str], stdin: bytes | None, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                ["git", *args],
                cwd=self.cwd,
                env={**os.environ, **env} if env else None,
                input=stdin,
                capture_output=True,
                timeout=GIT_TIMEOUT_S,
                check=False,
            )
        except FileNotFoundError:
            raise GitError("git is not installed (or not on PATH); it is needed here") from None
        except subprocess.TimeoutExpired:
            raise GitError(f"git {' '.join(args[:2])} took more than {GIT_TIMEOUT_S:g} s") from None
