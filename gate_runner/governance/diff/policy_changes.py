"""``gate.policy_changes`` (allow | review | block): what a loosening policy change does (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from gate_runner.governance.diff.policy_diff import PolicyChange

Setting = Literal["allow", "review", "block"]
JudgeBy = Literal["head", "base", "both"]
SETTINGS: tuple[Setting, ...] = ("allow", "review", "block")
DEFAULT_SETTING: Setting = "review"
REVIEW_REQUIRED = "review required"

# The stricter of two judgements of one campaign wins when both policies judge.
_OUTCOME_RANK = {"pass": 0, "warn": 1, "inconclusive": 2, "error": 3, "fail": 4}


@dataclass(frozen=True)
class PolicyChangeDecision:
    """Which policy judges the gate, and what the verdict records about the change."""

    setting: Setting
    base_ref: str
    changes: tuple[PolicyChange, ...]
    judge_by: JudgeBy  # both: each campaign is judged by both, the stricter result counts
    review_required: bool
    fails_gate: bool
    message: str | None  # one line for every report; None when nothing loosens
    # review: the policy owners who approved the head commit (then the head judges), or why
    # the change is still held; None when no approval was looked for.
    approved_by: tuple[str, ...] = ()
    approval: str | None = None

    @property
    def loosening(self) -> tuple[PolicyChange, ...]:
        return tuple(c for c in self.changes if c.effect == "loosens")

    def to_dict(self) -> dict[str, Any]:
        """The verdict's proposed ``policy_changes`` object."""
        return {
            "setting": self.setting,
            "base_ref": self.base_ref,
            "judged_by": self.judge_by,
            "review_required": self.review_required,
            "blocked": self.fails_gate,
            "message": self.message,
            "changes": [c.to_dict() for c in self.changes],
            "approved_by": list(self.approved_by),
            "approval": self.approval,
        }

    def approved(self, approvers: Sequence[str], source: str) -> PolicyChangeDecision:
        """A policy owner approved the head commit: the pull request's own policy judges."""
        who = ", ".join(approvers)
        note = f"approved by {who} ({source})"
        message = f"this change loosens the gate ({_count(self.loosening)}); {note}, "
        message += "so its own policy judges"
        return replace(
            self,
            judge_by="head",
            review_required=False,
            message=message,
            approved_by=tuple(approvers),
            approval=note,
        )

    def held(self, why: str) -> PolicyChangeDecision:
        """Still waiting for an owner's approval (or approvals could not be read): the base
        bar judges, and the message says what would release it."""
        return replace(self, message=f"{self.message}; {why}", approval=why)


def decide_policy_changes(
    setting: Setting, changes: Sequence[PolicyChange], *, base_ref: str
) -> PolicyChangeDecision:
    """`setting` must be the base policy's: a change cannot vote on how it is judged.

    Tightening always applies at once: with nothing loosened the head policy judges.
    allow: the head judges, the diff is recorded. review: the base judges (both, when the
    change also tightens, so the tightening still counts) and every report says "review
    required". block: judged the same way, and the gate fails.
    """
    loose = [c for c in changes if c.effect == "loosens"]
    tight = any(c.effect == "tightens" for c in changes)
    if not loose or setting == "allow":
        message = None
        if loose:
            message = f"this change loosens the gate ({_count(loose)}); "
            message += "allowed by gate.policy_changes: allow"
        return PolicyChangeDecision(
            setting, base_ref, tuple(changes), "head", False, False, message
        )
    judge_by: JudgeBy = "both" if tight else "base"
    where = f"; judged by the policy at {base_ref}"
    if setting == "block":
        message = f"blocked: this change loosens the gate ({_count(loose)}) "
        message += "and gate.policy_changes is block (no approval can lift it; with review, "
        message += "a policy owner's approval would)"
        return PolicyChangeDecision(
            setting, base_ref, tuple(changes), judge_by, False, True, message + where
        )
    message = f"{REVIEW_REQUIRED}: this change loosens the gate ({_count(loose)}){where}"
    return PolicyChangeDecision(setting, base_ref, tuple(changes), judge_by, True, False, message)


def stricter(a: tuple[str, bool], b: tuple[str, bool]) -> tuple[str, bool]:
    """Of two (outcome, blocking) judgements of one campaign, the one that holds it back more."""
    return max(a, b, key=lambda j: (j[1], _OUTCOME_RANK.get(j[0], 3)))


def _count(loose: Sequence[PolicyChange]) -> str:
    first = ", ".join(c.path for c in loose[:3]) + (", …" if len(loose) > 3 else "")
    return f"{len(loose)} change{'s' if len(loose) != 1 else ''}: {first}"
