"""Where verdicts are filed by commit: a directory, git notes, or a database (late-loaded)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from gate_runner.errors import UsageError
from gate_runner.files import NotAFileError, read_regular, write_text
from gate_runner.git_commands import Git, GitError, is_full_sha
from gate_runner.untrusted_json import MAX_FILE_BYTES, loads
from gate_runner.verdict_json import verdict_from_dict

GIT_NOTES = "git-notes"
# `--store sqlite:PATH` and `--store postgresql://user@host/db` (database.py reads them).
DATABASE_PREFIXES = ("sqlite:", "postgresql://")
NOTES_REF = "refs/notes/gate-runner"
_BOT_IDENTITY = {
    "GIT_AUTHOR_NAME": "gate-runner",
    "GIT_AUTHOR_EMAIL": "gate-runner@localhost",
    "GIT_COMMITTER_NAME": "gate-runner",
    "GIT_COMMITTER_EMAIL": "gate-runner@localhost",
}


class UnreadableEntry(ValueError):
    """A filed entry that cannot be read (not a regular file, too large, not UTF-8): skipped."""


class StoreUnavailable(UsageError):
    """The store cannot be read or written at all (a database down or refusing): exit 2."""


class VerdictStore(Protocol):
    """Verdict JSON by full commit sha; get() is None when absent, UnreadableEntry when unusable.

    A database store files by repository as well: its get() and commits() see the checkout's
    repository's default-branch verdicts, its entries() are keyed ``repository@sha``.
    """

    @property
    def name(self) -> str: ...

    def put(self, commit: str, text: str) -> str: ...  # where it went, for the user

    def get(self, commit: str) -> str | None: ...

    def commits(self) -> set[str]: ...

    # (commit or repository@commit, verdict text or why it is unreadable), every one
    def entries(self) -> Iterator[tuple[str, str | UnreadableEntry]]: ...


@dataclass
class DirectoryStore:
    """DIR/<sha>.json, each written atomically: a half-restored cache never shows half a file.

    Anyone who can write to DIR (a shared cache, a restored artifact) may plant a symlink, a
    FIFO or a device there: entries are read and replaced only as regular files, never through
    a link.
    """

    root: Path

    @property
    def name(self) -> str:
        return str(self.root)

    def put(self, commit: str, text: str) -> str:
        target = self.root / f"{commit}.json"
        try:
            write_text(target, text, follow_links=False)
        except NotAFileError as error:
            raise UsageError(f"cannot write {target}: {error}") from None
        except OSError as error:
            raise UsageError(f"cannot write {target}: {error.strerror or error}") from None
        return str(target)

    def get(self, commit: str) -> str | None:
        path = self.root / f"{commit}.json"
        try:
            return read_regular(path, MAX_FILE_BYTES, follow_links=False).decode("utf-8")
        except FileNotFoundError:
            return None
        except OSError as error:
            raise UnreadableEntry(f"{path}: {error.strerror or error}") from None
        except UnicodeDecodeError as error:
            raise UnreadableEntry(f"{path}: not UTF-8 text ({error.reason})") from None

    def commits(self) -> set[str]:
        if not self.root.is_dir():
            return set()
        return {p.stem for p in self.root.glob("*.json") if is_full_sha(p.stem)}

    def entries(self) -> Iterator[tuple[str, str | UnreadableEntry]]:
        for commit in sorted(self.commits()):
            try:
                text = self.get(commit)
            except UnreadableEntry as error:
                yield commit, error
                continue
            if text is not None:
                yield commit, text


@dataclass
class GitNotesStore:
    """One note per commit under refs/notes/gate-runner, holding the verdict JSON byte for byte."""

    git: Git
    ref: str = NOTES_REF

    @property
    def name(self) -> str:
        return GIT_NOTES

    def put(self, commit: str, text: str) -> str:
        # A blob given with -C is kept exactly; -m/-F would clean up its whitespace.
        blob = self.git.run(["hash-object", "-w", "--stdin"], stdin=text.encode("utf-8"))
        # A CI runner often has no git identity; a note is a commit and needs one.
        identity = None if self.git.ok(["var", "GIT_COMMITTER_IDENT"]) else _BOT_IDENTITY
        note = blob.decode().strip()
        self.git.run(["notes", f"--ref={self.ref}", "add", "-f", "-C", note, commit], env=identity)
        return f"{self.ref} (note on {commit[:12]}; push it with: git push origin {self.ref})"

    def get(self, commit: str) -> str | None:
        try:
            blob = self.git.text(["notes", f"--ref={self.ref}", "list", commit])
        except GitError:
            return None  # no note on that commit (or no notes ref at all)
        try:
            return self.git.blob(blob, MAX_FILE_BYTES).decode("utf-8")
        except GitError as error:  # BlobTooLarge among them
            raise UnreadableEntry(f"{self.ref} note on {commit[:12]}: {error}") from None
        except UnicodeDecodeError as error:
            raise UnreadableEntry(
                f"{self.ref} note on {commit[:12]}: not UTF-8 ({error.reason})"
            ) from None

    def commits(self) -> set[str]:
        if self.git.commit_of(self.ref) is None:
            return set()
        return set(self._notes())

    def entries(self) -> Iterator[tuple[str, str | UnreadableEntry]]:
        """Every note in one `git cat-file --batch` process: 10,000 notes, not 10,000 gits.

        Sizes are asked first (`--batch-check`): a note over the cap is never read.
        """
        notes = self._notes()
        sizes = self._sizes(list(notes.values()))
        for commit, blob in list(notes.items()):
            if sizes.get(blob, 0) > MAX_FILE_BYTES:
                del notes[commit]
                yield (
                    commit,
                    UnreadableEntry(
                        f"{self.ref} note on {commit[:12]}: {sizes[blob]:,} bytes, more than the "
                        f"{MAX_FILE_BYTES:,} allowed"
                    ),
                )
        if not notes:
            return
        out = self.git.run(
            ["cat-file", "--batch"], stdin="\n".join(notes.values()).encode() + b"\n"
        )
        at = 0
        for commit, blob in notes.items():
            header_end = out.index(b"\n", at)
            header = out[at:header_end].split()
            if len(header) != 3 or header[0].decode() != blob:
                return  # git answered something else: stop rather than misattribute
            size = int(header[2])
            body = out[header_end + 1 : header_end + 1 + size]
            at = header_end + 1 + size + 1
            yield commit, body.decode("utf-8", "replace")

    def _sizes(self, blobs: list[str]) -> dict[str, int]:
        if not blobs:
            return {}
        out = self.git.run(
            ["cat-file", "--batch-check=%(objectname) %(objectsize)"],
            stdin="\n".join(blobs).encode() + b"\n",
        )
        parts = (line.split() for line in out.decode("ascii", "replace").splitlines())
        return {p[0]: int(p[1]) for p in parts if len(p) == 2 and p[1].isdigit()}

    def _notes(self) -> dict[str, str]:
        """annotated commit -> its note's blob."""
        if self.git.commit_of(self.ref) is None:
            return {}
        lines = self.git.text(["notes", f"--ref={self.ref}", "list"]).splitlines()
        return {parts[1]: parts[0] for parts in map(str.split, lines) if len(parts) == 2}


