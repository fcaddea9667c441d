"""GitHub: which policy owners approved the pull request's head commit.

Docs: https://docs.github.com/en/rest/pulls/reviews#list-reviews-for-a-pull-request (each
review's `user.login`, `state`, `commit_id`; oldest first, paginated) and
https://docs.github.com/en/rest/teams/members#get-team-membership-for-a-user (200 with
`state: active` for a member, 404 otherwise; the token needs `members: read` on the org).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from gate_runner.forges.github.api import repo_path, session, token
from gate_runner.forges.http import ForgeAPI, PublishError
from gate_runner.governance.owner_approval import Approvals, Owners
from gate_runner.verdict import CIContext

MAX_PAGES = 30  # 3,000 reviews: far beyond any pull request; a longer chain is hostile
# A COMMENTED review leaves a reviewer's approval standing; these three replace it.
_DECIDING = ("APPROVED", "CHANGES_REQUESTED", "DISMISSED")


def read_approvals(
    owners: Owners,
    ci: CIContext,
    env: Mapping[str, str],
    deadline: float,
    api: ForgeAPI | None = None,
) -> Approvals:
    secret = token(env)
    if not secret:
        return Approvals(problem="GITHUB_TOKEN is not set (give the job `pull-requests: read`)")
    if not ci.repository or ci.pull_request is None or not ci.commit:
        return Approvals(problem="this build is not for a pull request")
    pull = f"/repos/{repo_path(ci.repository)}/pulls/{ci.pull_request}"
    with api or session(env, secret, deadline) as http:
        try:
            approvers = _approvers_of(http, pull, ci.commit)
            return Approvals(tuple(_owned(http, owners, approvers)))
        except PublishError as exc:
            return Approvals(problem=str(exc))


def _approvers_of(http: ForgeAPI, pull: str, head: str) -> list[str]:
    """Users whose latest deciding review approves, on the head commit (an approval of an
    earlier commit does not carry over to what was pushed after it)."""
    latest: dict[str, tuple[str, Any]] = {}
    url: str | None = f"{pull}/reviews?per_page=100"
    for _ in range(MAX_PAGES):
        if url is None:
            break
        page = http.page("GET", url)
        for review in page.body if isinstance(page.body, list) else []:
            user = review.get("user") if isinstance(review, dict) else None
            login = user.get("login") if isinstance(user, dict) else None
            state = review.get("state") if isinstance(review, dict) else None
            if isinstance(login, str) and state in _DECIDING:
                latest[login.casefold()] = (login, review)
        url = page.next_url
    else:
        if url is not None:
            raise PublishError(f"GET {pull}/reviews: more than {MAX_PAGES} pages")
    return [
        login
        for login, review in latest.values()
        if review.get("state") == "APPROVED" and review.get("commit_id") == head
    ]


def _owned(http: ForgeAPI, owners: Owners, approvers: list[str]) -> list[tuple[str, str]]:
    """(owner name, approver) for each approver who is a named user or in a named team."""
    found: list[tuple[str, str]] = []
    for name in owners.names:
        if "/" not in name:
            found += [(name, who) for who in approvers if who.casefold() == name.casefold()]
            continue
        org, _slash, team = name.partition("/")
        for who in approvers:
            if _member(http, org, team, who):
                found.append((name, who))
    return found


def _member(http: ForgeAPI, org: str, team: str, login: str) -> bool:
    parts = (quote(part, safe="") for part in (org, team, login))
    path = "/orgs/{}/teams/{}/memberships/{}".format(*parts)
    try:
        membership = http.call("GET", path)
    except PublishError as exc:
        if exc.status == 404:  # not a member (or the team is not visible to this token)
            return False
        raise
    # A pending invitation is not membership.
    return isinstance(membership, dict) and membership.get("state") == "active"
