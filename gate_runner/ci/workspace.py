"""The repository root, and every location inside it as the vendors place it (relative, `/`).

SARIF, GitLab Code Quality and GitHub annotations want paths relative to the repository root.
The root is git's top level for the policy's folder, else the CI's checkout folder (each vendor
module names its variable), else unknown. A file outside the repository (a policy extended from
elsewhere) cannot be placed there: its findings point at the line of the repository's policy
that extends it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from gate_runner.ci import vendor_for
from gate_runner.ci.git import git_runner
from gate_runner.ci.variables import get

_MAX_POLICY_BYTES = 1024 * 1024  # a policy larger than this is not searched for its extends line
_TOKEN = re.compile(r"[^\s'\"{},\[\]]+")


@dataclass(frozen=True)
class Place:
    path: str
    line: int
    column: int


def repository_root(start: Path, env: Mapping[str, str] | None = None) -> Path | None:
    """git's top level for the folder start (or holding start), else the CI's checkout folder."""
    folder = start if start.is_dir() else start.parent
    return _root(str(folder.resolve()), _workspace(os.environ if env is None else env))


@lru_cache(maxsize=32)
def _root(folder: str, workspace: str | None) -> Path | None:
    top = git_runner(Path(folder))(["rev-parse", "--show-toplevel"])
    if top:
        return Path(top).resolve()
    return Path(workspace).expanduser().resolve() if workspace else None


def _workspace(env: Mapping[str, str]) -> str | None:
    return get(env, *vendor_for(env).workspace_variables)


def _absolute(path: str, base: Path) -> Path:
    candidate = Path(path)
    return (candidate if candidate.is_absolute() else base / candidate).resolve()


def _inside(path: Path, root: Path) -> str | None:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return None


def repo_relative(path: str, *, policy: str | None = None, cwd: Path | None = None) -> str:
    """path relative to the repository of `policy` (or of cwd); as given when outside it."""
    base = Path.cwd() if cwd is None else cwd
    root = repository_root(_absolute(policy or ".", base), None)
    if root is not None:
        inside = _inside(_absolute(path, base), root)
        if inside is not None:
            return inside
    return _plain(path)


def _plain(path: str) -> str:
    value = path.replace("\\", "/")
    while value.startswith("./"):
        value = value[2:]
    return value


def place(
    path: str,
    line: int,
    column: int,
    *,
    policy: str,
    sources: Sequence[str] = (),
    cwd: Path | None = None,
) -> Place:
    """Where a finding at path:line:column lands in the repository of the policy.

    Inside the repository: the same spot, repository-relative. Outside (an extends from
    elsewhere): the `extends` line that brings it in, found through the chain of sources.
    Otherwise the path as given.
    """
    base = Path.cwd() if cwd is None else cwd
    target = _absolute(path, base)
    root = repository_root(_absolute(policy, base), None)
    if root is None:
        return Place(_plain(path), line, column)
    inside = _inside(target, root)
    if inside is not None:
        return Place(inside, line, column)
    files = [_absolute(s, base) for s in (*sources, policy) if "://" not in s]
    seen: set[Path] = set()
    while target not in seen:
        seen.add(target)
        found = _extends_line(target, files)
        if found is None:
            break
        source, number, col = found
        inside = _inside(source, root)
        if inside is not None:
            return Place(inside, number, col)
        target = source
    return Place(_plain(path), line, column)


def _extends_line(target: Path, files: Sequence[Path]) -> tuple[Path, int, int] | None:
    """The first line of files naming target, relative to that file's folder."""
    for source in files:
        if source == target:
            continue
        for number, text in enumerate(_lines(source), start=1):
            if text.lstrip().startswith("#"):
                continue
            for token in _TOKEN.finditer(text):
                if token.group(0).endswith(target.name) and (
                    _absolute(token.group(0), source.parent) == target
                ):
                    return source, number, token.start() + 1
    return None


@lru_cache(maxsize=64)
def _lines(path: Path) -> tuple[str, ...]:
    try:
        if not path.is_file():
            return ()
        with path.open("rb") as handle:
            data = handle.read(_MAX_POLICY_BYTES)
    except OSError:
        return ()
    return tuple(data.decode("utf-8", "replace").splitlines())
