"""Soft mode requests the review: the decision, then GitHub and GitLab against loopback fakes."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from gate_runner.forges.publish import request_review
from gate_runner.forges.review import ReviewActions, ReviewSettings, ReviewState, decide_review
from gate_runner.verdict import Verdict

from .fake import Answer, Request, fake_forge
from .schemas import github_request
from .verdicts import TOKEN, mixed

SETTINGS = ReviewSettings(reviewers=("alice", "@acme/reliability", "bob"), label="needs-review")


def _mode(verdict: Verdict, mode: str) -> Verdict:
    """The first campaign (failing) in `mode`; the others as they are."""
    first = verdict.campaigns[0]
    first = replace(
        first,
        blocking=mode == "hard",
        enforcement=replace(first.enforcement, mode=mode),  # type: ignore[arg-type]
    )
    return replace(verdict, campaigns=(first, *verdict.campaigns[1:]), blocking=mode == "hard")


def _passing(verdict: Verdict) -> Verdict:
    campaigns = tuple(replace(c, outcome="pass", blocking=False) for c in verdict.campaigns)
    return replace(verdict, outcome="pass", blocking=False, campaigns=campaigns)


SOFT = _mode(mixed(), "soft")


def test_soft_failure_requests_everyone_and_sets_the_label() -> None:
    assert decide_review(SOFT, SETTINGS, ReviewState(author="carol")) == ReviewActions(
        users=("alice", "bob"), teams=("reliability",), add_label="needs-review"
    )


def test_once_per_pull_request_the_label_says_it_was_done() -> None:
    state = ReviewState(labels=frozenset({"needs-review"}))
    assert decide_review(SOFT, SETTINGS, state).empty


def test_without_a_label_nobody_is_asked_twice_and_never_the_author() -> None:
    settings = ReviewSettings(reviewers=("alice", "bob", "carol", "acme/reliability"))
    state = ReviewState(
        author="Carol",
        requested_users=frozenset({"alice"}),
        requested_teams=frozenset({"reliability"}),
        reviewed_by=frozenset({"BOB"}),
    )
    assert decide_review(SOFT, settings, state).empty


@pytest.mark.parametrize("mode", ["observe", "hard"])
def test_only_soft_asks_for_a_human(mode: str) -> None:
    assert decide_review(_mode(mixed(), mode), SETTINGS, ReviewState()).empty


def test_passing_again_removes_the_label_and_keeps_the_reviewers() -> None:
    state = ReviewState(labels=frozenset({"needs-review"}), requested_users=frozenset({"alice"}))
    assert decide_review(_passing(SOFT), SETTINGS, state) == ReviewActions(
        remove_label="needs-review"
    )
    assert decide_review(_passing(SOFT), SETTINGS, ReviewState()).empty  # no label: nothing to do


# ---------------------------------------------------------------- GitHub


class GitHubPull:
    """A pull request and the calls soft mode makes on it.

    https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request : 200 with `user.login`,
    `labels[].name`, `requested_reviewers[].login`, `requested_teams[].slug`.
    https://docs.github.com/en/rest/pulls/reviews#list-reviews-for-a-pull-request : 200 with
    `[{user: {login}, state}]`.
    https://docs.github.com/en/rest/pulls/review-requests#request-reviewers-for-a-pull-request :
    POST {reviewers, team_reviewers} -> 201 with the pull request.
    https://docs.github.com/en/rest/issues/labels#add-labels-to-an-issue : POST {labels} -> 200
    with the labels; #remove-a-label-from-an-issue : DELETE -> 200, or 404 when it is not set.
    """

    def __init__(self, labels: list[str], reviewed: list[str] | None = None) -> None:
        self.labels = list(labels)
        self.reviewed = reviewed or []

    def __call__(self, request: Request) -> Answer:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        target = request.target
        if request.method == "GET" and target == "/repos/acme/agent/pulls/42":
            return Answer(
                200,
                {
                    "number": 42,
                    "user": {"login": "carol"},
                    "labels": [{"id": 1, "name": n} for n in self.labels],
                    "requested_reviewers": [{"login": "alice"}],
                    "requested_teams": [],
                },
            )
        if request.method == "GET" and target == "/repos/acme/agent/pulls/42/reviews?per_page=100":
            return Answer(
                200, [{"user": {"login": u}, "state": "COMMENTED"} for u in self.reviewed]
            )
        if request.method == "POST" and target == "/repos/acme/agent/pulls/42/requested_reviewers":
            github_request("pulls/request-reviewers", request.body)
            return Answer(201, {"number": 42})
        if request.method == "POST" and target == "/repos/acme/agent/issues/42/labels":
            github_request("issues/add-labels", request.body)
            self.labels += request.body["labels"]
            return Answer(200, [{"name": n} for n in self.labels])
        match = re.fullmatch(r"/repos/acme/agent/issues/42/labels/([^/]+)", target)
        if request.method == "DELETE" and match:
            if match.group(1) not in self.labels:
                return Answer(404, {"message": "Label does not exist"})
            self.labels.remove(match.group(1))
            return Answer(200, [])
        return Answer(404, {"message": "Not Found"})


def _github(url: str) -> dict[str, str]:
    return {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": url}


def test_github_requests_once_across_two_pushes() -> None:
    pull = GitHubPull(labels=["bug"], reviewed=["bob"])
    with fake_forge(pull) as fake:
        assert request_review(SOFT, SETTINGS, _github(fake.url)) == []
        assert request_review(SOFT, SETTINGS, _github(fake.url)) == []  # the next push
    posts = [(r.target, r.body) for r in fake.calls("POST")]
    assert posts == [
        (
            "/repos/acme/agent/pulls/42/requested_reviewers",
            {"reviewers": [], "team_reviewers": ["reliability"]},
        ),
        ("/repos/acme/agent/issues/42/labels", {"labels": ["needs-review"]}),
    ]  # alice was already requested and bob already reviewed
    assert pull.labels == ["bug", "needs-review"]


def test_github_removes_the_label_when_the_gate_passes_again() -> None:
    pull = GitHubPull(labels=["needs-review"])
    with fake_forge(pull) as fake:
        assert request_review(_passing(SOFT), SETTINGS, _github(fake.url)) == []
    assert [(r.method, r.target) for r in fake.requests if r.method != "GET"] == [
        ("DELETE", "/repos/acme/agent/issues/42/labels/needs-review")
    ]
    assert pull.labels == []


def test_observe_never_calls_when_there_is_no_label_to_clear() -> None:
    with fake_forge(GitHubPull(labels=[])) as fake:
        settings = ReviewSettings(reviewers=("alice",))
        assert request_review(_mode(mixed(), "observe"), settings, _github(fake.url)) == []
    assert fake.requests == []


def test_a_refused_review_request_is_a_warning_without_the_token() -> None:
    def refuse(request: Request) -> Answer:
        if request.method == "GET":
            return GitHubPull(labels=[])(request)
        return Answer(403, {"message": "nope"}, reason=f"Forbidden {TOKEN}")

    with fake_forge(refuse) as fake:
        warnings = request_review(SOFT, SETTINGS, _github(fake.url))
    assert warnings == [
        "review not requested: POST /repos/acme/agent/pulls/42/requested_reviewers answered "
        "403 Forbidden ***"
    ]


# ---------------------------------------------------------------- GitLab


class GitLabMR:
    """A merge request and the calls soft mode makes on it.

    https://docs.gitlab.com/ee/api/merge_requests.html#get-single-mr : 200 with `author`,
    `labels` (names), `reviewers[] {id, username}`.
    https://docs.gitlab.com/ee/api/users.html#list-users : `GET /users?username=` -> a list
    of at most one user.
    https://docs.gitlab.com/ee/api/merge_requests.html#update-mr : PUT with `reviewer_ids`
    (replaces the list), `add_labels`, `remove_labels` (comma-separated names) -> 200.
    """

    def __init__(self, labels: list[str]) -> None:
        self.users = {"alice": 11, "bob": 12}
        self.labels = list(labels)
        self.reviewers = [{"id": 10, "username": "dave"}]

    def __call__(self, request: Request) -> Answer:
        assert request.headers["private-token"] == TOKEN
        url = urlsplit(request.target)
        if url.path == "/api/v4/projects/278964/merge_requests/7":
            if request.method == "GET":
                return Answer(
                    200,
                    {
                        "iid": 7,
                        "author": {"username": "carol"},
                        "labels": self.labels,
                        "reviewers": self.reviewers,
                    },
                )
            assert request.method == "PUT"
            body: dict[str, Any] = request.body
            assert set(body) <= {"reviewer_ids", "add_labels", "remove_labels"}
            if "reviewer_ids" in body:
                self.reviewers = [{"id": i, "username": str(i)} for i in body["reviewer_ids"]]
            self.labels += [x for x in body.get("add_labels", "").split(",") if x]
            self.labels = [
                x for x in self.labels if x not in body.get("remove_labels", "").split(",")
            ]
            return Answer(200, {"iid": 7})
        if request.method == "GET" and url.path == "/api/v4/users":
            name = parse_qs(url.query)["username"][0]
            found = self.users.get(name)
            return Answer(200, [{"id": found, "username": name}] if found else [])
        return Answer(404, {"message": "404 Not Found"})


def _gitlab(url: str) -> dict[str, str]:
    return {
        "GITLAB_TOKEN": TOKEN,
        "CI_API_V4_URL": f"{url}/api/v4",
        "CI_PROJECT_ID": "278964",
        "CI_MERGE_REQUEST_IID": "7",
    }


def test_gitlab_adds_reviewers_to_the_list_and_the_label_once() -> None:
    mr = GitLabMR(labels=[])
    settings = ReviewSettings(
        reviewers=("alice", "ghost", "acme/reliability"), label="needs-review"
    )
    verdict = replace(SOFT, ci=replace(SOFT.ci, vendor="gitlab", pull_request=7))
    with fake_forge(mr) as fake:
        first = request_review(verdict, settings, _gitlab(fake.url))
        second = request_review(verdict, settings, _gitlab(fake.url))
    assert first == [
        "GitLab takes users as reviewers, not groups: reliability not requested",
        "reviewer 'ghost' is not a GitLab user",
    ]
    assert second == []
    assert [r.body for r in fake.calls("PUT")] == [
        {"reviewer_ids": [10, 11], "add_labels": "needs-review"}
    ]
    assert mr.labels == ["needs-review"]
    with fake_forge(mr) as fake:
        assert request_review(_passing(verdict), settings, _gitlab(fake.url)) == []
    assert [r.body for r in fake.calls("PUT")] == [{"remove_labels": "needs-review"}]
    assert mr.labels == [] and [r["id"] for r in mr.reviewers] == [10, 11]
