"""The policy diff as text (for a CI log) or JSON (for a script): pure renderers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gate_runner.governance.diff.policy_diff import PolicyChange


def render_text(changes: list[PolicyChange], base: str, head: str) -> str:
    if not changes:
        return f"policy diff {base} -> {head}: no change to what the gate does\n"
    counts = {e: sum(1 for c in changes if c.effect == e) for e in ("loosens", "tightens")}
    lines = [
        f"policy diff {base} -> {head}: {len(changes)} change{'s' if len(changes) != 1 else ''} "
        f"({counts['loosens']} loosen, {counts['tightens']} tighten)"
    ]
    for change in changes:
        where = f"  ({change.location})" if change.location else ""
        lines.append(f"  {change.effect:<8}  {change.transition()}; {change.reason}{where}")
    if counts["loosens"]:
        lines.append("this change loosens the gate: it needs the review of the policy's owners")
    return "\n".join(lines) + "\n"


def render_json(changes: list[PolicyChange]) -> str:
    """A JSON list, one object per change (path, before, after, effect, location, reason)."""
    return json.dumps([c.to_dict() for c in changes], indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class PolicyDiff:
    """One policy's diff in `diff --discover`: its path, both sides' names, its changes."""

    config: str
    base: str
    head: str
    changes: tuple[PolicyChange, ...]
    introduced: bool  # the base has no policy there: the change introduces this gate
    removed: bool  # the head has none: every bar it set is gone (a loosening)

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "base": self.base,
            "head": self.head,
            "introduced": self.introduced,
            "removed": self.removed,
            "changes": [c.to_dict() for c in self.changes],
        }


def render_text_many(diffs: list[PolicyDiff], base: str) -> str:
    """Each policy's diff (an introduced gate in one line), then one line for them all."""
    parts = []
    for d in diffs:
        if d.introduced:
            parts.append(f"policy diff {d.base} -> {d.head}: introduces the gate\n")
        else:
            parts.append(render_text(list(d.changes), d.base, d.head))
    loose = [d.config for d in diffs if any(c.effect == "loosens" for c in d.changes)]
    new = sum(1 for d in diffs if d.introduced)
    summary = (
        f"policy diff --discover {base}: {len(diffs)} polic{'y' if len(diffs) == 1 else 'ies'}"
        f", {len(loose)} loosen{' (' + ', '.join(loose) + ')' if loose else ''}"
        f", {new} introduced"
    )
    return "".join(parts) + summary + "\n"


def render_json_many(diffs: list[PolicyDiff]) -> str:
    """A JSON list, one object per policy (config, base, head, introduced, removed, changes)."""
    return json.dumps([d.to_dict() for d in diffs], indent=2, ensure_ascii=False) + "\n"
