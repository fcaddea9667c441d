"""GitHub: request the soft mode's reviewers and set or clear its label on the pull request.

Docs: https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request (labels,
requested_reviewers, requested_teams, user), https://docs.github.com/en/rest/pulls/reviews
(who already reviewed), https://docs.github.com/en/rest/pulls/review-requests (POST
requested_reviewers: reviewers, team_reviewers) and https://docs.github.com/en/rest/issues/labels
(add labels; remove a label).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from gate_runner.forges.github.api import repo_path, session, token
from gate_runner.forges.http import ForgeAPI, PublishError
from gate_runner.forges.review import ReviewSettings, ReviewState, decide_review
from gate_runner.verdict import Verdict


def request_review(
    verdict: Verdict,
    settings: ReviewSettings,
    env: Mapping[str, str],
    deadline: float | None = None,
    api: ForgeAPI | None = None,
) -> list[str]:
    secret = token(env)
    ci = verdict.ci
    if not secret:
        return [
            "review not requested: GITHUB_TOKEN is not set (give the job `pull-requests: write`)"
        ]
    if not ci.repository or ci.pull_request is None:
        return ["review not requested: this build is not for a pull request"]
    repo = repo_path(ci.repository)
    pull = f"/repos/{repo}/pulls/{ci.pull_request}"
    issue = f"/repos/{repo}/issues/{ci.pull_request}"
    with api or session(env, secret, deadline) as http:
        try:
            actions = decide_review(verdict, settings, _state(http, pull))
            if actions.users or actions.teams:
                http.call(
                    "POST",
                    f"{pull}/requested_reviewers",
                    {"reviewers": list(actions.users), "team_reviewers": list(actions.teams)},
                )
            if actions.add_label:
                http.call("POST", f"{issue}/labels", {"labels": [actions.add_label]})
            if actions.remove_label:
                _remove_label(http, issue, actions.remove_label)
        except PublishError as exc:
            return [f"review not requested: {exc}"]
    return []


def _state(session: ForgeAPI, pull: str) -> ReviewState:
    pr = session.call("GET", pull)
    reviews = session.call("GET", f"{pull}/reviews?per_page=100")
    if not isinstance(pr, dict):
        raise PublishError(f"GET {pull} answered no pull request")
    return ReviewState(
        author=_login(pr.get("user")),
        labels=_names(pr.get("labels"), "name"),
        requested_users=_names(pr.get("requested_reviewers"), "login"),
        requested_teams=_names(pr.get("requested_teams"), "slug"),
        reviewed_by=frozenset(
            login
            for review in (reviews if isinstance(reviews, list) else [])
            if isinstance(review, dict) and (login := _login(review.get("user")))
        ),
    )


def _remove_label(session: ForgeAPI, issue: str, label: str) -> None:
    try:
        session.call("DELETE", f"{issue}/labels/{quote(label, safe='')}")
    except PublishError as exc:
        if exc.status != 404:  # already gone: someone removed it by hand
            raise


def _login(user: Any) -> str | None:
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) else None


def _names(items: Any, key: str) -> frozenset[str]:
    if not isinstance(items, list):
        return frozenset()
    return frozenset(i[key] for i in items if isinstance(i, dict) and isinstance(i.get(key), str))
