"""Each forge's reader of the policy owners' approvals, against loopback forges that answer
what a hostile or broken server might: nothing it sends can approve, or raise."""

from __future__ import annotations

from typing import Any

import pytest

from gate_runner.forges.github.approvals import read_approvals as github_read
from gate_runner.forges.gitlab.approvals import read_approvals as gitlab_read
from gate_runner.forges.http import publish_deadline
from gate_runner.governance.owner_approval import Approvals, Owners
from gate_runner.verdict import CIContext

from .approvals_fake import GitHubPull, GitLabMergeRequest
from .fake import Answer, Request, fake_forge

HEAD = "a" * 40
OWNERS = Owners((("alice", "acme/policy"),), "gate.policy_owners at main:sepurux.yml")
GITHUB_CI = CIContext("github", repository="acme/agent", commit=HEAD, pull_request=42)
GITLAB_CI = CIContext("gitlab", repository="acme/agent", commit=HEAD, pull_request=3)


def _github(url: str) -> Approvals:
    env = {"GITHUB_TOKEN": "t0k", "GITHUB_API_URL": url}
    return github_read(OWNERS, GITHUB_CI, env, publish_deadline())


@pytest.mark.parametrize(
    "reviews",
    [
        {"not": "a list"},
        [None, 7, "x", {"user": None, "state": "APPROVED", "commit_id": HEAD}],
        [{"user": {"login": "alice"}, "state": "APPROVED", "commit_id": None}],
        [{"user": {"login": ["alice"]}, "state": "APPROVED", "commit_id": HEAD}],
        [{"user": {"login": "alice"}, "state": "approved", "commit_id": HEAD}],
    ],
)
def test_github_answers_that_approve_nothing(reviews: Any) -> None:
    def route(request: Request) -> Answer:
        return Answer(200, reviews) if "/reviews" in request.target else Answer(404, {})

    with fake_forge(route) as fake:
        assert _github(fake.url) == Approvals()


def test_github_an_endless_chain_of_pages_is_refused() -> None:
    def route(request: Request) -> Answer:
        return Answer(200, [], headers={"Link": f'<{request.path}?page=2>; rel="next"'})

    with fake_forge(route) as fake:
        found = _github(fake.url)
    assert found.approved == () and found.problem is not None
    assert "more than 30 pages" in found.problem


def test_github_a_refused_token_is_the_problem_not_a_crash() -> None:
    pull = GitHubPull("other-token", "acme/agent", 42, HEAD)
    with fake_forge(pull) as fake:
        found = _github(fake.url)
    assert found.approved == () and found.problem is not None and "401" in found.problem


def test_github_the_team_owner_approves_through_membership() -> None:
    pull = GitHubPull("t0k", "acme/agent", 42, HEAD, teams={"acme/policy": {"bob": "active"}})
    pull.review("bob")
    with fake_forge(pull) as fake:
        assert _github(fake.url) == Approvals((("acme/policy", "bob"),))


def _gitlab(url: str) -> Approvals:
    env = {"GITLAB_TOKEN": "gl", "CI_API_V4_URL": f"{url}/api/v4", "CI_PROJECT_ID": "7"}
    env["CI_MERGE_REQUEST_IID"] = "3"
    return gitlab_read(OWNERS, GITLAB_CI, env, publish_deadline())


def test_gitlab_a_merge_request_whose_head_moved_on_is_not_approved() -> None:
    mr = GitLabMergeRequest("gl", 7, 3, "b" * 40)
    mr.approve("alice")
    with fake_forge(mr) as fake:
        found = _gitlab(fake.url)
    assert found.approved == () and found.problem == f"the merge request's head is no longer {HEAD}"


def test_gitlab_garbage_approvals_approve_nothing() -> None:
    def route(request: Request) -> Answer:
        if request.path.endswith("/7/approvals"):
            return Answer(200, {"reset_approvals_on_push": True})
        if request.path.endswith("/merge_requests/3"):
            return Answer(200, {"sha": HEAD})
        return Answer(200, {"approved_by": [None, {"user": {"username": "alice", "id": True}}]})

    with fake_forge(route) as fake:
        assert _gitlab(fake.url) == Approvals()


def test_gitlab_a_fork_pipeline_reads_the_target_project() -> None:
    mr = GitLabMergeRequest("gl", 7, 3, HEAD)
    mr.approve("alice")
    env = {"GITLAB_TOKEN": "gl", "CI_MERGE_REQUEST_IID": "3", "CI_PROJECT_ID": "99"}
    env["CI_MERGE_REQUEST_PROJECT_ID"] = "7"
    with fake_forge(mr) as fake:
        env["CI_API_V4_URL"] = f"{fake.url}/api/v4"
        found = gitlab_read(OWNERS, GITLAB_CI, env, publish_deadline())
    assert found == Approvals((("alice", "alice"),))
