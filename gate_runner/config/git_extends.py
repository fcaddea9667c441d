"""`extends: {git, ref, path}`: one file of a git repository at one commit, read from git's objects.

Each repository is fetched (``git fetch --depth 1``) into a bare repository under the policy
cache, one per URL, and read with ``ls-tree`` and a size-capped ``cat-file``: never through a
work tree. A full commit id is its own pin and, once cached, is read with no fetch at all; any
other ref needs the file's sha256, and the commit it led to is remembered per pin, so a cached
policy is still read when the host is down.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate_runner.config.fetch import (
    MAX_BYTES,
    FetchError,
    NotCached,
    Unreachable,
    check_url,
    time_left,
)
from gate_runner.config.remote_auth import valid_auth
from gate_runner.git_commands import BlobTooLarge, Git, GitError, is_full_sha

_SHA256 = re.compile(r"[0-9a-fA-F]{64}\Z")
# A branch, tag or full ref name as git writes them; never an option, a refspec or a revision
# expression (``main:refs/x``, ``HEAD~1``, ``-c``), which would ask git for something else.
_REF = re.compile(r"(?!-)[A-Za-z0-9._/-]+\Z")
_FILE_MODES = ("100644", "100755")  # as a raw tree writes them
_LINK_MODE = "120000"
# git's answers when the remote has no such ref or commit: the policy names it wrongly (exit 2).
_NO_SUCH_REF = ("couldn't find remote ref", "not our ref", "no such remote ref")


@dataclass(frozen=True)
class GitPin:
    """What a replay needs to read the same file again: the commit, not the ref."""

    url: str
    commit: str
    path: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": "git", "url": self.url, "commit": self.commit, "path": self.path}


@dataclass(frozen=True)
class GitPlace:
    """A policy file in a fetched repository; its relative `extends` resolve here, same commit."""

    pin: GitPin
    repo: Path  # the bare repository in the cache

    @property
    def shown(self) -> str:
        """How diagnostics and origins name the file: ``URL//path@commit``."""
        return f"{self.pin.url}//{self.pin.path}@{self.pin.commit[:12]}"

    @property
    def key(self) -> str:
        return f"git:{self.pin.url}@{self.pin.commit}:{self.pin.path}"

    def sibling(self, entry: str) -> GitPlace:
        """A relative `extends` of this file, in the same repository at the same commit."""
        base = posixpath.dirname(self.pin.path)
        return GitPlace(
            GitPin(self.pin.url, self.pin.commit, in_repository(entry, base)), self.repo
        )

    def read(self) -> bytes:
        return read_at(self)


def in_repository(path: str, base: str = "") -> str:
    """`path` (relative to `base`) normalised inside the repository; leaving it is refused."""
    joined = posixpath.normpath(posixpath.join(base, path))
    if path.startswith("/") or joined == ".." or joined.startswith("../") or joined == ".":
        raise FetchError(f"{path}: not a file inside the repository")
    return joined


def unpinned(entry: object) -> str | None:
    """Why a `{git, ref, path}` entry is not pinned (a ref that moves, no sha256), or None."""
    if not isinstance(entry, dict) or "git" not in entry or entry.get("sha256") is not None:
        return None
    ref = entry.get("ref")
    if not isinstance(ref, str) or is_full_sha(ref.lower()):
        return None
    return (
        f"ref {ref} is not a full commit id, so it can move: pin the file with its sha256 "
        "as well (sha256: <64 hex digits>), or name the full commit id as ref"
    )


def valid_git_entry(entry: object) -> bool:
    """A `{git, ref, path}` entry whose fields the fetch can use (else the schema reported it)."""
    if not isinstance(entry, dict):
        return False
    url, ref, path, sha256 = (entry.get(k) for k in ("git", "ref", "path", "sha256"))
    if not (isinstance(url, str) and isinstance(ref, str) and isinstance(path, str)):
        return False
    if _REF.match(ref) is None or ".." in ref:
        return False
    if sha256 is not None and not (isinstance(sha256, str) and _SHA256.match(sha256)):
        return False
    return (is_full_sha(ref.lower()) or sha256 is not None) and valid_auth(entry)


