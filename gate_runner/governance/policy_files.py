"""The local files of a policy (the root and its local ``extends`` chain) and its remote pins."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gate_runner.config.extends import Reader, leads_to
from gate_runner.config.yaml_positions import YamlProblem, load_document


@dataclass(frozen=True)
class PolicyFile:
    path: Path  # working-tree namespace, absolute
    data: bytes


@dataclass(frozen=True)
class RemotePin:
    """A pinned URL in some file's ``extends``, and where it was written."""

    url: str
    sha256: str
    location: str  # file:line as the user would open it


def local_chain(
    root: Path, read: Reader, label: Callable[[Path], str]
) -> tuple[list[PolicyFile], list[RemotePin]]:
    """Every local file reachable through ``extends`` (root first); unreadable ones are skipped.

    A file that cannot be read or parsed is left for the loader, which reports it at
    the line that named it; this walk only needs to know which files exist.
    """
    files: list[PolicyFile] = []
    pins: list[RemotePin] = []
    seen: set[Path] = set()
    first = Path(os.path.normpath(root.absolute()))
    pending = [first]
    while pending:
        path = pending.pop(0)
        if path in seen:
            continue
        seen.add(path)
        try:
            data = read(path)
            # A local extends is relative to where the file really is, as the loader has it.
            parent = leads_to(read)(path).parent
        except OSError:
            if path == first:
                raise
            continue
        files.append(PolicyFile(path, data))
        for entry, line in _extends(data, label(path)):
            if isinstance(entry, str):
                pending.append(Path(os.path.normpath(parent / entry)))
            elif isinstance(entry, dict) and isinstance(entry.get("url"), str):
                pins.append(RemotePin(entry["url"], str(entry.get("sha256", "")), line))
    return files, pins


def _extends(data: bytes, shown: str) -> list[tuple[object, str]]:
    try:
        doc = load_document(data.decode("utf-8"), shown)
    except (UnicodeDecodeError, YamlProblem):
        return []
    entries = doc.data.get("extends") if isinstance(doc.data, dict) else None
    if not isinstance(entries, list):
        return []
    return [(e, f"{shown}:{doc.pos(('extends', i))[0]}") for i, e in enumerate(entries)]
