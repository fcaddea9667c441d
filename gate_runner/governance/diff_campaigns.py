"""Thresholds, assertions and campaigns compared: the bars a policy sets, side by side."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from gate_runner.governance.diff_rules import KEYS, classify
from gate_runner.policy import (
    MODE_RANK,
    Assertion,
    Campaign,
    EffectiveValue,
    Origin,
    Policy,
    Threshold,
)
from gate_runner.thresholds import THRESHOLDS, Effect, by_rank, threshold_effect


class CampaignDiff:
    """The part of the policy diff that compares bars; the diff class supplies `add`."""

    base: Policy
    head: Policy
    today: date

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
        raise NotImplementedError

    def defaults(self) -> None:
        self.thresholds("thresholds", self.base.default_thresholds, self.head.default_thresholds)
        self.assertions("assertions", self.base.default_assertions, self.head.default_assertions)

    def thresholds(
        self,
        prefix: str,
        base: tuple[Threshold, ...],
        head: tuple[Threshold, ...],
        inherited: tuple[tuple[Threshold, ...], tuple[Threshold, ...]] = ((), ()),
    ) -> None:
        old, new = {t.key: t for t in base}, {t.key: t for t in head}
        for key in [*old, *(k for k in new if k not in old)]:
            b, h = old.get(key), new.get(key)
            if b is not None and h is not None and b.value == h.value:
                continue
            if _inherited(b, inherited[0]) and _inherited(h, inherited[1]):
                continue  # the policy-wide default changed; reported once, under thresholds.
            before = _plain(b.value) if b else None
            after = _plain(h.value) if h else None
            if b is None or h is None:
                effect: Effect = "tightens" if b is None else "loosens"
                reason = "a new bar" if b is None else "a bar removed"
            else:
                effect = threshold_effect(key, b.value, h.value)
                reason = _limit_changed(key, b.value, h.value)
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
    ) -> None:
        old, new = {a.name: a for a in base}, {a.name: a for a in head}
        for name in [*old, *(n for n in new if n not in old)]:
            b, h = old.get(name), new.get(name)
            if _inherited(b, inherited[0]) and _inherited(h, inherited[1]):
                continue
            for change in _assertion_changes(b, h):
                path, before, after, effect, reason = change
                field = path.lstrip(".")
                self.add(
                    f"{prefix}.{name}{path}",
                    before,
                    after,
                    effect,
                    reason,
                    head=_field(self.head.effective, prefix, name, field)
                    or (h.origin if h else None),
                    base=_field(self.base.effective, prefix, name, field)
                    or (b.origin if b else None),
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
        if b.enforcement != h.enforcement:
            old = b.enforcement or self.base.enforcement.mode_on(self.today)[0]
            new = h.enforcement or self.head.enforcement.mode_on(self.today)[0]
            self.add(
                f"{path}.enforcement",
                b.enforcement,
                h.enforcement,
                by_rank(MODE_RANK[old], MODE_RANK[new]),
                f"mode for this campaign {old} -> {new}",
                head=h.enforcement_origin,
                base=b.enforcement_origin,
            )
        self.thresholds(
            f"{path}.thresholds",
            b.thresholds,
            h.thresholds,
            (self.base.default_thresholds, self.head.default_thresholds),
        )
        self.assertions(
            f"{path}.assertions",
            b.assertions,
            h.assertions,
            (self.base.default_assertions, self.head.default_assertions),
        )


def _assertion_changes(
    b: Assertion | None, h: Assertion | None
) -> Iterator[tuple[str, Any, Any, Effect, str]]:
    if b is None or h is None:
        shown = b or h
        assert shown is not None
        entry = {"expr": shown.expr, "level": shown.level}
        if b is None:
            yield (
                "",
                None,
                entry,
                "tightens" if h and h.level == "error" else "neutral",
                "a new assertion",
            )
        else:
            yield (
                "",
                entry,
                None,
                "loosens" if b.level == "error" else "neutral",
                "an assertion removed",
            )
        return
    for field in ("level", "expr", "message"):
        before, after = getattr(b, field), getattr(h, field)
        if before != after:
            # An expression changed cannot be judged stricter: a person must read it.
            cls = KEYS[f"assertions[].{field}"]
            why = cls.why.format(before=before, after=after)
            yield f".{field}", before, after, classify(cls, before, after), why


def _field(
    effective: tuple[EffectiveValue, ...], prefix: str, name: str, field: str
) -> Origin | None:
    """Where one field of a named assertion was written (its `level:` line, say)."""
    if not field:
        return None
    by_path = {e.path: e for e in effective}
    for entry in effective:
        if entry.value == name and re.fullmatch(rf"{re.escape(prefix)}\[\d+\]\.name", entry.path):
            found = by_path.get(entry.path[: -len("name")] + field)
            return found.origin if found else None
    return None


def _inherited(item: object, defaults: tuple[object, ...]) -> bool:
    """Absent, or exactly the policy-wide default: a change there is reported once, up top."""
    return item is None or item in defaults


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _limit_changed(key: str, before: Any, after: Any) -> str:
    """Why a threshold's limit changed, in the diff's words."""
    if key in THRESHOLDS and THRESHOLDS[key].looser == "fewer":
        return "required categories changed"
    return f"{key} {'lowered' if after < before else 'raised'}"
