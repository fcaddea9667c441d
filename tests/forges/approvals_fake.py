"""Loopback GitHub and GitLab pull requests that keep approvals the way each forge does.

GitHub (https://docs.github.com/en/rest/pulls/reviews): a review is submitted on the pull
request's head at that moment (its `commit_id`), pushing later does not change it, and the
list is oldest first, 100 a page with a Link header to the next; team membership
(https://docs.github.com/en/rest/teams/members#get-team-membership-for-a-user) is 200 with
`state` for a member or an invitee, 404 for anyone else. Answers are checked against the
published schemas (schemas/github-approvals.json).

GitLab (doc/api/merge_request_approvals.md): `approved_by` lists who approved, with no commit;
with `reset_approvals_on_push` a push removes every approval. GET a merge request gives its
head `sha` (doc/api/merge_requests.md); GET /groups/:id/members/all/:user_id a member, direct
or inherited, else 404 (doc/api/members.md). Answers keep to the documented example shapes
(schemas/gitlab-approvals.json).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .fake import Answer, Request
from .schemas import github_answer, github_request, gitlab_answer

PAGE = 100


def _user(login: str, uid: int) -> dict[str, Any]:
    """A simple-user with every field the schema requires."""
    home = f"https://api.github.test/users/{login}"
    return {
        "login": login,
        "id": uid,
        "node_id": f"U_{uid}",
        "avatar_url": f"https://avatars.github.test/u/{uid}",
        "gravatar_id": "",
        "url": home,
        "html_url": f"https://github.test/{login}",
        "followers_url": f"{home}/followers",
        "following_url": f"{home}/following{{/other_user}}",
        "gists_url": f"{home}/gists{{/gist_id}}",
        "starred_url": f"{home}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{home}/subscriptions",
        "organizations_url": f"{home}/orgs",
        "repos_url": f"{home}/repos",
        "events_url": f"{home}/events{{/privacy}}",
        "received_events_url": f"{home}/received_events",
        "type": "User",
        "site_admin": False,
    }


@dataclass
class GitHubPull:
    """Pull request `number` of `repository`, its head, its reviews and the org's teams."""

    token: str
    repository: str
    number: int
    head: str
    teams: dict[str, dict[str, str]] = field(default_factory=dict)  # org/slug -> user: state
    reviews: list[dict[str, Any]] = field(default_factory=list)
    check_runs: list[dict[str, Any]] = field(default_factory=list)  # what --publish created

    def conclusion(self, name: str) -> str:
        return next(str(r["conclusion"]) for r in self.check_runs if r["name"] == name)

    def review(self, login: str, state: str = "APPROVED") -> None:
        """`login` submits a review now: on the head as it is."""
        number = len(self.reviews) + 1
        pull = f"https://api.github.test/repos/{self.repository}/pulls/{self.number}"
        self.reviews.append(
            {
                "id": number,
                "node_id": f"PRR_{number}",
                "user": _user(login, 1000 + sum(map(ord, login))),
                "body": "",
                "state": state,
                "html_url": f"https://github.test/{self.repository}/pull/{self.number}",
                "pull_request_url": pull,
                "_links": {"html": {"href": pull}, "pull_request": {"href": pull}},
                "submitted_at": "2026-12-07T10:00:00Z",
                "commit_id": self.head,
                "author_association": "MEMBER",
            }
        )

    def push(self, sha: str) -> None:
        self.head = sha  # reviews keep the commit they were submitted on

    def __call__(self, request: Request) -> Answer:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Answer(401, {"message": "Bad credentials"})
        if request.method == "POST" and request.path == f"/repos/{self.repository}/check-runs":
            # https://docs.github.com/en/rest/checks/runs#create-a-check-run
            github_request("checks/create", request.body)
            self.check_runs.append(request.body)
            return Answer(201, {"id": len(self.check_runs), "name": request.body["name"]})
        if request.method != "GET":
            return Answer(404, {"message": "Not Found"})
        listing = f"/repos/{self.repository}/pulls/{self.number}/reviews"
        if request.path == listing:
            query = dict(re.findall(r"(\w+)=(\d+)", request.target.partition("?")[2]))
            size, page = min(int(query.get("per_page", 30)), PAGE), int(query.get("page", 1))
            chunk = self.reviews[(page - 1) * size : page * size]
            headers = {}
            if page * size < len(self.reviews):
                headers["Link"] = f'<{listing}?per_page={size}&page={page + 1}>; rel="next"'
            return Answer(200, github_answer("pulls/list-reviews", chunk), headers=headers)
        found = re.fullmatch(r"/orgs/([^/]+)/teams/([^/]+)/memberships/([^/]+)", request.path)
        if found:
            org, slug, login = (unquote(part) for part in found.groups())
            state = self.teams.get(f"{org}/{slug}", {}).get(login)
            if state is None:
                return Answer(404, {"message": "Not Found"})
            body = {
                "url": f"https://api.github.test{request.path}",
                "role": "member",
                "state": state,
            }
            return Answer(200, github_answer("teams/get-membership-for-user-in-org", body))
        return Answer(404, {"message": "Not Found"})


