"""GitLab: the sticky comment, one note on the merge request (of its target project).

Docs: https://docs.gitlab.com/ee/api/notes.html#merge-requests (list, create, modify a note).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from gate_runner.ci.variables import get
from gate_runner.forges import comment
from gate_runner.forges.gitlab.api import api_base, session, token
from gate_runner.verdict import CIContext

COMMENT_LIMIT = 1_000_000
_HINT = "the token needs the `api` scope (CI_JOB_TOKEN cannot post notes)"


def post_comment(
    ci: CIContext, env: Mapping[str, str], body: str, deadline: float | None = None
) -> None:
    """One note on the MR, in the MR's (target) project, found again by its marker."""
    secret = token(env)
    if not secret:
        raise comment.CommentError(
            "set GITLAB_TOKEN or GATE_RUNNER_GITLAB_TOKEN (a token with `api` scope)"
        )
    base = api_base(env)
    if not base:
        raise comment.CommentError("CI_API_V4_URL is not set")
    # The MR's project and number come as a pair: never the fork's CI_PROJECT_ID.
    iid = get(env, "CI_MERGE_REQUEST_IID")
    project = get(env, "CI_MERGE_REQUEST_PROJECT_ID") if iid else None
    if project is None:
        project = ci.repository
        iid = str(ci.pull_request) if ci.pull_request is not None else None
    if not project or not iid or not iid.isdigit():
        raise comment.CommentError("this pipeline is not for a merge request")
    notes = f"/projects/{quote(project, safe='')}/merge_requests/{iid}/notes"
    with session(base, secret, deadline) as http:
        existing = comment.find(
            http,
            f"{notes}?per_page=100&sort=asc&order_by=created_at",
            lambda n: not n.get("system") and comment.is_ours(n.get("body"), n, None),
            hint=_HINT,
        )
        text = comment.fit(body, COMMENT_LIMIT)
        if existing is not None:
            comment.call(http, "PUT", f"{notes}/{existing}", {"body": text}, hint=_HINT)
        else:
            comment.call(http, "POST", notes, {"body": text}, hint=_HINT)
