"""Where replay finds saved verdicts: files, directories of them, or a verdict store."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from gate_runner.errors import UsageError
from gate_runner.governance.history.replay import SavedVerdict
from gate_runner.governance.history.store import UnreadableEntry, VerdictStore


def from_paths(paths: Sequence[Path]) -> Iterator[SavedVerdict]:
    """Each file as given; each directory's *.json, recursively, in name order."""
    for path in paths:
        if path.is_dir():
            for file in sorted(path.rglob("*.json")):
                yield _read(file)
        elif path.is_file():
            yield _read(path)
        else:
            raise UsageError(f"{path}: no such file or directory of verdicts")


@runtime_checkable
class Newest(Protocol):
    """A store that can read only its most recently recorded verdicts (a database's LIMIT)."""

    def newest(self, count: int) -> Iterator[tuple[str, str | UnreadableEntry]]: ...


def from_store(store: VerdictStore, last: int | None = None) -> Iterator[SavedVerdict]:
    """The store's verdicts; with `last`, only its `last` newest where the store can choose."""
    # Replay keeps the newest `last` of what it reads anyway: a directory or git notes has no
    # index by time, so it is read whole; a database reads only those rows.
    rows = store.newest(last) if last is not None and isinstance(store, Newest) else store.entries()
    name = store.name  # a database store's parses its URL: once, not once a row
    for commit, text in rows:
        if isinstance(text, str):
            yield SavedVerdict(f"{name}:{commit}", text=text)
        else:  # replay lists it under "skipped" with the reason
            yield SavedVerdict(f"{name}:{commit}", problem=str(text))


def _read(path: Path) -> SavedVerdict:
    return SavedVerdict(str(path), path=path)