class ReuseRecords(Protocol):
    """gate.reuse's records (issue 21) by reuse key (64 hex digits), beside the verdicts.

    get() is None when absent, UnreadableEntry when unusable; what it gives is still
    untrusted text (governance/history/reuse.py reads it). Another store plugs in here.
    """

    @property
    def name(self) -> str: ...

    def put(self, key: str, text: str) -> str: ...

    def get(self, key: str) -> str | None: ...


REUSE_DIR = "reuse"
REUSE_NOTES_REF = "refs/notes/gate-runner-reuse"


def open_reuse_records(
    spec: str, git: Git | None = None, *, env: Mapping[str, str] | None = None
) -> ReuseRecords:
    """DIR/reuse/<key>.json, a note per key under refs/notes/gate-runner-reuse, or the
    reuse_records table of a `sqlite:` or `postgresql://` store (opened on first use)."""
    if spec.startswith(DATABASE_PREFIXES):
        # late: SQLAlchemy and the driver load only when a database store is named (startup)
        from gate_runner.governance.history.database_store import DatabaseRecords

        where = git.cwd if git is not None else None
        return DatabaseRecords(spec, os.environ if env is None else env, where)
    if spec == GIT_NOTES:
        return KeyNotes(GitNotesStore(git or Git(), REUSE_NOTES_REF))
    return DirectoryStore(Path(spec) / REUSE_DIR)


