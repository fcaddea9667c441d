"""Soft mode requests the review: who to request and which label to set or clear (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from gate_runner.forges.statuses import campaign_conclusion, gate_conclusion
from gate_runner.policy import SoftReview
from gate_runner.verdict import Verdict

# `enforcement.soft.reviewers` (users; `org/team` for a team) and `enforcement.soft.label`:
# the policy's own model, so the setting has one owner.
ReviewSettings = SoftReview


@dataclass(frozen=True)
class ReviewState:
    """What the pull request shows now (read from the forge before deciding)."""

    author: str | None = None
    labels: frozenset[str] = frozenset()
    requested_users: frozenset[str] = frozenset()
    requested_teams: frozenset[str] = frozenset()
    reviewed_by: frozenset[str] = frozenset()  # users who already left a review


@dataclass(frozen=True)
class ReviewActions:
    users: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    add_label: str | None = None
    remove_label: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.users or self.teams or self.add_label or self.remove_label)


def needs_review(verdict: Verdict) -> list[str]:
    """The soft campaigns below their bar: only these ask for a human (observe never does)."""
    return [
        c.key
        for c in verdict.campaigns
        if c.enforcement.mode == "soft" and campaign_conclusion(c) == "action_required"
    ]


def decide_review(verdict: Verdict, settings: ReviewSettings, state: ReviewState) -> ReviewActions:
    """Once per pull request: the label marks that the review was asked for.

    While the label is on, nobody is requested again on a later push. Without a label, a
    user already requested or who already reviewed is not requested again. Requested
    reviewers stay when the gate passes again; only the label goes.
    """
    below = needs_review(verdict)
    if not below:
        passing = gate_conclusion(verdict) in ("success", "neutral")
        if passing and settings.label and settings.label in state.labels:
            return ReviewActions(remove_label=settings.label)
        return ReviewActions()
    if settings.label and settings.label in state.labels:
        return ReviewActions()  # asked on an earlier push: once per pull request
    author = (state.author or "").casefold()
    skip = {u.casefold() for u in state.requested_users | state.reviewed_by} | {author}
    users = tuple(u for u in dict.fromkeys(settings.users) if u.casefold() not in skip)
    teams = tuple(
        t
        for t in dict.fromkeys(settings.teams)
        if t.casefold() not in {x.casefold() for x in state.requested_teams}
    )
    return ReviewActions(users=users, teams=teams, add_label=settings.label)
