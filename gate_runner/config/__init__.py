"""The policy layer: load ``sepurux.yml`` and what it extends, validate it, build the Policy."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from gate_runner.config.extends import Resolver, display
from gate_runner.config.fetch import Fetcher, default_cache_dir
from gate_runner.config.merge import merge
from gate_runner.config.semantic import check_merged
from gate_runner.errors import Diagnostic, PolicyError
from gate_runner.policy import Policy

__all__ = ["load_policy", "validate_files"]


def _resolve(
    path: Path, env: Mapping[str, str] | None, cache_dir: Path | None, fetcher: Fetcher | None
) -> tuple[Resolver, list[Diagnostic]]:
    resolver = Resolver(
        os.environ if env is None else env, cache_dir or default_cache_dir(), fetcher
    )
    resolver.resolve_root(path, display(path))
    diagnostics = list(resolver.diagnostics)
    if resolver.sources:
        diagnostics += check_merged(merge(resolver.sources))
    return resolver, sorted(set(diagnostics), key=lambda d: (d.file, d.line, d.col, d.message))


def load_policy(
    path: Path,
    *,
    env: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
    fetcher: Fetcher | None = None,
) -> Policy:
    """Load, validate and build a policy; raise PolicyError carrying every problem found."""
    from gate_runner.config.build import build_policy  # validate never needs it

    resolver, diagnostics = _resolve(path, env, cache_dir, fetcher)
    if diagnostics:
        raise PolicyError(diagnostics)
    return build_policy(merge(resolver.sources), resolver.sources, str(path))


def validate_files(
    paths: Sequence[Path],
    *,
    env: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
    fetcher: Fetcher | None = None,
) -> dict[str, list[Diagnostic]]:
    """Every problem of every file, keyed by the path as given (an empty list: valid)."""
    return {str(p): _resolve(p, env, cache_dir, fetcher)[1] for p in paths}
