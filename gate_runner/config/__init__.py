"""The policy layer: load ``sepurux.yml`` and what it extends, validate it, build the Policy."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gate_runner.config.advice import advise
from gate_runner.config.extends import Reader, Resolver, display, read_local_file
from gate_runner.config.fetch import Fetcher, default_cache_dir, fetcher_until
from gate_runner.config.merge import merge
from gate_runner.config.semantic import check_merged
from gate_runner.errors import Diagnostic, PolicyError

if TYPE_CHECKING:
    from gate_runner.policy import Policy  # validate never builds one

__all__ = [
    "FileCheck",
    "Reader",
    "check_files",
    "load_policy",
    "read_local_file",
    "validate_files",
]


@dataclass(frozen=True)
class FileCheck:
    """What validating one file found: problems (it is invalid) and warnings (it is not)."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    # The token variables its files name (and the default): their values are scrubbed.
    token_envs: tuple[str, ...] = ()


def _ordered(found: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(set(found), key=lambda d: (d.file, d.line, d.col, d.message))


def _resolve(
    path: Path,
    env: Mapping[str, str] | None,
    cache_dir: Path | None,
    fetcher: Fetcher | None,
    *,
    read: Reader | None = None,
    offline: bool = False,
    deadline: float | None = None,
) -> tuple[Resolver, FileCheck]:
    resolver = Resolver(
        os.environ if env is None else env,
        cache_dir or default_cache_dir(),
        fetcher or fetcher_until(deadline),
        read=read,
        offline=offline,
    )
    resolver.resolve_root(path, display(path))
    diagnostics = list(resolver.diagnostics)
    warnings = list(resolver.warnings)
    if resolver.sources:
        merged = merge(resolver.sources)
        diagnostics += check_merged(merged, complete=resolver.complete)
        if not diagnostics:
            warnings += advise(merged)
    found = FileCheck(_ordered(diagnostics), _ordered(warnings), tuple(resolver.token_envs))
    return resolver, found


def load_policy(
    path: Path,
    *,
    env: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
    fetcher: Fetcher | None = None,
    read: Reader | None = None,
    deadline: float | None = None,
) -> Policy:
    """Load, validate and build a policy; raise PolicyError carrying every problem found.

    read: how the file and its local extends are read (default: read_local_file, the file
    system, regular files up to 1 MiB). Pinned URLs are always fetched (or cached) as usual.
    deadline: time.monotonic() by which every remote fetch ends (check's --timeout).
    """
    from gate_runner.config.build import build_policy  # late: validate never builds a Policy

    resolver, found = _resolve(path, env, cache_dir, fetcher, read=read, deadline=deadline)
    if found.diagnostics:
        raise PolicyError(found.diagnostics, found.token_envs)
    return build_policy(merge(resolver.sources), resolver.sources, str(path))


def check_files(
    paths: Sequence[Path],
    *,
    env: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
    fetcher: Fetcher | None = None,
    read: Reader | None = None,
    offline: bool = False,
) -> dict[str, FileCheck]:
    """Validate each file, keyed by the path as given.

    offline: never fetch; a pinned URL missing from the cache is skipped with a warning, and
    the checks that need the whole policy (what a waiver names) are left out for that file.
    """
    return {
        str(p): _resolve(p, env, cache_dir, fetcher, read=read, offline=offline)[1] for p in paths
    }


def validate_files(
    paths: Sequence[Path],
    *,
    env: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
    fetcher: Fetcher | None = None,
    read: Reader | None = None,
) -> dict[str, list[Diagnostic]]:
    """Every problem of every file, keyed by the path as given (an empty list: valid)."""
    found = check_files(paths, env=env, cache_dir=cache_dir, fetcher=fetcher, read=read)
    return {name: result.diagnostics for name, result in found.items()}
