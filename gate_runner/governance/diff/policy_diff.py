"""The semantic difference of two effective policies, each change classed and located."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from gate_runner.governance.diff.bar_changes import (
    assertion_changes,
    field_origin,
    is_inherited,
    limit_changed,
    plain,
)
from gate_runner.governance.diff.diff_rules import (
    KEYS,
    Context,
    KeyClass,
    classify,
    context,
    key_class,
)
from gate_runner.governance.diff.stage_changes import (
    Rule,
    campaign_effect,
    days,
    rule_effect,
    stage_shown,
)
from gate_runner.governance.ref.policy_files import RemotePin
from gate_runner.governance.ref.sides import PolicySide
from gate_runner.modes import mode_in_force
from gate_runner.policy import MODE_RANK, Assertion, Campaign, Origin, Policy, Threshold
from gate_runner.thresholds import Effect, by_rank, threshold_effect


@dataclass(frozen=True)
class PolicyChange:
    path: str  # dotted, as `explain` shows it: campaigns.core.thresholds.min_pass_rate
    before: Any
    after: Any
    effect: Effect
    location: str | None  # file:line that made the change (the base's, for a removal)
    reason: str

    def transition(self, limit: int | None = None) -> str:
        """``key: before -> after``, as `diff` and the policy:changes check show it; `limit`
        cuts each value (an assertion's whole body would crowd a comment cell)."""
        return f"{self.path}: {_shown(self.before, limit)} -> {_shown(self.after, limit)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "before": self.before,
            "after": self.after,
            "effect": self.effect,
            "location": self.location,
            "reason": self.reason,
        }


def diff_policies(
    base: Policy,
    head: Policy,
    *,
    today: date,
    base_pins: tuple[RemotePin, ...] = (),
    head_pins: tuple[RemotePin, ...] = (),
) -> list[PolicyChange]:
    """Every change from `base` to `head` that alters what the gate does."""
    d = _Diff(base, head, today)
    d.enforcement()
    d.defaults()
    d.campaigns()
    d.waivers()
    d.pins(base_pins, head_pins)
    d.other_leaves()
    return d.changes


def diff_sides(base: PolicySide, head: PolicySide, *, today: date) -> list[PolicyChange]:
    """diff_policies of two loaded sides; a head whose file is gone is itself a loosening."""
    removal = []
    if head.removed:
        where, why = f"{base.policy.path}:1", "the policy file was removed"
        removal = [PolicyChange("policy", base.policy.path, None, "loosens", where, why)]
    return removal + diff_policies(
        base.policy, head.policy, today=today, base_pins=base.pins, head_pins=head.pins
    )


def loosens(changes: list[PolicyChange]) -> list[PolicyChange]:
    return [c for c in changes if c.effect == "loosens"]


def _where(origin: Origin | None) -> str | None:
    if origin is None or origin.file == "<default>":
        return None
    return f"{origin.file}:{origin.line}"


