"""The forge entry points: statuses, the soft review, the sticky comment, approvals; never raise.

Which forge serves a build is the registry's answer; every warning is scrubbed of the forge
tokens (secrets.py) before it leaves here.
"""

from __future__ import annotations

from collections.abc import Mapping

from gate_runner.ci import detect
from gate_runner.forges import registry
from gate_runner.forges.comment import CommentError
from gate_runner.forges.http import publish_deadline
from gate_runner.forges.registry import forge_for, listed
from gate_runner.forges.review import ReviewSettings, needs_review
from gate_runner.forges.statuses import statuses
from gate_runner.governance.owner_approval import Approvals, Owners
from gate_runner.secrets import scrub_tokens
from gate_runner.verdict import CIContext, Verdict


def publish_statuses(
    verdict: Verdict, env: Mapping[str, str], *, deadline: float | None = None
) -> list[str]:
    """The warnings to print (empty when all went well). Never raises, never changes the verdict."""
    forge = forge_for(verdict.ci.vendor)
    if forge is None:
        return [
            f"statuses are published on {listed(list(registry.FORGES))}, not on {verdict.ci.vendor}"
        ]
    try:
        warnings = forge.publish(statuses(verdict), verdict.ci, env, _by(deadline))
    except Exception as exc:  # publishing must never break the gate
        warnings = [f"statuses not published: unexpected {type(exc).__name__}"]
    return [scrub_tokens(warning, env) for warning in warnings]


def request_review(
    verdict: Verdict,
    settings: ReviewSettings,
    env: Mapping[str, str],
    *,
    deadline: float | None = None,
) -> list[str]:
    """Soft mode: request the reviewers and set the label (or clear it once the gate passes)."""
    if not settings.reviewers and not settings.label:
        return []
    if not needs_review(verdict) and not settings.label:
        return []  # nothing to request and no label to clear: no call at all
    forge = forge_for(verdict.ci.vendor)
    if forge is None or forge.request_review is None:
        where = listed([f for f in registry.FORGES if f.request_review is not None])
        return [f"reviewers are requested on {where} only, not on {verdict.ci.vendor}"]
    try:
        warnings = forge.request_review(verdict, settings, env, _by(deadline))
    except Exception as exc:  # a review request must never break the gate
        warnings = [f"review not requested: unexpected {type(exc).__name__}"]
    return [scrub_tokens(warning, env) for warning in warnings]


def post_sticky_comment(
    verdict: Verdict,
    ci: CIContext,
    env: Mapping[str, str],
    *,
    body: str,
    deadline: float | None = None,
) -> str | None:
    """Create or update the comment; None when done, else the warning to print. Never raises."""
    forge = forge_for(ci.vendor)
    try:
        if forge is None or forge.post_comment is None:
            where = " and ".join(f.NAME for f in registry.FORGES if f.post_comment is not None)
            raise CommentError(f"comments are posted on {where} only, not on {ci.vendor}")
        forge.post_comment(ci, env, body, _by(deadline))
        return None
    except CommentError as exc:
        message = str(exc)
    except Exception as exc:  # a comment must never break the gate
        message = f"unexpected {type(exc).__name__}"
    return scrub_tokens(f"comment not posted: {message}", env)


def read_approvals(owners: Owners, env: Mapping[str, str]) -> Approvals:
    """The policy owners' approvals of this pull request's head commit, from the forge the
    build runs on; never raises: what went wrong is `problem` (scrubbed), and holds the change."""
    ci = detect(env)
    forge = forge_for(ci.vendor)
    try:
        if forge is None or forge.read_approvals is None:
            where = " and ".join(f.TITLE for f in registry.FORGES if f.read_approvals is not None)
            return Approvals(problem=f"approvals are read on {where}, not on {ci.vendor}")
        found = forge.read_approvals(owners, ci, env, publish_deadline())
    except Exception as exc:  # a forge's answer must never break the gate
        found = Approvals(problem=f"unexpected {type(exc).__name__}")
    problem = scrub_tokens(found.problem, env) if found.problem else None
    return Approvals(found.approved, problem)


def _by(deadline: float | None) -> float:
    return deadline if deadline is not None else publish_deadline()