def check_git_url(url: str) -> None:
    """https (http for loopback), or a local repository as ``file:///path``."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "file" and not parts.netloc and parts.path.startswith("/"):
        return
    if "@" in parts.netloc:
        # git would send it, and every message naming the entry would show it.
        raise FetchError(f"{url}: a user or password in the URL; put the credential in auth")
    check_url(url)


def fetch_git(
    entry: Mapping[str, Any],
    cache_dir: Path,
    headers: Mapping[str, str],
    *,
    deadline: float | None,
    offline: bool,
) -> tuple[bytes, GitPlace]:
    """The file's bytes and where it lies: from the cache when the commit is there, else fetched.

    A pin that does not match (the file's sha256) is FetchError (exit 2); nothing that could
    be fetched is Unreachable (exit 3); offline with nothing cached is NotCached.
    """
    url, ref = str(entry["git"]), str(entry["ref"])
    check_git_url(url)
    path = in_repository(str(entry["path"]))
    sha256 = str(entry["sha256"]).lower() if entry.get("sha256") else None
    repo = _repository(cache_dir, url)
    git = Git(repo)
    full = is_full_sha(ref.lower())
    memo = repo / "gate-runner-pins" / _digest(f"{ref}\0{path}\0{sha256}")
    commit = ref.lower() if full else _remembered(memo)
    if commit is None or not git.ok(["cat-file", "-e", f"{commit}^{{commit}}"]):
        if offline:
            raise NotCached(
                f"{url}: {ref} is not in the policy cache, and --offline fetches nothing; "
                "skipped, so it was not validated"
            )
        commit = _fetch(git, url, ref, headers, deadline)
    place = GitPlace(GitPin(url, commit, path), repo)
    data = place.read()
    if sha256 is not None:
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise FetchError(
                f"sha256 mismatch for {place.shown}: the policy pins {sha256} but the file at "
                f"{ref} has {actual}; if the change is expected, review it and update the pin"
            )
    if not full:
        _remember(memo, commit)
    return data, place


def read_at(place: GitPlace) -> bytes:
    """The file's blob at the commit, size-capped; a symlink, a folder or a submodule is refused.

    Each object on the way (the commit, every tree, the blob) is checked against its id: the
    cache is a folder CI restores from other pipelines, and git does not re-hash what it
    reads, so a planted object would otherwise stand in for the pinned commit's file.
    """
    git, pin = Git(place.repo), place.pin
    try:
        commit = _verified(git, "commit", pin.commit)
        tree = commit.split(b"\n", 1)[0].removeprefix(b"tree ").decode("ascii", "replace")
        mode, obj = "40000", tree
        for name in pin.path.split("/"):
            if mode != "40000":
                raise FetchError(f"{place.shown}: the repository has no file {pin.path}")
            entry = _entries(_verified(git, "tree", obj), len(obj) // 2).get(name)
            if entry is None:
                raise FetchError(
                    f"{place.shown}: the repository has no file {pin.path} at that commit"
                )
            mode, obj = entry
        if mode == _LINK_MODE:
            raise FetchError(f"{place.shown}: a symlink; a policy is read from a file, refusing")
        if mode not in _FILE_MODES:
            raise FetchError(f"{place.shown}: not a file")
        return _verified(git, "blob", obj)
    except BlobTooLarge:
        raise FetchError(f"{place.shown}: larger than {MAX_BYTES} bytes; refusing") from None
    except GitError as error:
        raise FetchError(
            f"{place.shown}: cannot read it from the cached repository ({error})"
        ) from None


def _verified(git: Git, kind: str, oid: str) -> bytes:
    data = git.object(kind, oid, MAX_BYTES)
    header = f"{kind} {len(data)}\0".encode("ascii")
    hasher = hashlib.sha1 if len(oid) == 40 else hashlib.sha256  # git's object format
    if hasher(header + data).hexdigest() != oid:
        raise FetchError(f"{oid}: the cached {kind} does not match its id; clear the policy cache")
    return data


def _entries(tree: bytes, width: int) -> dict[str, tuple[str, str]]:
    """A raw tree object: name -> (mode, object id of `width` bytes); each entry is
    ``<mode> <name>NUL<id>``. A tree git would not have written is refused."""
    found: dict[str, tuple[str, str]] = {}
    at = 0
    while at < len(tree):
        space, nul = tree.find(b" ", at), tree.find(b"\0", at)
        if space < 0 or nul < space or nul + 1 + width > len(tree):
            raise FetchError("a malformed tree object in the cached repository; clear the cache")
        mode = tree[at:space].decode("ascii")
        name = tree[space + 1 : nul].decode("utf-8", "surrogateescape")
        found[name] = (mode, tree[nul + 1 : nul + 1 + width].hex())
        at = nul + 1 + width
    return found


def git_env(url: str, headers: Mapping[str, str], base: Mapping[str, str]) -> dict[str, str]:
    """What `git fetch` runs with: never a prompt, no redirect, the credential for `url` only.

    The header goes in as configuration through the environment (GIT_CONFIG_COUNT), so it is
    never on a command line; ``http.<url>.extraHeader`` sends it only to that URL, and with
    redirects off git never carries it to another host.
    """
    env = {
        "GIT_TERMINAL_PROMPT": "0",
        "GCM_INTERACTIVE": "never",
        "GIT_ALLOW_PROTOCOL": "file:http:https",
    }
    settings = [("http.followRedirects", "false")]
    settings += [(f"http.{url}.extraHeader", f"{name}: {value}") for name, value in headers.items()]
    count = base.get("GIT_CONFIG_COUNT", "")
    first = int(count) if count.isdigit() else 0  # the CI's own settings stay in force
    for index, (key, value) in enumerate(settings, start=first):
        env[f"GIT_CONFIG_KEY_{index}"], env[f"GIT_CONFIG_VALUE_{index}"] = key, value
    env["GIT_CONFIG_COUNT"] = str(first + len(settings))
    return env


def _fetch(git: Git, url: str, ref: str, headers: Mapping[str, str], deadline: float | None) -> str:
    left = time_left(deadline)
    if left <= 0:
        raise Unreachable(f"{url}: not fetched, the gate's --timeout has passed")
    # A local ref of its own: FETCH_HEAD is shared by every gate that uses this cache.
    local = f"refs/gate-runner/{_digest(f'{os.getpid()}:{ref}')[:16]}"
    args = ["fetch", "--quiet", "--depth=1", "--no-tags", "--end-of-options", url]
    try:
        git.run([*args, f"+{ref}:{local}"], env=git_env(url, headers, os.environ), timeout=left)
        commit = git.text(["rev-parse", "--verify", "--end-of-options", f"{local}^{{commit}}"])
    except GitError as error:
        detail = str(error).partition("failed: ")[2] or str(error)
        if any(words in detail.lower() for words in _NO_SUCH_REF):
            raise FetchError(f"{url}: the repository has no {ref} ({detail})") from None
        raise Unreachable(f"{url}: cannot fetch {ref} ({detail}); nothing cached for it") from None
    finally:
        git.ok(["update-ref", "-d", local])
    return commit


def _repository(cache_dir: Path, url: str) -> Path:
    repo = cache_dir / "git" / f"{_digest(url)[:32]}.git"
    if not (repo / "HEAD").is_file():
        try:
            repo.parent.mkdir(parents=True, exist_ok=True)
            Git(repo.parent).run(["init", "--quiet", "--bare", str(repo)])
        except (OSError, GitError) as error:
            raise FetchError(
                f"{url}: cannot make its cache repository in {repo} ({error})"
            ) from None
    return repo


def _remembered(memo: Path) -> str | None:
    try:
        text = memo.read_text("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if is_full_sha(text) else None


def _remember(memo: Path, commit: str) -> None:
    # A cache that cannot be written only costs a fetch next time.
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        memo.write_text(commit + "\n", "ascii")
    except OSError:
        return


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
