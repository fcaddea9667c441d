"""Settings that have no effect: warnings `validate` and `explain` give at the setting's line."""

from __future__ import annotations

from datetime import date
from typing import Any

from gate_runner.config.merge import Merged
from gate_runner.config.schema import policy_defaults
from gate_runner.config.yaml_positions import PathKey, where
from gate_runner.errors import Diagnostic


def shadowed(merged: Merged, *, today: date) -> list[Diagnostic]:
    """A mode a schedule has replaced (the policy's, a campaign's or a staged rule's), a
    campaign's or rule's own mode equal to the one it has without it, and a campaign's
    override equal to what it inherits.

    (A setting a `--floor` overrides is warned where the floor is applied: config/floors.py.)
    """
    found: list[Diagnostic] = []

    def add(path: PathKey, message: str) -> None:
        origin = merged.origin(path)
        chain = merged.chains.get(origin.file, ())
        found.append(Diagnostic(origin.file, origin.line, origin.col, message, chain))

    for at, enforcement in enforcements(merged):
        started = [e for e in _list(enforcement.get("schedule")) if schedule_start(e) <= today]
        if "mode" in enforcement and started:
            entry = started[-1]
            mode_at: PathKey = (*at, "mode")
            add(
                mode_at,
                f"{where(mode_at)}: {enforcement['mode']} has no effect: the schedule entry "
                f"from {entry.get('from')} ({entry.get('mode')}) is in force, and every later "
                "day follows the schedule; remove the mode or the schedule",
            )
        elif at != ("enforcement",) and _inherits_the_same(merged, at, enforcement):
            mode_at = (*at, "mode")
            what = "campaign" if at[0] == "campaigns" and len(at) == 3 else "rule"
            add(
                mode_at,
                f"{where(mode_at)}: {enforcement['mode']} has no effect: it is the mode this "
                f"{what} has without it (there is no "
                "schedule); stage a rule with a mode that differs, or a schedule",
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


def staged(merged: Merged, *, today: date) -> list[Diagnostic]:
    """validate's notes: each campaign or rule staged apart (its own enforcement), its mode
    today and its schedule, at the line of its `enforcement`."""
    found = []
    for at, enforcement in enforcements(merged):
        if at == ("enforcement",):
            continue
        entries = [e for e in _list(enforcement.get("schedule")) if isinstance(e, dict)]
        started = [e for e in entries if schedule_start(e) <= today]
        mode = started[-1].get("mode") if started else enforcement.get("mode")
        label = where(at[:-1])
        if isinstance(at[-2], int):  # an assertion: named as waivers and checks name it
            label = f"{where(at[:-2])}[{merged.get(at[:-1]).get('name')}]"
        text = f"{label} is staged: {mode or 'the mode it has without it'} on {today}"
        if entries:
            text += "; schedule " + ", ".join(f"{e.get('from')} {e.get('mode')}" for e in entries)
        origin = merged.origin(at)
        found.append(
            Diagnostic(
                origin.file, origin.line, origin.col, text, merged.chains.get(origin.file, ())
            )
        )
    return found


def enforcements(merged: Merged) -> list[tuple[PathKey, dict[str, Any]]]:
    """Every `enforcement` mapping: the policy's, each campaign's, each rule's (a staged
    threshold or assertion), with where it is."""
    data = merged.data
    places: list[tuple[PathKey, Any]] = [(("enforcement",), data.get("enforcement"))]

    def rules(at: PathKey, node: Any) -> None:
        thresholds = node.get("thresholds") if isinstance(node, dict) else None
        for key, value in (thresholds if isinstance(thresholds, dict) else {}).items():
            if isinstance(value, dict):
                places.append(((*at, "thresholds", key, "enforcement"), value.get("enforcement")))
        assertions = node.get("assertions") if isinstance(node, dict) else None
        for index, item in enumerate(_list(assertions)):
            if isinstance(item, dict):
                places.append(((*at, "assertions", index, "enforcement"), item.get("enforcement")))

    rules((), data)
    campaigns = data.get("campaigns")
    for key, campaign in (campaigns if isinstance(campaigns, dict) else {}).items():
        if isinstance(campaign, dict):
            places.append((("campaigns", key, "enforcement"), campaign.get("enforcement")))
            rules(("campaigns", key), campaign)
    return [(at, value) for at, value in places if isinstance(value, dict)]


def _inherits_the_same(merged: Merged, at: PathKey, enforcement: dict[str, Any]) -> bool:
    """A campaign's or rule's `mode` (no schedule) equal to the one mode above it, which no
    schedule moves either: it cannot change anything on any day."""
    if "mode" not in enforcement or _list(enforcement.get("schedule")):
        return False
    top = merged.data.get("enforcement")
    top = top if isinstance(top, dict) else {}
    if _list(top.get("schedule")):
        return False
    above = top.get("mode", policy_defaults()[("enforcement", "mode")])
    campaigns = merged.data.get("campaigns")
    campaigns = campaigns if isinstance(campaigns, dict) else {}
    if at[0] != "campaigns" and any(
        isinstance(c, dict) and "enforcement" in c for c in campaigns.values()
    ):
        return False  # a policy-wide rule in a campaign with a mode of its own: it counts there
    if at[0] == "campaigns" and len(at) > 3:
        own = campaigns[at[1]].get("enforcement")
        if isinstance(own, str):
            above = own
        elif isinstance(own, dict):
            if _list(own.get("schedule")):
                return False
            above = own.get("mode", above)
    return bool(enforcement["mode"] == above)


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
