"""Floors (`floor: true`, `--floor`): a breach is an error or, applied, the floor raised in."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from gate_runner.config.extends import Resolver, Source, display
from gate_runner.config.floor_compare import Breach, breaches, shown_value, value_at
from gate_runner.config.merge import Merged, Replaced, merge
from gate_runner.config.semantic import check_merged
from gate_runner.config.yaml_positions import PathKey
from gate_runner.errors import Diagnostic
from gate_runner.policy import FloorSetting, Origin
from gate_runner.thresholds import limit_of

__all__ = [
    "BelowFloor",
    "Breach",
    "apply_floor",
    "breaches",
    "declared",
    "floor_settings",
    "raised",
]


@dataclass(frozen=True)
class BelowFloor(Diagnostic):
    """A setting below a floor the policy extends: the error at its line, and the setting it
    names (`replay` counts a candidate floor a repository's override breaches as a block)."""

    below: FloorSetting | None = field(default=None, compare=False)


def raised(policy: Merged, floor: Merged, found: list[Breach]) -> Merged:
    """The policy with the floor's value (and its origin) wherever it was below the floor."""
    out = copy.deepcopy(policy)
    for breach in found:
        path = breach.path
        if breach.keep:
            # The policy's tighter bar stays; the floor's judges beside it at the floor's mode.
            bar = {
                "value": limit_of(breach.floor_value),
                "enforcement": {"mode": breach.floor_mode},
            }
            at: dict[PathKey, Origin] = {
                part: breach.floor_at for part in ((), ("value",), ("enforcement",))
            }
            at[("enforcement", "mode")] = breach.floor_at
            out.replaced.setdefault(path, []).append(Replaced(bar, at))
            continue
        if path[-1] == -1:  # an assertion the policy lacks: appended to its list
            items = _ensure(out.data, path[:-2]).setdefault(path[-2], [])
            path = (*path[:-1], len(items))
            items.append(None)
        parent = _ensure(out.data, path[:-1])
        if isinstance(parent, list) and isinstance(path[-1], int):
            parent[path[-1]] = copy.deepcopy(breach.floor_value)
        else:
            value = breach.floor_value
            if path[:1] == ("campaigns",) and len(path) == 2:
                value = value_at(floor.data, path)  # a campaign the policy lacks, whole
            parent[path[-1]] = copy.deepcopy(value)
        out.origins[path] = breach.floor_at
        for key, origin in floor.origins.items():
            if path[:1] == ("campaigns",) and len(path) == 2 and key[:2] == path:
                out.origins[key] = origin
    return out


def _ensure(data: Any, path: PathKey) -> Any:
    for part in path:
        data = data[part] if isinstance(part, int) else data.setdefault(part, {})
    return data


def _subtree(sources: list[Source], floor: Source) -> list[Source]:
    """The floor's file and what it extends, in merge order."""
    depth = len(floor.chain)

    def under(source: Source) -> bool:
        return (
            len(source.chain) > depth
            and source.chain[:depth] == floor.chain
            and source.chain[depth].rpartition(":")[0] == floor.location
        )

    return [s for s in sources if s is floor or under(s)]


def declared(sources: list[Source], merged: Merged, *, today: date) -> list[Diagnostic]:
    """`floor: true` in a file the policy extends: each setting below it is an error."""
    found: list[Diagnostic] = []
    root = sources[-1].location
    for source in sources[:-1]:
        if not (isinstance(source.doc.data, dict) and source.doc.data.get("floor") is True):
            continue
        own = _subtree(sources, source)
        files = {s.location for s in own}
        for breach in breaches(merge(own), merged, roots=(root, source.location), today=today):
            if breach.at.file in files:
                continue  # the floor's own parents: not the policy's doing
            at = breach.at
            message = (
                f"{breach.describe()}; {source.location} is a floor (floor: true): "
                "a policy that extends it may only tighten it"
            )
            chain = merged.chains.get(at.file, ())
            found.append(
                BelowFloor(at.file, at.line, at.col, message, chain, _floor_setting(breach))
            )
    return found


@dataclass(frozen=True)
class Problems:
    diagnostics: list[Diagnostic]
    warnings: list[Diagnostic]


def apply_floor(
    spec: str, merged: Merged, resolver: Resolver, root: str, today: date
) -> tuple[Merged, list[Breach], Problems]:
    """`--floor SPEC` (a path, or URL#sha256=HEX): the policy raised to it, what it raised,
    and what is wrong with the floor itself (an unreadable or invalid floor is an error)."""
    url, pinned, sha256 = spec.partition("#sha256=")
    if pinned:
        resolver.resolve_pinned_root(url, sha256)
    elif spec.startswith(("http://", "https://")):
        message = "a floor URL must be pinned: URL#sha256=<the file's sha256>"
        return merged, [], Problems([Diagnostic(spec, 1, 1, message)], [])
    else:
        resolver.resolve_root(Path(spec), display(Path(spec)))
    problems = Problems(list(resolver.diagnostics), list(resolver.warnings))
    if problems.diagnostics or not resolver.sources:
        return merged, [], problems
    floor = merge(resolver.sources)
    problems.diagnostics.extend(check_merged(floor, complete=resolver.complete))
    if problems.diagnostics:
        return merged, [], problems
    shown = resolver.sources[-1].location
    found = breaches(floor, merged, roots=(root, shown), today=today, extended=False)
    problems.warnings.extend(
        Diagnostic(
            b.at.file,
            b.at.line,
            b.at.col,
            f"{b.describe()}; the floor {shown} (--floor) judges here",
            merged.chains.get(b.at.file, ()),
        )
        for b in found
    )
    return raised(merged, floor, found), found, problems


def floor_settings(found: list[Breach]) -> list[FloorSetting]:
    """What the verdict's `policy:floor` check lists."""
    return [_floor_setting(b) for b in found]


def _floor_setting(b: Breach) -> FloorSetting:
    return FloorSetting(
        b.setting,
        shown_value(b.value) if isinstance(b.value, dict) else b.value,
        shown_value(b.floor_value) if isinstance(b.floor_value, dict) else b.floor_value,
        b.at,
        b.floor_at,
        b.describe(),
    )
