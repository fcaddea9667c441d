"""Failing tools classed ``new`` or ``existing`` against the baseline's same campaign."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gate_runner.verdict import FailingTool

# The verdict's own type: a failing tool, new or existing.
ToolFailure = FailingTool


def failing_tools(payload: Mapping[str, Any] | None) -> dict[str, int | None] | None:
    """tool -> count from ``top_failing_tools``; None when the payload has no such list."""
    entries = (payload or {}).get("top_failing_tools")
    if not isinstance(entries, list):
        return None
    found: dict[str, int | None] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("tool"), str):
            continue
        count = entry.get("count")
        number = count if isinstance(count, int) and not isinstance(count, bool) else None
        if number == 0:
            continue  # listed but not failing
        found[entry["tool"]] = number
    return found


def classify_failures(
    payload: Mapping[str, Any] | None, baseline: Mapping[str, Any] | None
) -> tuple[ToolFailure, ...] | None:
    """Each failing tool of `payload`, new or already failing in `baseline`.

    None when either side has no ``top_failing_tools`` list: with nothing to compare,
    calling every failure new would be a guess.
    """
    now, then = failing_tools(payload), failing_tools(baseline)
    if now is None or then is None:
        return None
    return tuple(
        ToolFailure(tool, count, "existing", then[tool])
        if tool in then
        else ToolFailure(tool, count, "new")
        for tool, count in now.items()
    )
