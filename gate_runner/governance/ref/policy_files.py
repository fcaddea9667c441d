"""The local files of a policy (the root and its local ``extends`` chain) and its remote pins."""

from __future__ import annotations

import json
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
    """A remote file in some file's ``extends`` (a pinned URL, a git file), and where it was
    written; two sides with another `sha256` here name another policy or credential."""

    url: str  # a `url:`, or a git file as ``URL//path``
    sha256: str  # the pin as compared: the sha256; a git file's ref (and sha256); any `auth`
    location: str  # file:line as the user would open it


def remote_pin(entry: dict[str, object], location: str) -> RemotePin | None:
    """A `url:` or `git:` entry as the diff compares it, or None for anything else."""
    auth = entry.get("auth")
    # Another credential sent to the same host is a change too (diff_rules: extends[].auth).
    credential = f" auth={json.dumps(auth, sort_keys=True)}" if auth is not None else ""
    url, git = entry.get("url"), entry.get("git")
    if isinstance(url, str):
        return RemotePin(url, str(entry.get("sha256", "")) + credential, location)
    if isinstance(git, str):
        sha256 = entry.get("sha256")
        pin = f"{entry.get('ref')}" + (f" sha256={sha256}" if sha256 is not None else "")
        return RemotePin(f"{git}//{entry.get('path')}", pin + credential, location)
    return None


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
            elif isinstance(entry, dict) and (pin := remote_pin(entry, line)) is not None:
                pins.append(pin)
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