class _Diff:
    """Both policies and the changes found so far; each method compares one part of them."""

    def __init__(self, base: Policy, head: Policy, today: date) -> None:
        self.base, self.head, self.today = base, head, today
        self.changes: list[PolicyChange] = []
        self.base_origins = {e.path: e.origin for e in base.effective}
        self.head_origins = {e.path: e.origin for e in head.effective}
        self.keys = {c.key for c in (*base.campaigns, *head.campaigns)}
        # An empty mapping or list sets nothing: it is absent.
        self.base_leaves = {e.path: e.value for e in base.effective if e.value not in ({}, [])}
        self.head_leaves = {e.path: e.value for e in head.effective if e.value not in ({}, [])}
        self.ctx: Context = context(self.base_leaves, self.head_leaves)
        self.days = days(today, base, head)

    def add(
        self,
        path: str,
        before: Any,
        after: Any,
        effect: Effect,
        reason: str,
        *,
        head: Origin | None = None,
        base: Origin | None = None,
    ) -> None:
        head = head or self.head_origins.get(path)
        base = base or self.base_origins.get(path)
        # A removal was made by deleting a line: point at where the base had it.
        location = (_where(head) if after is not None else None) or _where(base)
        self.changes.append(PolicyChange(path, before, after, effect, location, reason))

    def enforcement(self) -> None:
        b, h = self.base.enforcement, self.head.enforcement
        old = [{"from": e.start.isoformat(), "mode": e.mode} for e in b.schedule]
        new = [{"from": e.start.isoformat(), "mode": e.mode} for e in h.schedule]
        if old != new:
            effect = self._schedule_effect()
            first = next(
                (e.origin for i, e in enumerate(h.schedule) if i >= len(old) or new[i] != old[i]),
                None,
            )
            self.add(
                "enforcement.schedule",
                old,
                new,
                effect,
                "the mode in force from today on differs",
                head=first,
                base=b.schedule[0].origin if b.schedule else None,
            )

    def _schedule_effect(self) -> Effect:
        """Compare the mode in force on every date from today on where either schedule moves."""
        days = {self.today} | {
            e.start for e in (*self.base.enforcement.schedule, *self.head.enforcement.schedule)
        }
        effects = {
            by_rank(
                MODE_RANK[self.base.enforcement.mode_on(day)[0]],
                MODE_RANK[self.head.enforcement.mode_on(day)[0]],
            )
            for day in days
            if day >= self.today
        }
        if "loosens" in effects:
            return "loosens"
        return "tightens" if "tightens" in effects else "neutral"

    def defaults(self) -> None:
        self.thresholds("thresholds", self.base.default_thresholds, self.head.default_thresholds)
        self.assertions("assertions", self.base.default_assertions, self.head.default_assertions)

    def thresholds(
        self,
        prefix: str,
        base: tuple[Threshold, ...],
        head: tuple[Threshold, ...],
        inherited: tuple[tuple[Threshold, ...], tuple[Threshold, ...]] = ((), ()),
        campaigns: tuple[Campaign | None, Campaign | None] = (None, None),
    ) -> None:
        old, new = {t.key: t for t in base}, {t.key: t for t in head}
        for key in [*old, *(k for k in new if k not in old)]:
            b, h = old.get(key), new.get(key)
            if is_inherited(b, inherited[0]) and is_inherited(h, inherited[1]):
                continue  # the policy-wide default changed; reported once, under thresholds.
            if b is not None and h is not None:
                self.stage(f"{prefix}.{key}", b, h, campaigns)
                if b.value == h.value:
                    continue
            before = plain(b.value) if b else None
            after = plain(h.value) if h else None
            if b is None or h is None:
                effect: Effect = "tightens" if b is None else "loosens"
                reason = "a new bar" if b is None else "a bar removed"
            else:
                effect = threshold_effect(key, b.value, h.value)
                reason = limit_changed(key, b.value, h.value)
            self.add(
                f"{prefix}.{key}",
                before,
                after,
                effect,
                reason,
                head=h.origin if h else None,
                base=b.origin if b else None,
            )

    def assertions(
        self,
        prefix: str,
        base: tuple[Assertion, ...],
        head: tuple[Assertion, ...],
        inherited: tuple[tuple[Assertion, ...], tuple[Assertion, ...]] = ((), ()),
        campaigns: tuple[Campaign | None, Campaign | None] = (None, None),
    ) -> None:
        old, new = {a.name: a for a in base}, {a.name: a for a in head}
        for name in [*old, *(n for n in new if n not in old)]:
            b, h = old.get(name), new.get(name)
            if is_inherited(b, inherited[0]) and is_inherited(h, inherited[1]):
                continue
            if b is not None and h is not None:
                self.stage(f"{prefix}.{name}", b, h, campaigns)
            for change in assertion_changes(b, h):
                path, before, after, effect, reason = change
                field = path.lstrip(".")
                self.add(
                    f"{prefix}.{name}{path}",
                    before,
                    after,
                    effect,
                    reason,
                    head=field_origin(self.head.effective, prefix, name, field)
                    or (h.origin if h else None),
                    base=field_origin(self.base.effective, prefix, name, field)
                    or (b.origin if b else None),
                )

    def stage(
        self, path: str, b: Rule, h: Rule, campaigns: tuple[Campaign | None, Campaign | None]
    ) -> None:
        """A rule's own `enforcement` changed: its judgement from today on, bar and mode."""
        before, after = stage_shown(b.stage), stage_shown(h.stage)
        if before == after:
            return  # a value's change is the rule's own row; a campaign's mode, the campaign's
        self.add(
            f"{path}.enforcement",
            before,
            after,
            rule_effect((self.base, self.head), campaigns, (b, h), self.days),
            "this rule's mode from today on differs",
            head=h.stage.origin if h.stage else None,
            base=b.stage.origin if b.stage else None,
        )

    def campaigns(self) -> None:
        old = {c.key: c for c in self.base.campaigns}
        new = {c.key: c for c in self.head.campaigns}
        for key in [*old, *(k for k in new if k not in old)]:
            b, h = old.get(key), new.get(key)
            path = f"campaigns.{key}"
            if b is None or h is None:
                effect: Effect = "tightens" if b is None else "loosens"
                reason = "a new campaign" if b is None else "a campaign removed"
                self.add(
                    path,
                    b and b.name_or_id,
                    h and h.name_or_id,
                    effect,
                    reason,
                    head=h.origin if h else None,
                    base=b.origin if b else None,
                )
                continue
            self._campaign(path, b, h)

    def _campaign(self, path: str, b: Campaign, h: Campaign) -> None:
        # The campaign it runs (its name defaults to the key); the other fields are leaves.
        if b.name_or_id != h.name_or_id:
            why = KEYS["campaigns.*.campaign"].why
            self.add(f"{path}.campaign", b.name_or_id, h.name_or_id, "loosens", why)
        was = b.enforcement or stage_shown(b.stage)
        now = h.enforcement or stage_shown(h.stage)
        if was != now:
            effect = campaign_effect((self.base, self.head), (b, h), self.days)
            old = mode_in_force(self.base, b, today=self.today, override=None).mode
            new = mode_in_force(self.head, h, today=self.today, override=None).mode
            self.add(
                f"{path}.enforcement",
                was,
                now,
                effect,
                f"mode for this campaign {old} -> {new} today, and from today on as its "
                "schedule says",
                head=h.enforcement_origin,
                base=b.enforcement_origin,
            )
        both = (b, h)
        self.thresholds(
            f"{path}.thresholds",
            b.thresholds,
            h.thresholds,
            (self.base.default_thresholds, self.head.default_thresholds),
            both,
        )
        self.assertions(
            f"{path}.assertions",
            b.assertions,
            h.assertions,
            (self.base.default_assertions, self.head.default_assertions),
            both,
        )

    def waivers(self) -> None:
        old = {(w.campaign, w.check): w for w in self.base.waivers}
        new = {(w.campaign, w.check): w for w in self.head.waivers}
        for key in [*old, *(k for k in new if k not in old)]:
            b, h = old.get(key), new.get(key)
            path = f"waivers.{key[0]}.{key[1]}"
            before = {"until": b.until.isoformat(), "reason": b.reason} if b else None
            after = {"until": h.until.isoformat(), "reason": h.reason} if h else None
            if before == after:
                continue
            if b is None or h is None:
                effect: Effect = "loosens" if b is None else "tightens"
                reason = "a new waiver" if b is None else "a waiver removed"
            elif b.until != h.until:
                effect = "loosens" if h.until > b.until else "tightens"
                reason = (
                    "the waiver lasts longer" if effect == "loosens" else "the waiver ends sooner"
                )
            else:
                effect, reason = "neutral", "the waiver's reason changed"
            self.add(
                path,
                before,
                after,
                effect,
                reason,
                head=h.origin if h else None,
                base=b.origin if b else None,
            )

    def pins(self, base: tuple[RemotePin, ...], head: tuple[RemotePin, ...]) -> None:
        old, new = {p.url: p for p in base}, {p.url: p for p in head}
        for url in [*old, *(u for u in new if u not in old)]:
            b, h = old.get(url), new.get(url)
            if b and h and b.sha256 == h.sha256:
                continue
            shown = h or b
            assert shown is not None  # the url came from one side
            if b and h:
                reason = "a remote extends pin changed"
            else:
                reason = "a remote policy added" if h else "a remote policy removed"
            before, after = (b.sha256 if b else None), (h.sha256 if h else None)
            self.changes.append(
                PolicyChange(f"extends.{url}", before, after, "loosens", shown.location, reason)
            )

    def other_leaves(self) -> None:
        """Every leaf no typed comparison owns, classed by diff_rules.KEYS."""
        old, new = self.base_leaves, self.head_leaves
        for path in sorted({*old, *new}):
            cls = key_class(path, self.keys)
            if cls.typed:
                continue
            before = self._value(old, path, cls)
            after = self._value(new, path, cls)
            if before == after:
                continue
            effect = classify(cls, before, after, self.ctx)
            b, h = self.base_origins.get(path), self.head_origins.get(path)
            self.add(
                path,
                old.get(path),
                new.get(path),
                effect,
                cls.why.format(before=before, after=after),
                head=h if path in new else None,
                base=b if path in old else None,
            )

    def _value(self, leaves: dict[str, Any], path: str, cls: KeyClass) -> Any:
        """The value in force: the leaf, else what it inherits, else its default."""
        seen = 0
        while path not in leaves and cls.inherit is not None and seen < 4:
            path, seen = cls.inherit, seen + 1
            cls = key_class(path)
        return leaves.get(path, cls.default)


def _shown(value: Any, limit: int | None = None) -> str:
    if value is None:
        return "(none)"
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"
