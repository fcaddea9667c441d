"""The policy layer: load ``sepurux.yml`` and what it extends, validate it, build the Policy."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from gate_runner.config.advice import advise
from gate_runner.config.extends import Reader, Resolver, Source, display, read_local_file
from gate_runner.config.fetch import Fetcher, default_cache_dir, fetcher_until
from gate_runner.config.merge import Merged, merge
from gate_runner.config.semantic import check_merged
from gate_runner.config.shadows import shadowed, staged
from gate_runner.errors import Diagnostic, PolicyError, PolicyFetchError

if TYPE_CHECKING:
    from gate_runner.config.floors import Breach
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
    # Every problem is a remote file that could not be fetched (errors.PolicyFetchError).
    unreachable: bool = False
    # Each campaign or rule staged apart, its mode today (issue 20): shown, never a problem.
    notes: list[Diagnostic] = field(default_factory=list)


def _ordered(found: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(set(found), key=lambda d: (d.file, d.line, d.col, d.message))


@dataclass
class _Resolved:
    resolver: Resolver
    check: FileCheck
    merged: Merged | None = None  # raised by every --floor
    floors: list[tuple[str, list[Breach]]] = field(default_factory=list)


def _resolve(
    path: Path,
    env: Mapping[str, str] | None,
    cache_dir: Path | None,
    fetcher: Fetcher | None,
    *,
    read: Reader | None = None,
    offline: bool = False,
    floors: Sequence[str] = (),
    today: date | None = None,
    deadline: float | None = None,
    replaced: Mapping[str, bytes] | None = None,
) -> _Resolved:
    fetch = fetcher or fetcher_until(deadline)  # the floors' fetches share extends' deadline

    def resolver_for(read: Reader | None) -> Resolver:
        return Resolver(
            os.environ if env is None else env,
            cache_dir or default_cache_dir(),
            fetch,
            read=read,
            offline=offline,
            deadline=deadline,
            replaced=replaced,
        )

    resolver = resolver_for(read)
    shown = display(path)
    resolver.resolve_root(path, shown)
    diagnostics = list(resolver.diagnostics)
    warnings = list(resolver.warnings)
    token_envs = list(resolver.token_envs)
    unreachable = list(resolver.unreachable)
    merged = None
    notes: list[Diagnostic] = []
    applied: list[tuple[str, list[Breach]]] = []
    if resolver.sources:
        merged = merge(resolver.sources)
        diagnostics += check_merged(merged, complete=resolver.complete)
        day = today or date.today()
        if not diagnostics and any(_declares_floor(s) for s in resolver.sources[:-1]):
            from gate_runner.config.floors import declared  # late: only a floor policy needs it

            diagnostics += declared(resolver.sources, merged, today=day)
        if not diagnostics:
            warnings += advise(merged)
            warnings += shadowed(merged, today=day)
            notes += staged(merged, today=day)
        for spec in floors if not diagnostics else ():
            from gate_runner.config.floors import apply_floor  # late: only with --floor

            floor_resolver = resolver_for(None)
            merged, found, problems = apply_floor(spec, merged, floor_resolver, shown, day)
            diagnostics += problems.diagnostics
            warnings += problems.warnings
            token_envs += [e for e in floor_resolver.token_envs if e not in token_envs]
            unreachable += floor_resolver.unreachable
            applied.append((spec, found))
    # Only a fetch that failed: the policy may be fine, the network is not (exit 3).
    only_fetch = bool(diagnostics) and set(diagnostics) <= set(unreachable)
    check = FileCheck(
        _ordered(diagnostics),
        _ordered(warnings),
        tuple(token_envs),
        unreachable=only_fetch,
        notes=_ordered(notes),
    )
    return _Resolved(resolver, check, merged, applied)


def _declares_floor(source: Source) -> bool:
    return isinstance(source.doc.data, dict) and source.doc.data.get("floor") is True


def load_policy(
    path: Path,
    *,
    env: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
    fetcher: Fetcher | None = None,
    read: Reader | None = None,
    floors: Sequence[str] = (),
    today: date | None = None,
    deadline: float | None = None,
    replaced: Mapping[str, bytes] | None = None,
) -> Policy:
    """Load, validate and build a policy; raise PolicyError carrying every problem found.

    read: how the file and its local extends are read (default: read_local_file, the file
    system, regular files up to 1 MiB). Pinned URLs are always fetched (or cached) as usual.
    floors: `--floor` policies (a path, or URL#sha256=HEX); each raises what is below it.
    deadline: time.monotonic() by which every remote fetch ends (check's --timeout).
    replaced: a pinned URL's stand-in, read unfetched (`replay`'s candidate).
    """
    from dataclasses import replace

    from gate_runner.config.build import build_policy  # late: validate never builds a Policy
    from gate_runner.config.floors import floor_settings  # late: as build_policy

    found = _resolve(
        path,
        env,
        cache_dir,
        fetcher,
        read=read,
        floors=floors,
        today=today,
        deadline=deadline,
        replaced=replaced,
    )
    if found.check.diagnostics or found.merged is None:
        error = PolicyFetchError if found.check.unreachable else PolicyError
        raise error(found.check.diagnostics, found.check.token_envs)
    policy = build_policy(found.merged, found.resolver.sources, str(path))
    # Every credential variable (extends auth.env, the floors' too) is scrubbed as the token is.
    default = policy.api.token_env
    policy = replace(policy, secret_envs=tuple(e for e in found.check.token_envs if e != default))
    if not floors:
        return policy
    return replace(
        policy,
        floors=tuple(floors),
        floor_settings=tuple(s for _, b in found.floors for s in floor_settings(b)),
    )


def check_files(
    paths: Sequence[Path],
    *,
    env: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
    fetcher: Fetcher | None = None,
    read: Reader | None = None,
    offline: bool = False,
    floors: Sequence[str] = (),
    today: date | None = None,
) -> dict[str, FileCheck]:
    """Validate each file, keyed by the path as given.

    offline: never fetch; a pinned URL missing from the cache is skipped with a warning, and
    the checks that need the whole policy (what a waiver names) are left out for that file.
    floors: `validate --floor`: each setting a floor raises is a warning at its line.
    today: the day a schedule is read at (shadowed settings); default today.
    """
    return {
        str(p): _resolve(
            p, env, cache_dir, fetcher, read=read, offline=offline, floors=floors, today=today
        ).check
        for p in paths
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
