"""The policy diff as text (for a CI log) or JSON (for a script): pure renderers."""

from __future__ import annotations

import json

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
