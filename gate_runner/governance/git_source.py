"""Policy files read from a git ref (``git cat-file``), never from the working tree."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gate_runner.ci import no_target_branch_message, target_branch
from gate_runner.config.fetch import MAX_BYTES
from gate_runner.errors import UsageError
from gate_runner.files import RefusedFileError
from gate_runner.governance.git import BlobTooLarge, Git, GitError

AUTO = "auto"
_ABBREV_SHA = re.compile(r"[0-9a-fA-F]{7,64}\Z")


class RefMissing(UsageError):
    """The clone lacks the ref (shallow, or never fetched): the message names the fix."""

    def __init__(self, message: str, *, ref: str = "", fix: str = "") -> None:
        super().__init__(message)
        self.ref, self.fix = ref, fix


@dataclass(frozen=True)
class PolicyRef:
    """A ref as the user named it (``origin/main``) and the commit it resolved to."""

    name: str
    commit: str


def resolve_policy_ref(git: Git, spec: str, env: Mapping[str, str]) -> PolicyRef:
    """`spec` is a ref, a sha or ``auto`` (the PR's target branch); missing is an error, exit 2."""
    if spec == AUTO:
        branch = target_branch(env)
        if branch is None:
            raise UsageError(f"--policy-ref auto: {no_target_branch_message(env)}")
        candidates = [f"{_remote(git)}/{branch}", branch]
    else:
        candidates = [spec]
    for name in candidates:
        commit = git.commit_of(name)
        if commit is not None:
            return PolicyRef(name, commit)
    ref = candidates[0]
    raise RefMissing(missing_ref_message(git, ref), ref=ref, fix=fetch_command(git, ref))


def missing_ref_message(git: Git, ref: str) -> str:
    why = "this clone is shallow and lacks it" if git.is_shallow() else "this clone lacks it"
    return f"{ref} is not in this repository ({why}); fetch it with: {fetch_command(git, ref)}"


def fetch_command(git: Git, ref: str) -> str:
    """The one command that makes `ref` resolvable here; depth 1 is enough to read files."""
    remote = _remote(git)
    if _ABBREV_SHA.match(ref):
        return f"git fetch --no-tags --depth=1 {remote} {ref}"
    head, _, rest = ref.partition("/")
    if rest and head in git.remotes():
        remote, branch = head, rest
    else:
        branch = ref.removeprefix("refs/heads/")
        return f"git fetch --no-tags --depth=1 {remote} +refs/heads/{branch}:refs/heads/{branch}"
    tracking = f"refs/remotes/{remote}/{branch}"
    return f"git fetch --no-tags --depth=1 {remote} +refs/heads/{branch}:{tracking}"


def _remote(git: Git) -> str:
    """The remote a CI checkout fetched from: origin, else the only one there is."""
    remotes = git.remotes()
    return "origin" if "origin" in remotes or not remotes else remotes[0]


class GitRefReader:
    """Reads working-tree paths as they are at one commit; a path outside the repo is refused."""

    def __init__(self, git: Git, ref: PolicyRef) -> None:
        self.git, self.ref = git, ref
        self.root = Path(os.path.realpath(git.toplevel()))

    def relative(self, path: Path) -> str:
        absolute = Path(os.path.normpath(Path(os.path.realpath(path.parent)) / path.name))
        try:
            return absolute.relative_to(self.root).as_posix()
        except ValueError:
            raise FileNotFoundError(
                2, f"{path} is outside the repository, so it cannot be read from {self.ref.name}"
            ) from None

    def label(self, path: Path) -> str:
        """How a file at the ref is shown in origins: ``origin/main:svc/sepurux.yml``."""
        return f"{self.ref.name}:{self.relative(path)}"

    def __call__(self, path: Path) -> bytes:
        rel = self.relative(path)
        # cat-file gives the committed bytes exactly (`git show` would list a tree instead).
        try:
            return self.git.blob(f"{self.ref.commit}:{rel}", MAX_BYTES)
        except BlobTooLarge:
            # The same cap and words as a policy file on disk (files.read_regular).
            raise RefusedFileError(f"larger than {MAX_BYTES} bytes; refusing") from None
        except GitError:
            raise FileNotFoundError(2, f"{self.ref.name} has no file {rel}") from None
