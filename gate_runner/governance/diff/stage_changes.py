"""Which way a rule's own `enforcement` (a staged rule) moves the bar, from today on.

A rule's mode is compared on every day from today on where any schedule of either policy
moves: the mode each side judges it at (enforce.RuleModes: its stage, else its campaign's).
A staged, tightened threshold is judged against the looser bars it tightened too, so the
head loosens a day only when none of its bars is at least as strict as the base's bar at
the base's mode or above (docs/enforcement-rollout.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from gate_runner.modes import RuleModes, mode_in_force
from gate_runner.policy import MODE_RANK, Assertion, Campaign, Policy, Stage, Threshold
from gate_runner.thresholds import Effect, by_rank, threshold_effect

Rule = Threshold | Assertion


def stage_shown(stage: Stage | None) -> dict[str, Any] | None:
    """A stage as `diff` shows it (None: the rule has none of its own)."""
    if stage is None:
        return None
    shown: dict[str, Any] = {}
    if stage.mode is not None:
        shown["mode"] = stage.mode
    if stage.schedule:
        shown["schedule"] = [{"from": e.start.isoformat(), "mode": e.mode} for e in stage.schedule]
    return shown


def days(today: date, *policies: Policy) -> list[date]:
    """Today and every later day a schedule of these policies (or of one of their rules) moves."""
    starts = {today}
    for policy in policies:
        stages = [c.stage for c in policy.campaigns]
        for campaign in policy.campaigns:
            stages += [t.stage for t in campaign.thresholds] + [
                a.stage for a in campaign.assertions
            ]
            stages += [p.stage for t in campaign.thresholds for p in t.previous]
        stages += [t.stage for t in policy.default_thresholds]
        stages += [a.stage for a in policy.default_assertions]
        entries = [*policy.enforcement.schedule, *(e for s in stages if s for e in s.schedule)]
        starts |= {e.start for e in entries if e.start >= today}
    return sorted(starts)


def _modes(policy: Policy, campaign: Campaign | None, day: date) -> RuleModes:
    return RuleModes(mode_in_force(policy, campaign, today=day, override=None), day)


def rule_effect(
    sides: tuple[Policy, Policy],
    campaigns: tuple[Campaign | None, Campaign | None],
    rules: tuple[Rule, Rule],
    on: Iterable[date],
) -> Effect:
    """The effect of base -> head on one rule's judgement, over the days `on`."""
    effects = set()
    for day in on:
        base = _bars(rules[0], _modes(sides[0], campaigns[0], day))
        head = _bars(rules[1], _modes(sides[1], campaigns[1], day))
        effects.add(_day_effect(rules[0], base, head))
    if "loosens" in effects:
        return "loosens"
    return "tightens" if "tightens" in effects else "neutral"


def campaign_effect(
    sides: tuple[Policy, Policy], campaigns: tuple[Campaign, Campaign], on: Iterable[date]
) -> Effect:
    """A campaign's own mode (or stage) changed: its mode compared on each day."""
    effects = {
        by_rank(
            MODE_RANK[mode_in_force(sides[0], campaigns[0], today=day, override=None).mode],
            MODE_RANK[mode_in_force(sides[1], campaigns[1], today=day, override=None).mode],
        )
        for day in on
    }
    if "loosens" in effects:
        return "loosens"
    return "tightens" if "tightens" in effects else "neutral"


def _bars(rule: Rule, modes: RuleModes) -> list[tuple[Any, int]]:
    """Each bar the rule is judged against that day, with its mode's rank."""
    if isinstance(rule, Assertion):
        return [(None, MODE_RANK[modes.of(rule.stage, rule.name).mode])]
    return [
        (bar.value, MODE_RANK[modes.of(bar.stage, bar.key).mode]) for bar in (rule, *rule.previous)
    ]


def _day_effect(rule: Rule, base: list[tuple[Any, int]], head: list[tuple[Any, int]]) -> Effect:
    def at_least(bar: tuple[Any, int], other: tuple[Any, int]) -> bool:
        """`bar` is as strict as `other` in value and mode."""
        if bar[1] < other[1]:
            return False
        if isinstance(rule, Assertion):
            return True
        return threshold_effect(rule.key, other[0], bar[0]) in ("tightens", "neutral")

    if not all(any(at_least(h, b) for h in head) for b in base):
        return "loosens"
    if all(any(at_least(b, h) for b in base) for h in head):
        return "neutral"
    return "tightens"
