"""Where replay finds saved verdicts: files, directories of them, or a verdict store."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from gate_runner.errors import UsageError
from gate_runner.governance.replay import SavedVerdict
from gate_runner.governance.store import VerdictStore


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


def from_store(store: VerdictStore) -> Iterator[SavedVerdict]:
    for commit, text in store.entries():
        if isinstance(text, str):
            yield SavedVerdict(f"{store.name}:{commit}", text=text)
        else:  # replay lists it under "skipped" with the reason
            yield SavedVerdict(f"{store.name}:{commit}", problem=str(text))


def _read(path: Path) -> SavedVerdict:
    return SavedVerdict(str(path), path=path)
