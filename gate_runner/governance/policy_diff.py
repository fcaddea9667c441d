"""The semantic difference of two effective policies, each change classed and located."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from gate_runner.governance.diff_campaigns import CampaignDiff
from gate_runner.governance.diff_rules import leaf_effect
from gate_runner.governance.policy_files import RemotePin
from gate_runner.policy import MODE_RANK, OUTCOME_RANK, Origin, Policy
from gate_runner.thresholds import Effect, by_rank

# Leaves of `Policy.effective` that the typed comparisons (here and in diff_campaigns)
# judge; any other leaf (a key a later version adds) is classed by diff_rules.leaf_effect.
_TYPED = re.compile(
    r"^(version|api\..*|gate\.(on_error|on_timeout|timeout|concurrency)|enforcement\..*"
    r"|thresholds\..*|assertions\[.*|waivers\[.*|waivers\.entries\[.*"
    r"|campaigns\.[^.]+(\.(campaign|trace_id|trace_file|mutation_pack_id|enforcement)"
    r"|\.thresholds\..*|\.assertions\[.*)?)$"
)


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
    d.settings()
    d.enforcement()
    d.defaults()
    d.campaigns()
    d.waivers()
    d.pins(base_pins, head_pins)
    d.other_leaves()
    return d.changes


def loosens(changes: list[PolicyChange]) -> list[PolicyChange]:
    return [c for c in changes if c.effect == "loosens"]


def _where(origin: Origin | None) -> str | None:
    if origin is None or origin.file == "<default>":
        return None
    return f"{origin.file}:{origin.line}"


class _Diff(CampaignDiff):
    def __init__(self, base: Policy, head: Policy, today: date) -> None:
        self.base, self.head, self.today = base, head, today
        self.changes: list[PolicyChange] = []
        self.base_origins = {e.path: e.origin for e in base.effective}
        self.head_origins = {e.path: e.origin for e in head.effective}

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

    def settings(self) -> None:
        b, h = self.base, self.head
        for name in ("on_error", "on_timeout"):
            old, new = getattr(b.gate, name), getattr(h.gate, name)
            if old != new:
                effect = by_rank(OUTCOME_RANK[old], OUTCOME_RANK[new])
                self.add(f"gate.{name}", old, new, effect, f"an unanswered run now counts as {new}")
        for name in ("timeout", "concurrency"):
            old, new = getattr(b.gate, name), getattr(h.gate, name)
            if old != new:
                self.add(f"gate.{name}", old, new, "neutral", "how the gate runs, not its bar")
        if b.api.base_url != h.api.base_url:
            why = "decisions would come from another server"
            self.add("api.base_url", b.api.base_url, h.api.base_url, "loosens", why)
        if b.api.project != h.api.project:
            why = "the campaigns would run in another project"
            self.add("api.project", b.api.project, h.api.project, "loosens", why)
        for name in ("token_env", "auth_header"):
            old, new = getattr(b.api, name), getattr(h.api, name)
            if old != new:
                self.add(f"api.{name}", old, new, "neutral", "how the gate authenticates")

    def enforcement(self) -> None:
        b, h = self.base.enforcement, self.head.enforcement
        if b.mode != h.mode:
            effect = by_rank(MODE_RANK[b.mode], MODE_RANK[h.mode])
            self.add(
                "enforcement.mode",
                b.mode,
                h.mode,
                effect,
                f"mode {b.mode} -> {h.mode}",
                head=h.mode_origin,
                base=b.mode_origin,
            )
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
        old = {e.path: e for e in self.base.effective if not _TYPED.match(e.path)}
        new = {e.path: e for e in self.head.effective if not _TYPED.match(e.path)}
        for path in sorted({*old, *new}):
            b, h = old.get(path), new.get(path)
            before, after = (b.value if b else None), (h.value if h else None)
            if before != after:
                effect = leaf_effect(path, before, after)
                self.add(
                    path,
                    before,
                    after,
                    effect,
                    "a setting changed",
                    head=h.origin if h else None,
                    base=b.origin if b else None,
                )


def _shown(value: Any, limit: int | None = None) -> str:
    if value is None:
        return "(none)"
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"
