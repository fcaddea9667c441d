"""Settings that have no effect: warnings `validate` and `explain` give at the setting's line."""

from __future__ import annotations

from datetime import date
from typing import Any

from gate_runner.config.merge import Merged
from gate_runner.config.yaml_positions import PathKey, where
from gate_runner.errors import Diagnostic


def shadowed(merged: Merged, *, today: date) -> list[Diagnostic]:
    """A mode a schedule has replaced, and a campaign's override equal to what it inherits.

    (A setting a `--floor` overrides is warned where the floor is applied: config/floors.py.)
    """
    found: list[Diagnostic] = []

    def add(path: PathKey, message: str) -> None:
        origin = merged.origin(path)
        chain = merged.chains.get(origin.file, ())
        found.append(Diagnostic(origin.file, origin.line, origin.col, message, chain))

    enforcement = merged.data.get("enforcement")
    if isinstance(enforcement, dict) and "mode" in enforcement:
        started = [e for e in _list(enforcement.get("schedule")) if schedule_start(e) <= today]
        if started:
            entry = started[-1]
            add(
                ("enforcement", "mode"),
                f"enforcement.mode: {enforcement['mode']} has no effect: the schedule entry "
                f"from {entry.get('from')} ({entry.get('mode')}) is in force, and every later "
                "day follows the schedule; remove the mode or the schedule",
            )
    top = merged.data.get("thresholds")
    top_assertions = {
        a.get("name"): a for a in _list(merged.data.get("assertions")) if isinstance(a, dict)
    }
    campaigns = merged.data.get("campaigns")
    for key, campaign in (campaigns if isinstance(campaigns, dict) else {}).items():
        if not isinstance(campaign, dict):
            continue
        own = campaign.get("thresholds")
        for name, value in (own if isinstance(own, dict) else {}).items():
            if isinstance(top, dict) and name in top and _same(top[name], value):
                path: PathKey = ("campaigns", key, "thresholds", name)
                add(path, f"{where(path)}: {value} is what it inherits from thresholds.{name}; "
                          "the override has no effect")  # fmt: skip
        for index, item in enumerate(_list(campaign.get("assertions"))):
            if isinstance(item, dict) and _same(top_assertions.get(item.get("name")), item):
                path = ("campaigns", key, "assertions", index)
                add(path, f"{where(path)}: assertion {item.get('name')} is the same as the "
                          "top-level one it overrides; the override has no effect")  # fmt: skip
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _same(a: Any, b: Any) -> bool:
    # 1 and 1.0 are the same bar; True is not 1 (the schema refuses it anyway).
    return (type(a) is type(b) and a == b) or (_number(a) and _number(b) and a == b)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def schedule_start(entry: Any) -> date:
    """The day a schedule entry starts (date.max when unreadable: never in force)."""
    start = entry.get("from") if isinstance(entry, dict) else None
    if isinstance(start, date):
        return start
    try:
        return date.fromisoformat(str(start))
    except ValueError:
        return date.max  # reported by the schema; never in force
