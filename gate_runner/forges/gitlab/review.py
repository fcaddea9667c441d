"""GitLab: request the soft mode's reviewers and set or clear its label on the merge request.

Docs: https://docs.gitlab.com/ee/api/merge_requests.html#get-single-mr (labels, reviewers,
author), https://docs.gitlab.com/ee/api/merge_requests.html#update-mr (reviewer_ids replaces
the list; add_labels, remove_labels) and https://docs.gitlab.com/ee/api/users.html#list-users
(`?username=` gives a user's id). GitLab takes users as reviewers, not groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from gate_runner.forges.gitlab.api import api_base, session, token
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
    base = api_base(env)
    project = env.get("CI_PROJECT_ID") or verdict.ci.repository
    iid = env.get("CI_MERGE_REQUEST_IID") or str(verdict.ci.pull_request or "")
    if not secret:
        return ["review not requested: set GITLAB_TOKEN or GATE_RUNNER_GITLAB_TOKEN (`api` scope)"]
    if not base or not project or not iid.isdigit():
        return ["review not requested: this pipeline is not for a merge request"]
    path = f"/projects/{quote(project, safe='')}/merge_requests/{iid}"
    warnings: list[str] = []
    with api or session(base, secret, deadline) as http:
        try:
            mr = http.call("GET", path)
            if not isinstance(mr, dict):
                raise PublishError(f"GET {path} answered no merge request")
            current = [r for r in mr.get("reviewers") or [] if isinstance(r, dict)]
            author = mr.get("author")
            username = author.get("username") if isinstance(author, dict) else None
            state = ReviewState(
                author=username if isinstance(username, str) else None,
                labels=frozenset(x for x in mr.get("labels") or [] if isinstance(x, str)),
                requested_users=frozenset(
                    r["username"] for r in current if isinstance(r.get("username"), str)
                ),
            )
            actions = decide_review(verdict, settings, state)
            if actions.teams:
                warnings.append(
                    "GitLab takes users as reviewers, not groups: "
                    + ", ".join(actions.teams)
                    + " not requested"
                )
            update: dict[str, Any] = {}
            if actions.users:
                ids = [r["id"] for r in current if isinstance(r.get("id"), int)]
                for user in actions.users:
                    found = http.call("GET", f"/users?username={quote(user, safe='')}")
                    match = found[0].get("id") if isinstance(found, list) and found else None
                    if isinstance(match, int):
                        ids.append(match)
                    else:
                        warnings.append(f"reviewer {user!r} is not a GitLab user")
                if len(ids) > len(current):
                    update["reviewer_ids"] = ids  # the whole list: it replaces the current one
            if actions.add_label:
                update["add_labels"] = actions.add_label
            if actions.remove_label:
                update["remove_labels"] = actions.remove_label
            if update:
                http.call("PUT", path, update)
        except PublishError as exc:
            warnings.append(f"review not requested: {exc}")
    return warnings