@dataclass
class KeyNotes:
    """Notes on a blob that names the key: a note needs an object, and a key is no commit."""

    notes: GitNotesStore

    @property
    def name(self) -> str:
        return self.notes.ref

    def put(self, key: str, text: str) -> str:
        return self.notes.put(self._anchor(key, write=True), text)

    def get(self, key: str) -> str | None:
        return self.notes.get(self._anchor(key, write=False))

    def _anchor(self, key: str, *, write: bool) -> str:
        args = ["hash-object", *(["-w"] if write else []), "--stdin"]
        line = f"gate-runner reuse key {key}\n".encode()
        return self.notes.git.run(args, stdin=line).decode().strip()


def open_store(
    spec: str,
    git: Git | None = None,
    *,
    env: Mapping[str, str] | None = None,
    every_repository: bool = False,
) -> VerdictStore:
    """``sqlite:PATH`` or ``postgresql://…``, ``git-notes``, else a directory.

    every_repository: a database store's entries() cover every repository, not the checkout's.
    """
    if spec.startswith(DATABASE_PREFIXES):
        # late: SQLAlchemy and the driver load only when a database store is named (startup)
        from gate_runner.governance.history.database_store import open_database

        where = git.cwd if git is not None else None
        return open_database(
            spec, env=os.environ if env is None else env, cwd=where,
            every_repository=every_repository,
        )  # fmt: skip
    if spec == GIT_NOTES:
        return GitNotesStore(git or Git())
    return DirectoryStore(Path(spec))


def read_verdict_file(path: Path) -> tuple[str, dict[str, Any]]:
    """The text of a saved verdict and its data; anything else is a usage error."""
    try:
        text = read_regular(path, MAX_FILE_BYTES).decode("utf-8")
        data = loads(text)
    except OSError as error:
        raise UsageError(f"{path}: cannot read the verdict: {error.strerror or error}") from None
    except ValueError as error:  # UnicodeDecodeError and untrusted_json's errors
        raise UsageError(f"{path}: cannot read the verdict: {error}") from None
    check_verdict(data, str(path))
    return text, data


def check_verdict(data: Any, where: str) -> None:
    try:
        verdict_from_dict(data)
    except (KeyError, TypeError, AttributeError, ValueError):
        raise UsageError(f"{where}: not a gate-runner verdict") from None


def file_verdict(
    store: VerdictStore, path: Path, *, commit: str | None = None, git: Git | None = None
) -> tuple[str, str]:
    """File the verdict at `path` under its commit (ci.commit, or `commit`); (sha, where)."""
    text, data = read_verdict_file(path)
    named = commit or (data.get("ci") or {}).get("commit")
    if not isinstance(named, str) or not named:
        raise UsageError(f"{path}: the verdict names no commit (ci.commit); pass --commit SHA")
    sha = named.lower() if is_full_sha(named.lower()) else None
    if sha is None:
        sha = (git or Git()).commit_of(named)
        if sha is None:
            given = "--commit" if commit else f"{path}: ci.commit"
            raise UsageError(f"{given} {named}: not a commit of this repository")
    return sha, store.put(sha, text)
