"""Which way a changed value moves the bar: the ordering rules the policy diff applies."""

from __future__ import annotations

from typing import Any, Literal

from gate_runner.thresholds import THRESHOLDS

Effect = Literal["loosens", "tightens", "neutral"]

MODE_RANK = {"observe": 0, "soft": 1, "hard": 2}
# on_error / on_timeout / on_inconclusive: the nearer to "pass", the looser.
OUTCOME_RANK = {"fail": 2, "warn": 1, "pass": 0}
# Keys where a larger number is looser although they are not spelled max_* (#12: more runs
# give an unlucky agent more chances; the brief classes them so).
LARGER_IS_LOOSER = {"repeat", "max_runs"}
# statistics.icc (issue 19): a smaller declared ρ assumes runs vary less, so fewer runs pass.
SMALLER_IS_LOOSER = {"confidence", "icc"}
# gate.policy_changes: a change that makes policy changes easier to pass loosens.
POLICY_CHANGES_RANK = {"allow": 0, "review": 1, "block": 2}
# Settings whose absence means a default: adding `on_inconclusive: pass` loosens.
# An absent icc is the run-rates rule, which assumes nothing of ρ: ranked above any declared.
ABSENT_MEANS = {"policy_changes": "review", "on_inconclusive": "fail", "on_error": "fail",
                "on_timeout": "fail", "icc": 1.0}  # fmt: skip


def by_rank(before: int, after: int) -> Effect:
    """A lower rank is weaker."""
    if after < before:
        return "loosens"
    return "tightens" if after > before else "neutral"


def threshold_effect(key: str, before: Any, after: Any) -> Effect:
    """A changed threshold limit, classed as the threshold table says (THRESHOLDS.looser)."""
    kind = THRESHOLDS.get(key)
    if kind is None:  # a key a later version adds: judged by its name
        return number_effect(key, before, after) or "neutral"
    if kind.looser == "fewer":
        return categories_effect(before, after)
    if not _number(before) or not _number(after):
        return "neutral"
    return by_rank(before, after) if kind.looser == "lower" else by_rank(-before, -after)


def number_effect(key: str, before: Any, after: Any) -> Effect | None:
    """A setting outside the threshold table, by its name: min_*: lower loosens; max_* (and
    repeat, max_runs): higher loosens; None: not a bar."""
    if not _number(before) or not _number(after):
        return None
    if key.startswith("min_") or key in SMALLER_IS_LOOSER:
        return by_rank(before, after)
    if key.startswith("max_") or key in LARGER_IS_LOOSER:
        return by_rank(-before, -after)
    return None


def categories_effect(before: Any, after: Any) -> Effect:
    """required_mutation_categories: dropping any category loosens, adding only tightens."""
    old, new = set(before or ()), set(after or ())
    if old - new:
        return "loosens"
    return "tightens" if new - old else "neutral"


def leaf_effect(path: str, before: Any, after: Any) -> Effect:
    """A setting no typed rule knows (e.g. a key a later version adds), judged by its name."""
    key = path.rsplit(".", 1)[-1]
    if path == "waivers.reason":
        # A required-reason pattern: dropping it loosens; a changed one cannot be compared.
        return "tightens" if before is None else "loosens"
    is_bar = key.startswith(("min_", "max_")) or key in LARGER_IS_LOOSER | SMALLER_IS_LOOSER
    if key in ABSENT_MEANS:
        before = ABSENT_MEANS[key] if before is None else before
        after = ABSENT_MEANS[key] if after is None else after
    elif before is None or after is None:
        if not is_bar:
            return "neutral"
        return "loosens" if after is None else "tightens"
    number = number_effect(key, before, after)
    if number is not None:
        return number
    if key == "policy_changes" and before in POLICY_CHANGES_RANK and after in POLICY_CHANGES_RANK:
        return by_rank(POLICY_CHANGES_RANK[before], POLICY_CHANGES_RANK[after])
    if key.startswith("on_") and before in OUTCOME_RANK and after in OUTCOME_RANK:
        return by_rank(OUTCOME_RANK[before], OUTCOME_RANK[after])
    return "neutral"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
