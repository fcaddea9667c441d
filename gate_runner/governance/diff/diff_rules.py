"""Which way a changed value moves the bar: one class for every policy key, and the rules.

Every key the policy schema has is in KEYS (a test walks the schema), so a new key cannot be
silently neutral; a key that is not there (a later version's) loosens until it is classed.
Every setting that can make a gate easier to pass, or send its work or its review
elsewhere, loosens.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

# The orderings have one owner each, below both the policy diff and config/floors: modes and
# outcomes are the policy's (policy.py), a bar's and a threshold's the table's (thresholds.py).
from gate_runner.thresholds import THRESHOLDS, Effect, Looser, bar_effect, by_rank

# rank: ordered tiers, loosest first (two values of one tier cannot be compared: loosens);
# lower / higher: a number where that way loosens; fewer: a set where dropping loosens;
# changed: any change loosens (what runs, where, as whom, or an expression a person must
# read); deadline: a shorter deadline loosens when running out of time can pass;
# confidence: statistics.confidence; budget: gate.budget (more runs give an unlucky agent
# more chances; fewer leave more campaigns inconclusive, which passes under a lenient
# on_inconclusive); neutral: cannot make the gate easier to pass.
Kind = Literal[
    "rank", "lower", "higher", "fewer", "changed", "deadline", "confidence", "budget", "neutral"
]


@dataclass(frozen=True)
class KeyClass:
    """How a change of one policy key is classed, and why (the reason `diff` prints)."""

    kind: Kind
    why: str  # may name {before} and {after}
    order: tuple[tuple[str, ...], ...] = ()  # rank: tiers, loosest first
    default: object = None  # what an absent value means (the schema's default)
    inherit: str | None = None  # absent: the value of this policy-wide key applies
    added_tightens: bool = False  # changed: setting it where it was absent tightens
    # lower / higher: absent is no bar at all (removing it loosens, adding it tightens);
    # False: absent is another rule, so either way loosens.
    absent_is_no_bar: bool = True
    # Compared by a typed comparison in policy_diff / diff_campaigns (it calls `classify`),
    # not leaf by leaf: collections keyed by name, and values that inherit across levels.
    typed: bool = False


_MODES = (("observe",), ("soft",), ("hard",))
_OUTCOMES = (("pass",), ("fail",))
_INCONCLUSIVE = (("pass",), ("warn",), ("fail",))
_WHERE = "decisions would come from another server, project or account"


def _runs(prefix: str, inherit: bool) -> dict[str, KeyClass]:
    """repeat, max_runs, on_inconclusive, min_passing_runs: gate-wide, or one campaign's."""

    def up(key: str) -> str | None:
        return f"gate.{key}" if inherit else None

    return {
        f"{prefix}.repeat": KeyClass(
            "higher", "more runs give an unlucky agent more chances", default=None if inherit
            else 1, inherit=up("repeat"),
        ),
        f"{prefix}.max_runs": KeyClass(
            "higher", "more runs give an unlucky agent more chances",
            inherit=up("max_runs") if inherit else "gate.repeat",
        ),
        f"{prefix}.on_inconclusive": KeyClass(
            "rank", "an undecided campaign now counts as {after}", _INCONCLUSIVE,
            default=None if inherit else "fail", inherit=up("on_inconclusive"),
        ),
        f"{prefix}.min_passing_runs": KeyClass(
            "lower", "fewer passing runs are enough", inherit=up("min_passing_runs"),
            absent_is_no_bar=False,
        ),
    }  # fmt: skip


def _stage(prefix: str) -> dict[str, KeyClass]:
    """A rule's own `enforcement` (issue 20): compared as the rule's judgement from today on
    (governance/diff/stage_changes.py): a mode that drops, or a schedule that reaches its
    mode later, loosens."""
    why = "this rule's mode from today on differs"
    return {
        f"{prefix}.enforcement.mode": KeyClass("rank", why, _MODES, typed=True),
        f"{prefix}.enforcement.schedule": KeyClass("rank", why, typed=True),
        f"{prefix}.enforcement.schedule[].from": KeyClass("rank", why, typed=True),
        f"{prefix}.enforcement.schedule[].mode": KeyClass("rank", why, _MODES, typed=True),
    }


