"""After the verdict is written: post the statuses and ask for the soft review; warnings only."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from gate_runner.api.scheduler import call_cancellable
from gate_runner.errors import ServiceError
from gate_runner.forges.http import publish_deadline
from gate_runner.forges.publish import publish_statuses, request_review
from gate_runner.forges.review import ReviewSettings, needs_review
from gate_runner.policy import SoftReview
from gate_runner.verdict import Verdict


@dataclass(frozen=True)
class PolicyReview:
    """One policy's `enforcement.soft` and the campaign keys (as in the verdict) it judged."""

    soft: SoftReview
    campaigns: frozenset[str]


def review_settings(verdict: Verdict, parts: Sequence[PolicyReview]) -> ReviewSettings:
    """Who to request across policies: the reviewers of each policy with a soft campaign
    below its bar; the label is the first one any policy sets, so it is also cleared when
    every policy passes again."""
    below = set(needs_review(verdict))
    reviewers: list[str] = []
    for part in parts:
        if below & part.campaigns:
            reviewers += part.soft.reviewers
    label = next((p.soft.label for p in parts if p.soft.label), None)
    return ReviewSettings(tuple(dict.fromkeys(reviewers)), label)


def forge_results(
    verdict: Verdict,
    *,
    publish: bool,
    reviews: Sequence[PolicyReview],
    env: Mapping[str, str],
    cancel: threading.Event | None = None,
    deadline: float | None = None,
) -> list[str]:
    """Statuses when asked for, then the soft review on a pull request; never raises.

    Every call of both ends by `deadline` (forges.http.publish_deadline: what --timeout
    leaves, at most a minute), however the forge answers.
    """
    by = deadline if deadline is not None else publish_deadline()
    steps: list[tuple[str, Callable[[], list[str]]]] = []
    if publish:
        steps.append(
            ("statuses not published", lambda: publish_statuses(verdict, env, deadline=by))
        )
    settings = review_settings(verdict, reviews)
    if _is_review_build(verdict, env) and (settings.reviewers or settings.label):
        steps.append(
            ("review not requested", lambda: request_review(verdict, settings, env, deadline=by))
        )
    warnings: list[str] = []
    for what, step in steps:
        warnings += _cancellable(step, cancel, what)
    return warnings


def _is_review_build(verdict: Verdict, env: Mapping[str, str]) -> bool:
    # Only a pull/merge request has reviewers and labels; a branch build asks nobody.
    return verdict.ci.pull_request is not None or bool(env.get("CI_MERGE_REQUEST_IID"))


def _cancellable(
    step: Callable[[], list[str]], cancel: threading.Event | None, what: str
) -> list[str]:
    if cancel is None:
        return step()

    try:
        # A slow forge must not hold a cancelled job past CI's grace period.
        return call_cancellable(step, cancel, message="interrupted")
    except ServiceError:
        return [f"{what}: interrupted"]
