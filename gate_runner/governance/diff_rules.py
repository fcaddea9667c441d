"""Which way a changed setting outside the typed comparisons moves the bar (policy diff)."""

from __future__ import annotations

from typing import Any

# The orderings have one owner each, below both the policy diff and config/floors.py:
# modes and outcomes are the policy's (policy.py), a threshold's bar the table's.
from gate_runner.policy import OUTCOME_RANK
from gate_runner.thresholds import (
    LARGER_IS_LOOSER,
    SMALLER_IS_LOOSER,
    Effect,
    by_rank,
    number_effect,
)

# gate.policy_changes: a change that makes policy changes easier to pass loosens.
POLICY_CHANGES_RANK = {"allow": 0, "review": 1, "block": 2}
# Settings whose absence means a default: adding `on_inconclusive: pass` loosens.
ABSENT_MEANS = {"policy_changes": "review", "on_inconclusive": "fail", "on_error": "fail",
                "on_timeout": "fail"}  # fmt: skip


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
