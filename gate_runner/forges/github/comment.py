"""GitHub: the sticky comment, one issue comment on the pull request found again by its marker.

Docs: https://docs.github.com/en/rest/issues/comments (list, create, update an issue comment).
"""

from __future__ import annotations

from collections.abc import Mapping

from gate_runner.forges import comment
from gate_runner.forges.github.api import repo_path, session, token
from gate_runner.verdict import CIContext

COMMENT_LIMIT = 65_536
_HINT = "the token needs `pull-requests: write`; fork PRs get a read-only token"


def post_comment(
    ci: CIContext, env: Mapping[str, str], body: str, deadline: float | None = None
) -> None:
    """One issue comment on the PR, found again by its marker (and GATE_RUNNER_COMMENT_AUTHOR)."""
    secret = token(env)
    if not secret:
        raise comment.CommentError("GITHUB_TOKEN is not set (give the job `pull-requests: write`)")
    if not ci.repository or ci.pull_request is None:
        raise comment.CommentError("this build is not for a pull request")
    issue = f"/repos/{repo_path(ci.repository)}/issues"
    author = env.get("GATE_RUNNER_COMMENT_AUTHOR")
    with session(env, secret, deadline) as http:
        existing = comment.find(
            http,
            f"{issue}/{ci.pull_request}/comments?per_page=100",
            lambda c: comment.is_ours(c.get("body"), c, author),
            hint=_HINT,
        )
        text = comment.fit(body, COMMENT_LIMIT)
        if existing is not None:
            comment.call(http, "PATCH", f"{issue}/comments/{existing}", {"body": text}, hint=_HINT)
        else:
            comment.call(
                http, "POST", f"{issue}/{ci.pull_request}/comments", {"body": text}, hint=_HINT
            )
