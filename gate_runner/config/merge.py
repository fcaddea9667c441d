"""Merges the files of a policy (DESIGN §1), keeping the origin of every effective value."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate_runner.config.extends import Source
from gate_runner.config.yaml_positions import Document, PathKey
from gate_runner.provenance import Origin


@dataclass
class Merged:
    """The effective policy as plain data, and where each value (and mapping key) was last set."""

    data: dict[str, Any] = field(default_factory=dict)
    origins: dict[PathKey, Origin] = field(default_factory=dict)
    key_origins: dict[PathKey, Origin] = field(default_factory=dict)
    base_dirs: dict[str, Path | None] = field(default_factory=dict)  # per file, None for URLs
    chains: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per file
    waivers_as_list: bool = False  # the entries were written as the v1 list (for messages)
    # Per threshold path, each value a later file replaced (oldest first): the bars a
    # tightened, staged threshold keeps judging (enforce.py, docs/enforcement-rollout.md).
    replaced: dict[PathKey, list[Replaced]] = field(default_factory=dict)

    def get(self, path: PathKey) -> Any:
        value: Any = self.data
        for part in path:
            value = value[part]
        return value

    def origin(self, path: PathKey) -> Origin:
        probe = path
        while probe not in self.origins and probe:
            probe = probe[:-1]
        return self.origins.get(probe, Origin("<default>", 0, 0))


@dataclass(frozen=True)
class Replaced:
    """A threshold as an earlier file set it: its data, and its origins below its path."""

    data: Any
    origins: dict[PathKey, Origin]


def is_threshold(path: PathKey) -> bool:
    """thresholds.KEY, or campaigns.C.thresholds.KEY."""
    return (len(path) == 2 and path[0] == "thresholds") or (
        len(path) == 4 and path[0] == "campaigns" and path[2] == "thresholds"
    )


def _is_assertions(path: PathKey) -> bool:
    return path == ("assertions",) or (
        len(path) == 3 and path[0] == "campaigns" and path[2] == "assertions"
    )


class _Merger:
    def __init__(self, merged: Merged, source: Source) -> None:
        self.m, self.source, self.doc = merged, source, source.doc

    def at(self, doc: Document, path: PathKey, *, key: bool = False) -> Origin:
        line, col = doc.pos(path, key=key)
        return Origin(doc.file, line, col)

    def _forget(self, path: PathKey) -> None:
        for table in (self.m.origins, self.m.key_origins):
            for stale in [p for p in table if p[: len(path)] == path]:
                del table[stale]

    def _put(self, target: PathKey, src: PathKey, value: Any) -> None:
        """Replace the value at target with a copy of the document's value at src."""
        self._forget(target)
        parent = self.m.get(target[:-1])
        parent[target[-1]] = copy.deepcopy(value)

        def record(value: Any, t: PathKey, s: PathKey) -> None:
            self.m.origins[t] = self.at(self.doc, s)
            if isinstance(value, dict):
                for k, v in value.items():
                    t_key, s_key = (*t, k), (*s, k)
                    self.m.key_origins[t_key] = self.at(self.doc, s_key, key=True)
                    record(v, t_key, s_key)
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    record(v, (*t, i), (*s, i))

        record(value, target, src)

    def merge(self, target: PathKey, src: PathKey, value: Any) -> None:
        parent = self.m.get(target[:-1])
        existing = parent.get(target[-1]) if isinstance(parent, dict) else None
        if existing is not None and is_threshold(target):
            below = {
                p[len(target) :]: o for p, o in self.m.origins.items() if p[: len(target)] == target
            }
            self.m.replaced.setdefault(target, []).append(Replaced(copy.deepcopy(existing), below))
        if _is_assertions(target) and isinstance(value, list) and isinstance(existing, list):
            names = [a.get("name") if isinstance(a, dict) else None for a in existing]
            for index, item in enumerate(value):
                name = item.get("name") if isinstance(item, dict) else None
                slot = names.index(name) if name is not None and name in names else len(names)
                if slot == len(names):
                    existing.append(None)
                    names.append(name)
                self._put((*target, slot), (*src, index), item)
        elif isinstance(value, dict) and isinstance(existing, dict):
            for key, item in value.items():
                t_key, s_key = (*target, key), (*src, key)
                self.m.key_origins[t_key] = self.at(self.doc, s_key, key=True)
                self.merge(t_key, s_key, item)
        else:
            self._put(target, src, value)


def merge(sources: list[Source]) -> Merged:
    """Fold the sources (parents first) into one effective policy."""
    merged = Merged()
    for source in sources:
        merged.chains.setdefault(source.location, source.chain)
        merged.base_dirs[source.location] = source.base_dir
        if not isinstance(source.doc.data, dict):
            continue
        merger = _Merger(merged, source)
        for key, value in source.doc.data.items():
            if key in ("extends", "floor"):  # about the file itself, never merged
                continue
            target: PathKey = (key,)
            if key == "project":  # the top-level spelling of api.project
                merged.data.setdefault("api", {})
                merged.origins.setdefault(("api",), merger.at(source.doc, (key,)))
                target = ("api", "project")
            if key == "waivers" and isinstance(value, list):
                # The v1 list form means `waivers.entries`: a repository's list then
                # replaces the entries only, never the central policy's waiver rules.
                if not isinstance(merged.data.get("waivers"), dict):
                    merged.data["waivers"] = {}
                merged.origins.setdefault(("waivers",), merger.at(source.doc, (key,)))
                target = ("waivers", "entries")
                merged.waivers_as_list = True
            elif key == "waivers" and isinstance(value, dict) and "entries" in value:
                merged.waivers_as_list = False
            merged.key_origins[target] = merger.at(source.doc, (key,), key=True)
            merger.merge(target, (key,), value)
    return merged
