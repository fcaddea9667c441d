"""GitLab: which policy owners approved the merge request at its head commit.

Docs (doc/api/merge_request_approvals.md of gitlab-org/gitlab): GET
/projects/:id/merge_requests/:merge_request_iid/approvals (`approved_by[].user.username`,
`.id`) and GET /projects/:id/approvals (`reset_approvals_on_push`); doc/api/merge_requests.md
(GET a merge request: `sha`, its head); doc/api/members.md (GET
/groups/:id/members/all/:user_id: a member, inherited ones included; 404 otherwise).

GitLab's approvals carry no commit: they count for the head only where the project removes
every approval when commits are added (`reset_approvals_on_push`), and only while the merge
request's head is the commit this pipeline judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from gate_runner.forges.gitlab.api import api_base, session, token
from gate_runner.forges.http import ForgeAPI, PublishError
from gate_runner.governance.owner_approval import Approvals, Owners
from gate_runner.verdict import CIContext


def read_approvals(
    owners: Owners,
    ci: CIContext,
    env: Mapping[str, str],
    deadline: float,
    api: ForgeAPI | None = None,
) -> Approvals:
    secret = token(env)
    base = api_base(env)
    # The merge request lives in its target project; a fork's pipeline runs in the fork.
    project = env.get("CI_MERGE_REQUEST_PROJECT_ID") or env.get("CI_PROJECT_ID") or ci.repository
    iid = env.get("CI_MERGE_REQUEST_IID") or str(ci.pull_request or "")
    if not secret:
        return Approvals(problem="set GITLAB_TOKEN or GATE_RUNNER_GITLAB_TOKEN (`read_api`)")
    if not base or not project or not iid.isdigit() or not ci.commit:
        return Approvals(problem="this pipeline is not for a merge request")
    where = f"/projects/{quote(project, safe='')}"
    with api or session(base, secret, deadline) as http:
        try:
            settings = http.call("GET", f"{where}/approvals")
            resets = isinstance(settings, dict) and settings.get("reset_approvals_on_push")
            if resets is not True:
                return Approvals(
                    problem="this project keeps approvals when commits are added, so none "
                    "shows the head commit was approved; turn on 'Remove all approvals when "
                    "commits are added to the source branch'"
                )
            request = http.call("GET", f"{where}/merge_requests/{iid}")
            head = request.get("sha") if isinstance(request, dict) else None
            if head != ci.commit:
                return Approvals(problem=f"the merge request's head is no longer {ci.commit}")
            state = http.call("GET", f"{where}/merge_requests/{iid}/approvals")
            return Approvals(tuple(_owned(http, owners, _approvers(state))))
        except PublishError as exc:
            return Approvals(problem=str(exc))


def _approvers(state: object) -> list[tuple[str, int]]:
    entries = state.get("approved_by") if isinstance(state, dict) else None
    found = []
    for entry in entries if isinstance(entries, list) else []:
        user = entry.get("user") if isinstance(entry, dict) else None
        name = user.get("username") if isinstance(user, dict) else None
        uid = user.get("id") if isinstance(user, dict) else None
        if isinstance(name, str) and isinstance(uid, int) and not isinstance(uid, bool):
            found.append((name, uid))
    return found


def _owned(
    http: ForgeAPI, owners: Owners, approvers: list[tuple[str, int]]
) -> list[tuple[str, str]]:
    """(owner name, approver) for each approver who is a named user or in a named group.

    GitLab writes a top-level group like a user (`@platform`): a name no approver has is
    asked as a group.
    """
    found: list[tuple[str, str]] = []
    for name in owners.names:
        users = [(name, who) for who, _uid in approvers if who.casefold() == name.casefold()]
        found += users or [(name, who) for who, uid in approvers if _member(http, name, uid)]
    return found


def _member(http: ForgeAPI, group: str, uid: int) -> bool:
    try:
        member = http.call("GET", f"/groups/{quote(group, safe='')}/members/all/{uid}")
    except PublishError as exc:
        if exc.status == 404:
            return False
        raise
    return isinstance(member, dict) and member.get("state", "active") == "active"