def _thresholds(prefix: str) -> dict[str, KeyClass]:
    found: dict[str, KeyClass] = {}
    for key, kind in THRESHOLDS.items():
        bar = KeyClass(kind.looser, f"{key} {{before}} -> {{after}}", typed=True)
        found |= {f"{prefix}.{key}": bar, f"{prefix}.{key}.value": bar}
        found |= _stage(f"{prefix}.{key}")
    return found


def _assertions(prefix: str) -> dict[str, KeyClass]:
    return {
        prefix: KeyClass("rank", "an error-level assertion removed", typed=True),
        f"{prefix}[].name": KeyClass("neutral", "its name: a renamed one is removed and added",
                                     typed=True),
        f"{prefix}[].expr": KeyClass("changed", "the expression changed; review it", typed=True),
        f"{prefix}[].level": KeyClass("rank", "level {before} -> {after}", (("warn",), ("error",)),
                                      default="error", typed=True),
        f"{prefix}[].message": KeyClass("neutral", "the message changed", typed=True),
        **_stage(f"{prefix}[]"),
    }  # fmt: skip


def _waivers(prefix: str) -> dict[str, KeyClass]:
    entry = KeyClass("changed", "a new waiver, or one that lasts longer", typed=True)
    return {prefix: entry} | {
        f"{prefix}[].{key}": entry for key in ("campaign", "check", "until", "reason")
    }


