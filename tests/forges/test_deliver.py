"""After delivery: who is requested across policies, and which builds ask at all."""

from __future__ import annotations

from dataclasses import replace

from gate_runner.forges.forge_results import PolicyReview, forge_results, review_settings
from gate_runner.policy import SoftReview
from gate_runner.verdict import Verdict

from .test_review import SOFT


def _two_policies() -> Verdict:
    # The soft failing campaign belongs to services/api; the others to services/web.
    first, *rest = SOFT.campaigns
    campaigns = (
        replace(first, key="services/api/core-reliability"),
        *(replace(c, key=f"services/web/{c.key}") for c in rest),
    )
    return replace(SOFT, campaigns=campaigns)


def test_only_the_policies_below_their_bar_bring_their_reviewers() -> None:
    verdict = _two_policies()
    parts = [
        PolicyReview(SoftReview(("alice",), None), frozenset({"services/api/core-reliability"})),
        PolicyReview(
            SoftReview(("bob",), "needs-review"),
            frozenset(c.key for c in verdict.campaigns[1:]),
        ),
    ]
    settings = review_settings(verdict, parts)
    assert settings.reviewers == ("alice",)
    assert settings.label == "needs-review"  # the one label, so it is cleared again too


def test_a_branch_build_asks_nobody() -> None:
    branch = replace(SOFT, ci=replace(SOFT.ci, pull_request=None))
    parts = [PolicyReview(SoftReview(("alice",), "x"), frozenset(c.key for c in SOFT.campaigns))]
    # No forge is reachable here: a call would have been a warning.
    assert forge_results(branch, publish=False, reviews=parts, env={}) == []


def test_nothing_asked_nothing_done() -> None:
    assert forge_results(SOFT, publish=False, reviews=[], env={}) == []
