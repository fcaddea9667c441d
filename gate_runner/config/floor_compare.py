"""Where a policy sits below a floor: each setting compared with the floor's (config/floors.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from gate_runner.config.merge import Merged
from gate_runner.config.schema import assertion_default, policy_defaults
from gate_runner.config.shadows import schedule_start
from gate_runner.config.yaml_positions import PathKey, where

# The ordering rules the policy diff applies too (one owner each): what loosens there is
# below a floor.
from gate_runner.policy import MODE_RANK, OUTCOME_RANK
from gate_runner.provenance import Origin
from gate_runner.thresholds import limit_of, threshold_effect


@dataclass(frozen=True)
class Breach:
    """One setting of a policy below its floor: where each side set it, and why it is below."""

    path: PathKey  # where the floor's value goes in the policy's data
    value: Any  # the policy's value (None: it has none)
    floor_value: Any
    at: Origin  # the policy's setting (its file's first line when it has none)
    floor_at: Origin  # the floor's setting
    reason: str
    # A tighter bar staged below the floor's mode: it stays, and the floor's bar judges
    # beside it at the floor's mode (a previous bar, enforce.RuleModes) instead of replacing it.
    keep: bool = False
    floor_mode: str | None = None  # a rule's mode breach: the floor's mode for it today

    @property
    def setting(self) -> str:
        if self.path[-1] == -1 and isinstance(self.floor_value, dict):  # a missing assertion
            return f"{where(self.path[:-1])}[{self.floor_value.get('name')}]"
        return where(self.path)

    def describe(self) -> str:
        """`campaigns.core.thresholds.min_pass_rate 0.8 is below the floor's 0.85 (f.yml:6)`."""
        shown = "(not set)" if self.value is None else shown_value(self.value)
        return (
            f"{self.setting} {shown} is below the floor's {shown_value(self.floor_value)} "
            f"({self.floor_at.file}:{self.floor_at.line}): {self.reason}"
        )


def shown_value(value: Any) -> str:
    if isinstance(value, dict) and "value" in value:  # a staged threshold: its limit, staged
        return f"{shown_value(value['value'])} (staged)"
    if isinstance(value, dict) and "name" in value:
        return f"{value['name']} ({value.get('level', assertion_default('level'))})"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def value_at(data: Any, path: PathKey) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _dicts(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class _Compare:
    def __init__(
        self, floor: Merged, repo: Merged, roots: tuple[str, str], today: date, extended: bool
    ) -> None:
        self.f, self.r, self.today, self.extended = floor, repo, today, extended
        self.root, self.floor_root = roots
        self.found: list[Breach] = []
        self._seen: set[tuple[PathKey, Origin]] = set()

    def at(self, merged: Merged, path: PathKey) -> Origin | None:
        origin = merged.origin(path)
        return None if origin.file == "<default>" else origin

    def add(  # noqa: PLR0917  # both sides' value and line, and why: one call per breach
        self, path: PathKey, value: Any, floor_value: Any, at: Origin | None, floor_at: Origin,
        reason: str, *, keep: bool = False, floor_mode: str | None = None,
    ) -> None:  # fmt: skip
        at = at or Origin(self.root, 1, 1)
        if (path, floor_at) in self._seen or (at, floor_at) in {
            (b.at, b.floor_at) for b in self.found
        }:
            return  # a campaign inheriting a top-level breach is reported once, at its line
        self._seen.add((path, floor_at))
        self.found.append(Breach(path, value, floor_value, at, floor_at, reason, keep, floor_mode))

    def thresholds(self) -> None:
        # Judged per campaign (what runs); the top level alone when there is no campaign. A
        # floor campaign the policy lacks is added whole (campaigns()), its bars with it.
        campaigns: list[str | None] = list(_dicts(self.r.data.get("campaigns")))
        for campaign in campaigns or [None]:
            self._thresholds_of(campaign)

    def _bar(self, merged: Merged, campaign: str | None, key: str) -> tuple[Any, PathKey] | None:
        """A threshold in force for a campaign (None: the top level) and where it was set."""
        places: list[PathKey] = [("thresholds",)]
        if campaign is not None:
            places.insert(0, ("campaigns", campaign, "thresholds"))
        for place in places:
            own = _dicts(value_at(merged.data, place))
            if key in own:
                return own[key], (*place, key)
        return None

    def _thresholds_of(self, campaign: str | None) -> None:
        floor_keys = set(_dicts(self.f.data.get("thresholds")))
        if campaign is not None:
            floor_keys |= set(_dicts(value_at(self.f.data, ("campaigns", campaign, "thresholds"))))
        for key in sorted(floor_keys):
            bar = self._bar(self.f, campaign, key)
            if bar is None:
                continue
            floor_value, floor_path = bar
            floor_at = self.at(self.f, floor_path)
            if floor_at is None:
                continue
            mine = self._bar(self.r, campaign, key)
            target: PathKey = (
                ("thresholds", key)
                if campaign is None
                else ("campaigns", campaign, "thresholds", key)
            )
            if mine is None:
                if floor_path[0] == "thresholds":
                    target = ("thresholds", key)  # raised where every campaign inherits it
                self.add(target, None, floor_value, None, floor_at, f"{key} not set here")
                continue
            value, path = mine
            effect = threshold_effect(key, limit_of(floor_value), limit_of(value))
            if effect != "loosens":
                self._rule_mode_of(campaign, (path, value), (floor_path, floor_value), effect)
                continue
            if path[0] == "thresholds" and campaign is not None and floor_path[0] == "thresholds":
                target = path  # the top-level setting is what is below, once
            self.add(target, value, floor_value, self.at(self.r, path), floor_at, "a looser bar")

    def _rule_mode_of(
        self,
        campaign: str | None,
        mine: tuple[PathKey, Any],
        floor: tuple[PathKey, Any],
        effect: str,
    ) -> None:
        """A rule's own mode may only rise (observe < soft < hard): a floor's bar judged at
        a weaker mode here is a breach. A tighter bar staged lower keeps the floor's judging
        beside it: extended, it already does (a previous bar); applied, it is kept (keep)."""
        path, value = mine
        mode, set_at = self._rule_mode(self.r, campaign, path, value)
        floor_mode, floor_set = self._rule_mode(self.f, campaign, floor[0], floor[1])
        floor_at = self.at(self.f, floor_set) if floor_set else None
        if floor_at is None or MODE_RANK.get(mode, 0) >= MODE_RANK.get(floor_mode, 0):
            return
        if effect == "tightens" and self.extended:
            return
        why = f"this rule judged at {mode}, the floor's at {floor_mode}"
        at = self.at(self.r, set_at) if set_at else None
        self.add(
            path, value, floor[1], at, floor_at, why, keep=effect == "tightens",
            floor_mode=floor_mode,
        )  # fmt: skip

    def _rule_mode(
        self, merged: Merged, campaign: str | None, path: PathKey, raw: Any
    ) -> tuple[str, PathKey | None]:
        """A rule's mode today: its own `enforcement` (schedule entry, else mode), else its
        campaign's (enforce.RuleModes' order)."""
        own = _dicts(raw).get("enforcement")
        staged = _staged(own, (*path, "enforcement"), self.today)
        return staged or self._mode(merged, campaign)

    def _mode(self, merged: Merged, campaign: str | None) -> tuple[str, PathKey | None]:
        """The mode in force today and where it was set (enforce.mode_in_force's order)."""
        if campaign is not None:
            at: PathKey = ("campaigns", campaign, "enforcement")
            own = value_at(merged.data, at)
            if isinstance(own, str):
                return own, at
            staged = _staged(own, at, self.today)
            if staged is not None:
                return staged
        schedule = value_at(merged.data, ("enforcement", "schedule"))
        current: tuple[str, PathKey | None] | None = None
        for index, entry in enumerate(schedule if isinstance(schedule, list) else []):
            if isinstance(entry, dict) and schedule_start(entry) <= self.today:
                current = (str(entry.get("mode")), ("enforcement", "schedule", index, "mode"))
        if current is not None:
            return current
        mode = value_at(merged.data, ("enforcement", "mode"))
        if isinstance(mode, str):
            return mode, ("enforcement", "mode")
        return str(policy_defaults()[("enforcement", "mode")]), None

    def modes(self) -> None:
        for campaign in (None, *_dicts(self.r.data.get("campaigns"))):
            floor_mode, floor_path = self._mode(self.f, campaign)
            floor_at = self.at(self.f, floor_path) if floor_path else None
            if floor_at is None or floor_mode not in MODE_RANK:
                continue
            mode, path = self._mode(self.r, campaign)
            if MODE_RANK.get(mode, 0) < MODE_RANK[floor_mode]:
                target = path or ("enforcement", "mode")
                if campaign is not None and floor_path and floor_path[0] == "campaigns":
                    target = ("campaigns", campaign, "enforcement")
                at = self.at(self.r, path) if path else None
                self.add(target, mode, floor_mode, at, floor_at, "a weaker mode in force")
            if campaign is None:
                self._later_entries(floor_mode, floor_at)

    def _later_entries(self, floor_mode: str, floor_at: Origin) -> None:
        schedule = value_at(self.r.data, ("enforcement", "schedule"))
        for index, entry in enumerate(schedule if isinstance(schedule, list) else []):
            if not isinstance(entry, dict) or schedule_start(entry) <= self.today:
                continue
            mode = entry.get("mode")
            if MODE_RANK.get(str(mode), 0) < MODE_RANK[floor_mode]:
                path: PathKey = ("enforcement", "schedule", index, "mode")
                why = f"a weaker mode from {entry.get('from')}"
                self.add(path, mode, floor_mode, self.at(self.r, path), floor_at, why)

    def outcomes(self) -> None:
        for name in ("on_error", "on_timeout"):
            path: PathKey = ("gate", name)
            floor_value = value_at(self.f.data, path) or policy_defaults()[path]
            value = value_at(self.r.data, path) or policy_defaults()[path]
            floor_at = self.at(self.f, path) or Origin(self.floor_root, 1, 1)
            if OUTCOME_RANK.get(str(value), 0) < OUTCOME_RANK.get(str(floor_value), 0):
                why = f"an unanswered run would count as {value}"
                self.add(path, value, floor_value, self.at(self.r, path), floor_at, why)

    def assertions(self) -> None:
        places: list[PathKey] = [("assertions",)]
        places += [("campaigns", c, "assertions") for c in _dicts(self.f.data.get("campaigns"))]
        for place in places:
            items = value_at(self.f.data, place)
            for index, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, dict):
                    self._assertion(place, index, item)
        # A repository campaign may not override a top-level floor assertion with a weaker one.
        top = value_at(self.f.data, ("assertions",))
        for campaign in _dicts(self.r.data.get("campaigns")):
            own = ("campaigns", campaign, "assertions")
            for index, item in enumerate(top if isinstance(top, list) else []):
                if isinstance(item, dict) and _find(self.r, own, item.get("name")) is not None:
                    self._assertion(("assertions",), index, item, own)

    def _assertion(
        self, place: PathKey, index: int, item: dict[str, Any], target: PathKey | None = None
    ) -> None:
        floor_at = self.at(self.f, (*place, index))
        if floor_at is None:
            return
        target = target or place
        found = _find(self.r, target, item.get("name"))
        if found is None:
            self.add(
                (*target, -1),
                None,
                item,
                None,
                floor_at,
                f"assertion {item.get('name')} missing here",
            )
            return
        slot, mine = found
        level = assertion_default("level")
        at = self.at(self.r, (*target, slot))
        campaign = str(target[1]) if target[0] == "campaigns" else None
        mode, set_at = self._rule_mode(self.r, campaign, (*target, slot), mine)
        floor_mode = self._rule_mode(self.f, campaign, (*place, index), item)[0]
        if item.get("level", level) == "error" and mine.get("level", level) == "warn":
            self.add((*target, slot), mine, item, at, floor_at, "lowered to warn")
        elif mine.get("expr") != item.get("expr"):
            self.add((*target, slot), mine, item, at, floor_at, "its expression changed")
        elif MODE_RANK.get(mode, 0) < MODE_RANK.get(floor_mode, 0):
            why = f"this rule judged at {mode}, the floor's at {floor_mode}"
            where_set = (self.at(self.r, set_at) if set_at else None) or at
            self.add((*target, slot), mine, item, where_set, floor_at, why)

    def campaigns(self) -> None:
        mine = _dicts(self.r.data.get("campaigns"))
        for key in _dicts(self.f.data.get("campaigns")):
            floor_at = self.at(self.f, ("campaigns", key))
            if key not in mine and floor_at is not None:
                self.add(
                    ("campaigns", key), None, key, None, floor_at, f"campaign {key} missing here"
                )

    def waivers(self) -> None:
        days: PathKey = ("waivers", "max_days")
        floor_days, value = value_at(self.f.data, days), value_at(self.r.data, days)
        floor_at = self.at(self.f, days)
        longer = isinstance(floor_days, int) and (not isinstance(value, int) or value > floor_days)
        if longer and floor_at is not None:
            self.add(days, value, floor_days, self.at(self.r, days), floor_at, "longer waivers")
        reason: PathKey = ("waivers", "reason")
        floor_reason, value = value_at(self.f.data, reason), value_at(self.r.data, reason)
        floor_at = self.at(self.f, reason)
        if isinstance(floor_reason, str) and floor_at is not None and value != floor_reason:
            why = "another rule for a waiver's reason"
            self.add(reason, value, floor_reason, self.at(self.r, reason), floor_at, why)