KEYS: dict[str, KeyClass] = {
    "version": KeyClass("neutral", "the policy format (there is one)"),
    # A floor (docs/governance.md §1): dropping it lets what extends this file go below it.
    "floor": KeyClass("changed", "floor: {before} -> {after}", added_tightens=True),
    "extends": KeyClass("changed", "a remote extends pin changed", typed=True),
    # A local file's settings are compared after the merge, like the policy's own.
    "extends[]": KeyClass("neutral", "a local file, compared after merge", typed=True),
    "extends[].url": KeyClass("changed", "a remote extends pin changed", typed=True),
    "extends[].sha256": KeyClass("changed", "a remote extends pin changed", typed=True),
    # A git file (issue 20): another repository, ref or file is another policy; another
    # credential sends another secret to that host. Compared as pins (policy_files.RemotePin).
    "extends[].git": KeyClass("changed", "a remote extends pin changed", typed=True),
    "extends[].ref": KeyClass("changed", "a remote extends pin changed", typed=True),
    "extends[].path": KeyClass("changed", "a remote extends pin changed", typed=True),
    "extends[].auth.env": KeyClass("changed", "another credential is sent", typed=True),
    "extends[].auth.header": KeyClass("changed", "another credential is sent", typed=True),
    "project": KeyClass("changed", _WHERE),
    "api.base_url": KeyClass("changed", _WHERE),
    "api.project": KeyClass("changed", _WHERE),
    "api.token_env": KeyClass("changed", _WHERE + " (another token, or none: then on_error)"),
    "api.auth_header": KeyClass("changed", "the token is sent another way (refused: on_error)"),
    "gate.timeout": KeyClass("deadline", "less time, and a campaign left pending passes"),
    "gate.concurrency": KeyClass("deadline", "fewer in flight, and a campaign left pending passes"),
    "gate.on_error": KeyClass(
        "rank", "an unanswered run now counts as {after}", _OUTCOMES, default="fail"
    ),
    "gate.on_timeout": KeyClass(
        "rank", "an unanswered run now counts as {after}", _OUTCOMES, default="fail"
    ),
    **_runs("gate", inherit=False),
    # gate.budget (issue 21): raised or removed, more runs give an unlucky agent more
    # chances; lowered or added, a campaign the budget stops is inconclusive, which passes
    # when on_inconclusive is pass or warn anywhere.
    "gate.budget.runs": KeyClass("budget", "gate.budget.runs {before} -> {after}"),
    "gate.budget.trials": KeyClass("budget", "gate.budget.trials {before} -> {after}"),
    "gate.budget.cost_per_trial": KeyClass("neutral", "the price shown; it caps nothing"),
    "gate.policy_changes": KeyClass(
        "rank", "policy changes {before} -> {after}", (("allow",), ("review",), ("block",)),
        default="review",
    ),
    # Whoever is named approves loosenings: any change sends that review elsewhere.
    "gate.policy_owners": KeyClass("changed", "the policy owners who approve a loosening differ"),
    # Reuse (issue 21) decides whether a campaign runs at all: any change of it is reviewed.
    "gate.reuse.paths": KeyClass(
        "changed", "reuse watches other paths: a change elsewhere no longer runs the campaigns"
    ),
    "gate.reuse.max_age": KeyClass("changed", "a saved result's age limit {before} -> {after}"),
    "statistics.confidence": KeyClass("confidence", "statistics.confidence {before} -> {after}"),
    "statistics.trials": KeyClass("changed", "the trial count is read another way; review it"),
    # statistics.icc (issue 19): a smaller declared ρ assumes runs vary less, so more agents
    # pass; absent is the run-rates rule, which assumes nothing of ρ: ranked above any declared.
    "statistics.icc": KeyClass(
        "lower", "statistics.icc {before} -> {after} (absent: the run-rates rule)", default=1.0
    ),
    "publish": KeyClass("neutral", "forge statuses report the verdict, they do not decide it"),
    "enforcement.mode": KeyClass("rank", "mode {before} -> {after}", _MODES, default="hard"),
    "enforcement.schedule": KeyClass("rank", "the mode in force from today on differs",
                                     typed=True),
    "enforcement.schedule[].from": KeyClass("rank", "the mode in force from today on differs",
                                            typed=True),
    "enforcement.schedule[].mode": KeyClass("rank", "the mode in force from today on differs",
                                            _MODES, typed=True),
    "enforcement.soft.reviewers": KeyClass("fewer", "soft mode's review would go elsewhere"),
    "enforcement.soft.label": KeyClass(
        "changed", "soft mode's label would be another", added_tightens=True
    ),
    **_thresholds("thresholds"),
    **_assertions("assertions"),
    "campaigns": KeyClass("changed", "a campaign removed", typed=True),
    "campaigns.*.campaign": KeyClass("changed", "another campaign would run", typed=True),
    "campaigns.*.trace_id": KeyClass("changed", "another trace would be replayed"),
    "campaigns.*.trace_file": KeyClass("changed", "another trace would be replayed"),
    "campaigns.*.mutation_pack_id": KeyClass("changed", "other mutations would run"),
    **_thresholds("campaigns.*.thresholds"),
    **_assertions("campaigns.*.assertions"),
    "campaigns.*.enforcement": KeyClass("rank", "mode for this campaign {before} -> {after}",
                                        _MODES, typed=True),
    **_stage("campaigns.*"),
    **_runs("campaigns.*", inherit=True),
    "campaigns.*.aggregate": KeyClass(
        "rank", "runs aggregate {before} -> {after}",
        (("best",), ("median", "mean", "pooled"), ("worst",)), default="median",
    ),
    **_waivers("waivers"),
    **_waivers("waivers.entries"),
    "waivers.max_days": KeyClass("higher", "waivers may run longer"),
    "waivers.reason": KeyClass(
        "changed", "what a waiver's reason must name changed", added_tightens=True
    ),
    "waivers.warn_days": KeyClass("neutral", "a warning before a waiver ends, only"),
}  # fmt: skip

