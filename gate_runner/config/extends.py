"""Resolves ``extends``: local files relative to the naming file, pinned URLs and git files.

Every file is read, parsed and checked once, and applied once, at the first place the
walk (parents first, in order) reaches it: a file that two parents share is not applied
twice, and a chain of files that each extend the next one twice stays linear.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from gate_runner.config.fetch import (
    MAX_BYTES,
    Fetcher,
    FetchError,
    NotCached,
    Unreachable,
    fetch_pinned,
)
from gate_runner.config.git_extends import (
    GitPin,
    GitPlace,
    fetch_git,
    unpinned,
    valid_git_entry,
)
from gate_runner.config.load import check_document, named_token_env, parse
from gate_runner.config.remote_auth import auth_headers, auth_of, named_auth_envs, valid_auth
from gate_runner.config.schema import default_token_env
from gate_runner.config.yaml_positions import Document
from gate_runner.errors import Diagnostic
from gate_runner.files import read_regular

_SHA256 = re.compile(r"[0-9a-fA-F]{64}\Z")
# Files in one chain of extends, the root included: a hand-written hierarchy needs a few; a
# crafted chain of hundreds would exhaust the walk's recursion (exit 4 with no verdict).
MAX_DEPTH = 32

# Reads one local policy file (the one named and its local extends), given its absolute,
# normalised path (symlinks resolved where they exist). The default reads the file system;
# `check --policy-ref` passes one that reads a git ref. Raise OSError (its strerror, or its
# message, follows "cannot read <file>: ") for a file it cannot give.
Reader = Callable[[Path], bytes]


@runtime_checkable
class TreeReader(Protocol):
    """A Reader that resolves paths itself (a git ref's tree): the loader asks it, never the
    file system, where a path leads, so no working-tree symlink redirects it."""

    def __call__(self, path: Path) -> bytes: ...

    def resolve(self, path: Path) -> Path: ...


def read_local_file(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_BYTES; anything else raises OSError."""
    return read_regular(path, MAX_BYTES, must="a policy must be a file")


def read_error_text(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


@dataclass
class Source:
    """One file of the policy, in merge order, with the chain of extends that reached it."""

    location: str  # what diagnostics and origins show: a cwd-relative path or the URL
    data: bytes = field(repr=False)
    doc: Document
    base_dir: Path | None  # where its relative paths point; None for a URL or a git file
    chain: tuple[str, ...]
    pin: GitPin | None = None  # a git file: the commit it was read at (what replay records)

    @property
    def sha256(self) -> str:
        import hashlib  # ~5 ms (OpenSSL); validate never needs a digest

        return hashlib.sha256(self.data).hexdigest()


def display(path: Path) -> str:
    """A path relative to the working directory when it is under it, else as absolute."""
    absolute = Path(os.path.normpath(path.absolute()))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(absolute)


def leads_to(read: Reader | None) -> Callable[[Path], Path]:
    """Where a path leads for `read`: the file system's realpath, or the tree it reads."""
    return read.resolve if isinstance(read, TreeReader) else _real


def _real(path: Path) -> Path:
    # Path.resolve() raises RuntimeError on a symlink loop (before 3.13); realpath returns
    # the path, and reading it then fails with a clean ELOOP.
    return Path(os.path.realpath(path))


def _pinned_url(entry: object) -> bool:
    # Anything else is a schema error, already reported; never fetch without a valid pin.
    if not isinstance(entry, dict):
        return False
    url, sha256 = entry.get("url"), entry.get("sha256")
    return (
        isinstance(url, str)
        and url.startswith(("http://", "https://"))
        and isinstance(sha256, str)
        and _SHA256.match(sha256) is not None
        and valid_auth(entry)
    )


class Resolver:
    """Walks a policy and its extends; `sources` come out parents first.

    offline: a pinned URL not in the cache is skipped with a warning instead of fetched.
    `complete` turns False when a parent is missing (skipped, or it could not be read):
    checks that need the whole policy (what a waiver names) must not run on the rest.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        cache_dir: Path,
        fetcher: Fetcher | None,
        *,
        read: Reader | None = None,
        offline: bool = False,
        deadline: float | None = None,
        replaced: Mapping[str, bytes] | None = None,
    ) -> None:
        self.env, self.cache_dir = env, cache_dir
        # URL -> the bytes read in its place, unfetched and unpinned (`replay --policy`'s
        # candidate for the central file it replaces); the loader checks them as any file.
        self.replaced = replaced or {}
        self.fetcher = _not_cached if offline else fetcher
        self.offline, self.deadline = offline, deadline
        self.read = read or read_local_file
        self.real = leads_to(read)
        self.sources: list[Source] = []
        self.diagnostics: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.complete = True
        # Every api.token_env and extends auth.env a file names, and the default: secrets,
        # none goes into a path or URL.
        self.token_envs: list[str] = [default_token_env()]
        # Diagnostics of remote files that could not be fetched: no decision, not invalid.
        self.unreachable: list[Diagnostic] = []
        self._seen: set[str] = set()

    def resolve_root(self, path: Path, shown: str) -> None:
        try:
            real = self.real(path)
            data = self.read(real)
        except OSError as exc:
            self.diagnostics.append(
                Diagnostic(shown, 1, 1, f"cannot read the policy: {read_error_text(exc)}")
            )
            return
        self._seen.add(str(real))
        self._visit(data, shown, real.parent, (), [(str(real), shown)])

    def resolve_pinned_root(self, url: str, sha256: str) -> None:
        """A pinned URL as the policy named (`--floor URL#sha256=...`), fetched as `extends`."""
        if not _pinned_url({"url": url, "sha256": sha256}):
            message = "expected a path, or an https URL pinned as URL#sha256=<64 hex digits>"
            self.diagnostics.append(Diagnostic(url, 1, 1, message))
            return
        try:
            data = fetch_pinned(url, sha256, self.cache_dir, self.fetcher)
        except NotCached as exc:
            self.complete = False
            self.warnings.append(Diagnostic(url, 1, 1, str(exc)))
            return
        except FetchError as exc:
            self.complete = False
            self._failed(Diagnostic(url, 1, 1, str(exc)), exc)
            return
        self._seen.add(url)
        self._visit(data, url, None, (), [(url, url)])

    def _visit(
        self,
        data: bytes,
        shown: str,
        base: Path | GitPlace | None,
        chain: tuple[str, ...],
        stack: list[tuple[str, str]],
    ) -> None:
        def report(found: list[Diagnostic]) -> None:
            self.diagnostics.extend(
                Diagnostic(d.file, d.line, d.col, d.message, chain) for d in found
            )

        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            report([Diagnostic(shown, 1, 1, "the policy is not UTF-8 text")])
            return
        doc, problems = parse(text, shown)
        report(problems)
        if doc is None:
            return
        for named in (named_token_env(doc), *named_auth_envs(doc.data)):
            if named is not None and named not in self.token_envs:
                self.token_envs.append(named)
        report(check_document(doc, self.env, self.token_envs))
        entries = doc.data.get("extends") if isinstance(doc.data, dict) else None
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            line = doc.pos(("extends", index))[0]
            self._follow(doc, index, entry, base, chain=(*chain, f"{shown}:{line}"), stack=stack)
        if isinstance(base, GitPlace):
            self.sources.append(Source(shown, data, doc, None, chain, base.pin))
        else:
            self.sources.append(Source(shown, data, doc, base, chain))

    def _follow(
        self,
        doc: Document,
        index: int,
        entry: object,
        base: Path | GitPlace | None,
        *,
        chain: tuple[str, ...],
        stack: list[tuple[str, str]],
    ) -> None:
        where = ("extends", index)
        parent_chain = chain[:-1]

        def at_entry(message: str) -> Diagnostic:
            line, col = doc.pos(where)
            return Diagnostic(doc.file, line, col, message, parent_chain)

        child: Path | GitPlace | None = None
        replace_key: str | None = None
        if isinstance(entry, str) and isinstance(base, GitPlace):
            try:
                child = base.sibling(entry)
            except FetchError as exc:
                self.complete = False
                self.diagnostics.append(at_entry(str(exc)))
                return
            key, shown = child.key, child.shown
            replace_key = f"{child.pin.url}//{child.pin.path}"
        elif isinstance(entry, str):
            if not isinstance(base, Path):
                self.diagnostics.append(
                    at_entry(
                        "a policy fetched from a URL can only extend pinned remote files "
                        "({url, sha256} or {git, ref, path})"
                    )
                )
                return
            target = Path(os.path.normpath(base / entry))
            shown = display(target)
            try:
                real = self.real(target)
            except OSError as exc:
                self.complete = False
                self.diagnostics.append(at_entry(f"cannot read {shown}: {read_error_text(exc)}"))
                return
            key, child = str(real), real.parent
        elif _pinned_url(entry):
            assert isinstance(entry, dict)
            key = shown = entry["url"]
        elif (problem := unpinned(entry)) is not None:
            self.diagnostics.append(at_entry(f"extends[{index}]: {problem}"))
            return
        elif valid_git_entry(entry):
            assert isinstance(entry, dict)
            # The ref until it is fetched; its own extends are keyed by the commit.
            key = f"git:{entry['git']}@{entry['ref']}:{entry['path']}"
            shown = f"{entry['git']}//{entry['path']}@{entry['ref']}"
            replace_key = f"{entry['git']}//{entry['path']}"
        else:
            return  # the schema has already reported it
        # What `replay --replaces` names a file by: the URL, the path, or a git file's
        # URL//path (whatever its ref or commit).
        replace_key = replace_key or key
        if any(key == seen for seen, _ in stack):
            names = [name for seen, name in stack[[s for s, _ in stack].index(key) :]]
            self.diagnostics.append(at_entry(f"extends cycle: {' -> '.join([*names, shown])}"))
            return
        if key in self._seen:
            return  # already applied at its first place
        if len(stack) >= MAX_DEPTH:
            self.complete = False
            self.diagnostics.append(
                at_entry(
                    f"extends chain deeper than {MAX_DEPTH} files ({stack[0][1]} is the first); "
                    "flatten the hierarchy: a policy extends its bases directly"
                )
            )
            return
        self._seen.add(key)
        try:
            if replace_key in self.replaced:
                data = self.replaced[replace_key]
                if isinstance(entry, dict) and "git" in entry and _names_siblings(data):
                    # The candidate stands where the git file lies, so its relative extends
                    # resolve in that repository at that commit, as the file's own did (only
                    # then is the repository needed).
                    _, child = self._fetch(entry, shown)
                    if child is not None and child.key != key:
                        key, shown = child.key, child.shown
                        if key in self._seen:
                            return
                        self._seen.add(key)
            elif isinstance(child, GitPlace):
                data = child.read()
            elif isinstance(child, Path):
                data = self.read(Path(key))
            else:
                assert isinstance(entry, dict)  # narrowed by _pinned_url or valid_git_entry
                data, child = self._fetch(entry, shown)
                if isinstance(child, GitPlace) and child.key != key:
                    key, shown = child.key, child.shown
                    if key in self._seen:
                        return  # the same file at the same commit, already applied
                    self._seen.add(key)
                elif isinstance(child, GitPlace):
                    shown = child.shown
        except NotCached as exc:
            self.complete = False
            self.warnings.append(at_entry(str(exc)))
            return
        except FetchError as exc:
            self.complete = False
            self._failed(at_entry(str(exc)), exc)
            return
        except OSError as exc:
            self.complete = False
            self.diagnostics.append(at_entry(f"cannot read {shown}: {read_error_text(exc)}"))
            return
        self._visit(data, shown, child, chain, [*stack, (key, shown)])

    def _fetch(self, entry: dict[str, object], shown: str) -> tuple[bytes, GitPlace | None]:
        """A remote entry's bytes (and, for a git file, where it lies), with its credential."""
        auth = auth_of(entry)
        if auth is not None and auth.env not in self.token_envs:
            self.token_envs.append(auth.env)
        # Offline nothing is sent anywhere: the cache needs no credential.
        headers = {} if self.offline else auth_headers(auth, self.env, shown)
        if "git" in entry:
            return fetch_git(
                entry, self.cache_dir, headers, deadline=self.deadline, offline=self.offline
            )
        url, sha256 = str(entry["url"]), str(entry.get("sha256", ""))
        return fetch_pinned(url, sha256, self.cache_dir, self.fetcher, headers), None

    def _failed(self, found: Diagnostic, exc: FetchError) -> None:
        self.diagnostics.append(found)
        if isinstance(exc, Unreachable):
            self.unreachable.append(found)


def _not_cached(url: str, _headers: Mapping[str, str] | None = None, /) -> bytes:
    raise NotCached(
        f"{url}: not in the policy cache, and --offline fetches nothing; "
        "skipped, so it was not validated"
    )


def _names_siblings(data: bytes) -> bool:
    """Whether a policy's bytes extend a file by a relative path (one beside it)."""
    doc, _ = parse(data.decode("utf-8", "replace"), "")
    entries = doc.data.get("extends") if doc is not None and isinstance(doc.data, dict) else None
    return isinstance(entries, list) and any(isinstance(e, str) for e in entries)