def _staged(own: Any, at: PathKey, today: date) -> tuple[str, PathKey] | None:
    """A rule's or campaign's own {mode, schedule} today, and where; None: it sets none."""
    if not isinstance(own, dict):
        return None
    found: tuple[str, PathKey] | None = None
    schedule = own.get("schedule")
    for index, entry in enumerate(schedule if isinstance(schedule, list) else []):
        if isinstance(entry, dict) and schedule_start(entry) <= today:
            found = (str(entry.get("mode")), (*at, "schedule", index, "mode"))
    if found is None and isinstance(own.get("mode"), str):
        found = (own["mode"], (*at, "mode"))
    return found


def _find(merged: Merged, place: PathKey, name: object) -> tuple[int, dict[str, Any]] | None:
    items = value_at(merged.data, place)
    for index, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict) and item.get("name") == name:
            return index, item
    return None


def breaches(
    floor: Merged, policy: Merged, *, roots: tuple[str, str], today: date, extended: bool = True
) -> list[Breach]:
    """Every setting of `policy` below `floor`: the floor's own settings, and its on_error /
    on_timeout (fail by default). `roots`: the policy's and the floor's files, named when a
    side has no setting of its own. `extended`: the policy extends the floor (its bars are
    in the policy's chain), else it is applied (--floor)."""
    check = _Compare(floor, policy, roots, today, extended)
    check.thresholds()
    check.modes()
    check.outcomes()
    check.assertions()
    check.campaigns()
    check.waivers()
    return check.found