UNKNOWN = KeyClass("changed", "a setting this version does not class; review it")


def pattern(path: str, campaign_keys: Collection[str] = ()) -> str:
    """An effective path as KEYS names it: ``campaigns.core.assertions[0].level`` ->
    ``campaigns.*.assertions[].level`` (a campaign key may itself hold dots)."""
    shape = re.sub(r"\[\d+\]", "[]", path)
    if shape.startswith("campaigns."):
        rest = shape.removeprefix("campaigns.")
        for key in sorted(campaign_keys, key=len, reverse=True):
            if rest == key:
                return "campaigns"  # the campaign itself: added or removed
            if rest.startswith(key + ".") or rest.startswith(key + "["):
                return "campaigns.*" + rest[len(key) :]
    return shape


def key_class(path: str, campaign_keys: Collection[str] = ()) -> KeyClass:
    return KEYS.get(pattern(path, campaign_keys), UNKNOWN)


@dataclass(frozen=True)
class Context:
    """What a class needs beyond the two values: can running out of time or certainty pass?"""

    lenient_deadline: bool = False  # on_timeout pass, or on_inconclusive pass/warn, anywhere
    lenient_inconclusive: bool = False  # on_inconclusive pass/warn anywhere


def context(*leaves: Mapping[str, Any]) -> Context:
    """From the effective leaves (path -> value) of both sides."""

    def any_of(suffix: str, lenient: set[str]) -> bool:
        return any(p.endswith(suffix) and v in lenient for side in leaves for p, v in side.items())

    inconclusive = any_of("on_inconclusive", {"pass", "warn"})
    return Context(inconclusive or any_of("on_timeout", {"pass"}), inconclusive)


def classify(cls: KeyClass, before: Any, after: Any, ctx: Context = Context()) -> Effect:
    """The effect of `before` -> `after` (None: absent, after defaults and inheritance)."""
    if cls.default is not None:
        before = cls.default if before is None else before
        after = cls.default if after is None else after
    if before == after:
        return "neutral"
    kind = cls.kind
    if kind == "neutral":
        return "neutral"
    if kind == "changed":
        return "tightens" if before is None and cls.added_tightens else "loosens"
    if kind == "rank":
        return _tiers(cls.order, before, after)
    if kind == "deadline":
        if not ctx.lenient_deadline or not (_number(before) and _number(after)):
            return "neutral"  # out of time fails the campaign: a deadline is no bar to lower
        return by_rank(before, after)
    if kind == "budget":
        return _budget(before, after, ctx)
    if kind == "confidence" and ctx.lenient_inconclusive:
        return "loosens"  # wider or narrower, the undecided band may now pass
    if isinstance(before, str) or isinstance(after, str):
        # statistics.icc: auto <-> a number: the past may assume less ρ; back to absent (the
        # run-rates rule, which assumes none) tightens.
        return "tightens" if after == cls.default else "loosens"
    # lower (confidence too) / higher / fewer: a bar, ordered as the threshold table's.
    looser: Looser = "lower" if kind == "confidence" else kind
    return bar_effect(looser, before, after, absent_is_no_bar=cls.absent_is_no_bar)


def _budget(before: Any, after: Any, ctx: Context) -> Effect:
    """No cap (None) is the most runs; more runs loosen; fewer loosen only when a campaign
    left inconclusive can pass (on_inconclusive pass or warn), else they tighten."""
    more = after is None or (before is not None and _number(after) and after > before)
    if more:
        return "loosens"
    return "loosens" if ctx.lenient_inconclusive else "tightens"


def _tiers(order: tuple[tuple[str, ...], ...], before: Any, after: Any) -> Effect:
    rank = {value: i for i, tier in enumerate(order) for value in tier}
    if before not in rank or after not in rank or rank[before] == rank[after]:
        return "loosens"  # absent, unknown, or another value of the same tier: a person reads it
    return by_rank(rank[before], rank[after])


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
