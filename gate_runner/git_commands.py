"""The few git commands governance needs, run in one repository with a timeout."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gate_runner.errors import UsageError

if TYPE_CHECKING:
    import subprocess

GIT_TIMEOUT_S = 60.0
_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?\Z")


class GitError(UsageError):
    """git is missing, this is not a repository, or a command failed: a usage error (exit 2)."""


class BlobTooLarge(GitError):
    """An object is over the caller's size cap; it was not read."""


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
        timeout: float = GIT_TIMEOUT_S,
    ) -> bytes:
        done = self._call(args, stdin, env, timeout)
        if done.returncode != 0:
            reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = reason[-1] if reason else f"exit {done.returncode}"
            raise GitError(f"git {' '.join(args[:2])} failed: {detail}")
        return done.stdout

    def blob(self, spec: str, limit: int) -> bytes:
        """The object `spec` names (``<commit>:<path>``, a blob sha), read only when <= limit.

        `cat-file -s` asks the size first; the read is streamed and stopped at the cap anyway,
        so a repository or a note can never make this process hold more than `limit` bytes.
        """
        return self.object("blob", spec, limit)

    def object(self, kind: str, spec: str, limit: int) -> bytes:
        """The raw content of an object of type `kind` (blob, tree, commit), capped as blob()."""
        size = int(self.text(["cat-file", "-s", "--end-of-options", spec]) or "0")
        if size > limit:
            raise BlobTooLarge(f"{spec} is {size:,} bytes, more than the {limit:,} allowed")
        return self._capped(["cat-file", kind, spec], limit)

    def _capped(self, args: Sequence[str], limit: int) -> bytes:
        # late: validate reads extends' git entries (is_full_sha) and never runs git
        import subprocess

        try:
            process = subprocess.Popen(
                ["git", *args],
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except FileNotFoundError:
            raise GitError("git is not installed (or not on PATH); it is needed here") from None
        assert process.stdout is not None and process.stderr is not None
        with process:
            chunks, size = [], 0
            while size <= limit:
                chunk = process.stdout.read(min(1 << 20, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if size > limit:
                process.kill()
                raise BlobTooLarge(f"git {' '.join(args[:2])}: more than {limit:,} bytes")
            stderr = process.stderr.read()
            code = process.wait()
        if code != 0:
            reason = stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {' '.join(args[:2])} failed: {reason[-1] if reason else code}")
        return b"".join(chunks)

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
        self,
        args: Sequence[str],
        stdin: bytes | None,
        env: Mapping[str, str] | None = None,
        timeout: float = GIT_TIMEOUT_S,
    ) -> subprocess.CompletedProcess[bytes]:
        # late: validate reads extends' git entries (is_full_sha) and never runs git
        import subprocess

        try:
            return subprocess.run(
                ["git", *args],
                cwd=self.cwd,
                env={**os.environ, **env} if env else None,
                input=stdin,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError:
            raise GitError("git is not installed (or not on PATH); it is needed here") from None
        except subprocess.TimeoutExpired:
            raise GitError(f"git {' '.join(args[:2])} took more than {timeout:g} s") from None
