"""Policy files read from a git ref (``git cat-file``), never from the working tree."""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gate_runner.ci import no_target_branch_message, target_branch
from gate_runner.config.fetch import MAX_BYTES
from gate_runner.errors import UsageError
from gate_runner.files import RefusedFileError
from gate_runner.git_commands import BlobTooLarge, Git

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
            # Named as asked (`check --policy-ref auto`, `diff`'s default BASE).
            raise UsageError(f"{AUTO}: {no_target_branch_message(env)}")
        candidates = [f"{_remote(git)}/{branch}", branch]
    elif spec.startswith(("/", "./", "../")) and git.commit_of(spec) is None:
        # No ref can start so: there is nothing to fetch, and a fetch command would mislead.
        raise UsageError(f"{spec} is a path, not a git ref: name a branch, tag or commit (or auto)")
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


# How many first-parent commits before the merge base --baseline auto searches for a filed
# verdict: a store that has missed more merges than this is too stale to compare with.
MAX_COMMITS_BACK = 50
# The one fetch depth every suggestion names (the CI templates' GIT_DEPTH and fetch-depth
# too): --policy-ref needs only the ref's commit, --baseline auto the merge base and
# MAX_COMMITS_BACK commits before it, so the rest leaves room for the pull request's own
# commits and for the target branch to move on after it branched.
FETCH_DEPTH = 2 * MAX_COMMITS_BACK


def fetch_command(git: Git, ref: str) -> str:
    """The one command that makes `ref` resolvable here and serves --baseline auto too.

    In a shallow clone it fetches the ref and deepens the checked-out commit, both to
    FETCH_DEPTH (by its sha: a merge request's head may be on no branch the clone knows), so
    the merge base is found; depth 1 would read the ref's files and find no merge base. A
    full clone gets the ref's whole history, never a depth that would make it shallow.
    """
    remote, refspec = _refspec(git, ref)
    if not git.is_shallow():
        return f"git fetch --no-tags {remote} {refspec}"
    head = git.commit_of("HEAD")
    also = f" {head}" if head and head != refspec else ""
    return f"git fetch --no-tags --depth={FETCH_DEPTH} {remote} {refspec}{also}"


def deepen_command(git: Git, ref: str, commits: int) -> str:
    """The command that deepens every shallow boundary of this clone (the checked-out
    commit's and the ref's) by `commits`: for a history search the clone cut short."""
    remote, refspec = _refspec(git, ref)
    return f"git fetch --no-tags --deepen={commits} {remote} {refspec}"


def _refspec(git: Git, ref: str) -> tuple[str, str]:
    """The remote to fetch `ref` from and the refspec that makes `ref` name it here."""
    remote = _remote(git)
    if _ABBREV_SHA.match(ref):
        return remote, ref
    first, _, rest = ref.partition("/")
    if rest and first in git.remotes():
        return first, f"+refs/heads/{rest}:refs/remotes/{first}/{rest}"
    branch = ref.removeprefix("refs/heads/")
    return remote, f"+refs/heads/{branch}:refs/heads/{branch}"


def _remote(git: Git) -> str:
    """The remote a CI checkout fetched from: origin, else the only one there is."""
    remotes = git.remotes()
    return "origin" if "origin" in remotes or not remotes else remotes[0]


# Modes of a tree entry (git's object model): a regular file, an executable, a directory, a
# symlink. Anything else (a submodule) is not a file a policy can be read from.
_FILE_MODES = ("100644", "100755")
_TREE, _LINK = "040000", "120000"
_MAX_LINKS = 40  # as the kernel's ELOOP
_MAX_LINK_BYTES = 4096  # PATH_MAX: a symlink's target is a path


