"""Post the verdict's statuses on the forge the CI runs for; a failure is a warning, never more."""

from __future__ import annotations

from collections.abc import Mapping

from gate_runner.forge import azure, bitbucket, github, github_review, gitlab, gitlab_review
from gate_runner.forge.review import ReviewSettings, needs_review
from gate_runner.forge.statuses import statuses
from gate_runner.forge.tokens import forge_status_tokens
from gate_runner.verdict import Verdict

_FORGES = {
    "github": github.publish,
    "gitlab": gitlab.publish,
    "bitbucket": bitbucket.publish,
    "azure": azure.publish,
}

_REVIEWS = {"github": github_review.request_review, "gitlab": gitlab_review.request_review}


def publish_statuses(verdict: Verdict, env: Mapping[str, str]) -> list[str]:
    """The warnings to print (empty when all went well). Never raises, never changes the verdict."""
    forge = _FORGES.get(verdict.ci.vendor)
    if forge is None:
        return [
            "statuses are published on GitHub, GitLab, Bitbucket Cloud and Azure DevOps, "
            f"not on {verdict.ci.vendor}"
        ]
    try:
        warnings = forge(statuses(verdict), verdict.ci, env)
    except Exception as exc:  # publishing must never break the gate
        warnings = [f"statuses not published: unexpected {type(exc).__name__}"]
    return [_scrub(warning, forge_status_tokens(env)) for warning in warnings]


def request_review(verdict: Verdict, settings: ReviewSettings, env: Mapping[str, str]) -> list[str]:
    """Soft mode: request the reviewers and set the label (or clear it once the gate passes)."""
    if not settings.reviewers and not settings.label:
        return []
    if not needs_review(verdict) and not settings.label:
        return []  # nothing to request and no label to clear: no call at all
    forge = _REVIEWS.get(verdict.ci.vendor)
    if forge is None:
        return [f"reviewers are requested on GitHub and GitLab only, not on {verdict.ci.vendor}"]
    try:
        warnings = forge(verdict, settings, env)
    except Exception as exc:  # a review request must never break the gate
        warnings = [f"review not requested: unexpected {type(exc).__name__}"]
    return [_scrub(warning, forge_status_tokens(env)) for warning in warnings]


def _scrub(text: str, tokens: list[str]) -> str:
    for token in tokens:
        text = text.replace(token, "***")
    return text