@dataclass
class GitLabMergeRequest:
    """Merge request `iid` of project `project_id`: its head, approvals and the groups."""

    token: str
    project_id: int
    iid: int
    sha: str
    reset_approvals_on_push: bool = True
    users: dict[str, int] = field(default_factory=dict)  # username -> id
    groups: dict[str, set[str]] = field(default_factory=dict)  # full path -> usernames
    approved: list[str] = field(default_factory=list)

    def approve(self, username: str) -> None:
        self.users.setdefault(username, 100 + len(self.users))
        self.approved.append(username)

    def push(self, sha: str) -> None:
        self.sha = sha
        if self.reset_approvals_on_push:
            self.approved.clear()

    def __call__(self, request: Request) -> Answer:
        if request.headers.get("private-token") != self.token:
            return Answer(401, {"message": "401 Unauthorized"})
        project = f"/api/v4/projects/{self.project_id}"
        mr = f"{project}/merge_requests/{self.iid}"
        if request.method != "GET":
            return Answer(404, {"message": "404 Not Found"})
        if request.path == f"{project}/approvals":
            body = {
                "approvers": [],
                "approver_groups": [],
                "approvals_before_merge": 1,
                "reset_approvals_on_push": self.reset_approvals_on_push,
                "disable_overriding_approvers_per_merge_request": False,
            }
            return Answer(200, gitlab_answer("project-approvals", body))
        if request.path == mr:
            return Answer(200, {"id": 9, "iid": self.iid, "sha": self.sha, "state": "opened"})
        if request.path == f"{mr}/approvals":
            approved_by = [{"user": self._user(name)} for name in self.approved]
            body = {
                "id": 9,
                "iid": self.iid,
                "project_id": self.project_id,
                "state": "opened",
                "approvals_required": 1,
                "approvals_left": 0 if approved_by else 1,
                "approved_by": approved_by,
                "approvers": [],
                "approver_groups": [],
            }
            return Answer(200, gitlab_answer("merge-request-approvals", body))
        found = re.fullmatch(r"/api/v4/groups/([^/]+)/members/all/(\d+)", request.path)
        if found:
            group, uid = unquote(found.group(1)), int(found.group(2))
            names = {n for n, i in self.users.items() if i == uid}
            if group not in self.groups or not names & self.groups[group]:
                return Answer(404, {"message": "404 Not found"})
            (name,) = names
            return Answer(200, {"id": uid, "username": name, "state": "active", "access_level": 30})
        return Answer(404, {"message": "404 Not Found"})

    def _user(self, name: str) -> dict[str, Any]:
        uid = self.users[name]
        return {
            "name": name.title(),
            "username": name,
            "id": uid,
            "state": "active",
            "avatar_url": f"https://gitlab.test/avatar/{uid}",
            "web_url": f"https://gitlab.test/{name}",
        }