class GitRefReader:
    """Reads working-tree paths as they are at one commit, from git's objects only.

    A path is taken as the user named it (from the shell's working directory, `$PWD`), made
    relative to the repository without looking at the working tree, and then resolved in the
    TREE at the commit: a symlink there is followed within that tree, one that leaves it is
    refused. A symlink the working tree has (a pull request's ``svc -> lax``) never redirects
    what is read, and a path outside the repository is refused.
    """

    def __init__(self, git: Git, ref: PolicyRef) -> None:
        self.git, self.ref = git, ref
        self.root = Path(os.path.realpath(git.toplevel()))
        self._trees: dict[str, dict[str, tuple[str, str]]] = {}

    def relative(self, path: Path) -> str:
        """The path inside the repository, as named: no working-tree symlink is followed."""
        parts = as_named(path).parts
        # The shortest ancestor that is the repository (reached through whatever symlinks
        # lead to the checkout); everything below it is a path in the tree, taken as written.
        for i in range(1, len(parts) + 1):
            if Path(os.path.realpath(Path(*parts[:i]))) == self.root:
                return "/".join(parts[i:])
        raise FileNotFoundError(
            2, f"{path} is outside the repository, so it cannot be read from {self.ref.name}"
        )

    def label(self, path: Path) -> str:
        """How a file at the ref is shown in origins: ``origin/main:svc/sepurux.yml``."""
        return f"{self.ref.name}:{self.relative(path)}"

    def resolve(self, path: Path) -> Path:
        """`path` with every symlink resolved in the tree at the ref (the loader's realpath)."""
        resolved, _mode, _obj = self._in_tree(self.relative(path))
        return self.root / resolved if resolved else self.root

    def __call__(self, path: Path, limit: int = MAX_BYTES) -> bytes:
        rel = self.relative(path)
        _resolved, mode, obj = self._in_tree(rel)
        if mode not in _FILE_MODES:
            raise IsADirectoryError(errno.EISDIR, f"{self.ref.name}:{rel} is not a file")
        # The blob by its id: the committed bytes exactly, never more than the cap.
        try:
            return self.git.blob(obj, limit)
        except BlobTooLarge:
            # The same cap and words as a file on disk (files.read_regular).
            raise RefusedFileError(f"larger than {limit} bytes; refusing") from None

    def _in_tree(self, rel: str) -> tuple[str, str, str]:
        """(resolved path, mode, object id) of `rel` in the tree at the ref."""
        pending = [p for p in rel.split("/") if p not in ("", ".")]
        done: list[str] = []
        mode, obj, links = _TREE, f"{self.ref.commit}^{{tree}}", 0
        while pending:
            name = pending.pop(0)
            if name == "..":
                if not done:
                    raise OSError(errno.ELOOP, f"{self.ref.name}:{rel} leaves the repository")
                done.pop()
                mode, obj = _TREE, self._tree_id(done)
                continue
            entry = self._entries(done).get(name) if mode == _TREE else None
            if entry is None:
                raise FileNotFoundError(2, f"{self.ref.name} has no file {rel}")
            mode, obj = entry
            if mode == _LINK:
                links += 1
                try:
                    target = self.git.blob(obj, _MAX_LINK_BYTES).decode("utf-8", "replace")
                except BlobTooLarge:
                    raise OSError(
                        errno.ENAMETOOLONG, f"{self.ref.name}:{rel}: a long link"
                    ) from None
                if links > _MAX_LINKS or target.startswith("/"):
                    why = "a symlink loop" if links > _MAX_LINKS else "a symlink out of the tree"
                    raise OSError(errno.ELOOP, f"{self.ref.name}:{rel} is {why}")
                pending = target.split("/") + pending
                mode, obj = _TREE, self._tree_id(done)
                continue
            done.append(name)
        return "/".join(done), mode, obj

    def _tree_id(self, parts: list[str]) -> str:
        return f"{self.ref.commit}:{'/'.join(parts)}" if parts else f"{self.ref.commit}^{{tree}}"

    def _entries(self, parts: list[str]) -> dict[str, tuple[str, str]]:
        """The entries of one directory at the ref: name -> (mode, object id)."""
        key = "/".join(parts)
        if key not in self._trees:
            # --full-tree: from a subdirectory, ls-tree would list only what is under it.
            listing = self.git.run(["ls-tree", "-z", "--full-tree", self._tree_id(parts)])
            entries: dict[str, tuple[str, str]] = {}
            for item in listing.split(b"\0"):
                meta, tab, name = item.partition(b"\t")
                if tab:
                    mode, _kind, obj = meta.decode("ascii").split(" ")
                    entries[name.decode("utf-8", "surrogateescape")] = (mode, obj)
            self._trees[key] = entries
        return self._trees[key]


def as_named(path: Path) -> Path:
    """`path` made absolute from the directory the user named (`$PWD`), normalised as text."""
    return Path(os.path.normpath(_logical_cwd() / path))


def _logical_cwd() -> Path:
    """The working directory as the shell names it: `$PWD` when it is this directory.

    After ``cd svc`` where svc is a symlink, getcwd() says where the link points; the
    path the user means is the one they typed.
    """
    pwd = os.environ.get("PWD", "")
    try:
        if os.path.isabs(pwd) and os.path.samefile(pwd, "."):
            return Path(pwd)
    except OSError:
        pass
    return Path.cwd()
