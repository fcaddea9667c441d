"""The sticky comment against a small fake GitHub/GitLab API on 127.0.0.1."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict
from support import Answer, LoopbackServer, Request

from gate_runner.forges.publish import post_sticky_comment
from gate_runner.report.markdown import MARKER
from gate_runner.verdict import CIContext

try:  # tests/ is a rootdir, not a package (tests/report is)
    from report.fixtures import hard_fail
except ImportError:  # pragma: no cover - if tests/ ever becomes a package
    from tests.report.fixtures import hard_fail

TOKEN = "ghs_SECRETTOKEN123456"


@dataclass
class FakeAPI:
    """Serves comment listings in pages and records every write."""

    comments: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    page_size: int = 2
    hang: bool = False
    requests: list[tuple[str, str, CaseInsensitiveDict[str], Any]] = field(default_factory=list)
    url: str = ""
    link_base: str = ""


def _comments_api(state: FakeAPI, request: Request) -> Answer:
    # GitHub's issue comments: GET lists a page (Link rel="next" to the next one), POST creates,
    # PATCH edits (https://docs.github.com/en/rest/issues/comments).
    body = request.body
    headers = CaseInsensitiveDict(request.headers)
    state.requests.append((request.method, request.target, headers, body))
    if state.hang:
        threading.Event().wait(3)
    if state.status != 200:
        return Answer(state.status, {"message": f"nope {TOKEN}"})
    path, _, query = request.target.partition("?")
    if request.method == "GET":
        page = int(dict(p.split("=") for p in query.split("&") if "=" in p).get("page", "1"))
        start = (page - 1) * state.page_size
        items = state.comments[start : start + state.page_size]
        links = {}
        if start + state.page_size < len(state.comments):
            target = f"{state.link_base or state.url}{path}?per_page=100&page={page + 1}"
            links["Link"] = f'<{target}>; rel="next"'
        return Answer(200, items, headers=links)
    if request.method == "POST":
        return Answer(201, {"id": 999, "body": body["body"]})
    return Answer(200, {"id": int(path.rsplit("/", 1)[1]), "body": body["body"]})


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    state = FakeAPI()
    with LoopbackServer(functools.partial(_comments_api, state)) as server:
        state.url = server.url
        yield state


GH = CIContext("github", "acme/agent", "abc", "feat", 42)
BODY = f"{MARKER}\nhello"


def _github_env(api: FakeAPI) -> dict[str, str]:
    return {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": api.url}


def _writes(api: FakeAPI) -> list[tuple[str, str, Any]]:
    return [(m, p, b) for m, p, _, b in api.requests if m != "GET"]


def test_github_creates_a_comment_when_none_holds_the_marker(api: FakeAPI) -> None:
    api.comments = [{"id": 1, "body": "lgtm", "user": {"login": "dev"}}]
    assert post_sticky_comment(hard_fail(), GH, _github_env(api), body=BODY) is None
    assert _writes(api) == [("POST", "/repos/acme/agent/issues/42/comments", {"body": BODY})]
    method, path, headers, _ = api.requests[0]
    assert (method, path) == ("GET", "/repos/acme/agent/issues/42/comments?per_page=100")
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Accept"] == "application/vnd.github+json"
    assert headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_github_updates_the_marked_comment_found_on_a_later_page(api: FakeAPI) -> None:
    api.comments = [
        {"id": 1, "body": "a", "user": {"login": "dev"}},
        {"id": 2, "body": f"> {MARKER} quoted by a human", "user": {"login": "dev"}},
        {"id": 3, "body": "c", "user": {"login": "dev"}},
        {"id": 4, "body": f"{MARKER}\nold", "user": {"login": "github-actions[bot]"}},
    ]
    assert post_sticky_comment(hard_fail(), GH, _github_env(api), body=BODY) is None
    assert [r[1] for r in api.requests if r[0] == "GET"] == [
        "/repos/acme/agent/issues/42/comments?per_page=100",
        "/repos/acme/agent/issues/42/comments?per_page=100&page=2",
    ]
    assert _writes(api) == [("PATCH", "/repos/acme/agent/issues/comments/4", {"body": BODY})]


def test_github_author_filter(api: FakeAPI) -> None:
    api.comments = [{"id": 5, "body": f"{MARKER}\nold", "user": {"login": "someone"}}]
    env = {**_github_env(api), "GATE_RUNNER_COMMENT_AUTHOR": "github-actions[bot]"}
    assert post_sticky_comment(hard_fail(), GH, env, body=BODY) is None
    assert [w[0] for w in _writes(api)] == ["POST"]


def test_github_long_body_is_truncated(api: FakeAPI) -> None:
    assert post_sticky_comment(hard_fail(), GH, _github_env(api), body=BODY + "x" * 70_000) is None
    sent = _writes(api)[0][2]["body"]
    assert len(sent) <= 65_536 and sent.startswith(MARKER) and "Truncated" in sent


def test_github_refusal_is_a_warning_without_the_token(api: FakeAPI) -> None:
    api.status = 403
    warning = post_sticky_comment(hard_fail(), GH, _github_env(api), body=BODY)
    assert warning is not None
    assert "403" in warning and "pull-requests: write" in warning
    assert TOKEN not in warning


def test_missing_token_or_pr_or_unsupported_vendor_are_warnings(api: FakeAPI) -> None:
    assert "GITHUB_TOKEN" in (
        post_sticky_comment(hard_fail(), GH, {"GITHUB_API_URL": api.url}, body=BODY) or ""
    )
    no_pr = CIContext("github", "acme/agent")
    assert "not for a pull request" in (
        post_sticky_comment(hard_fail(), no_pr, _github_env(api), body=BODY) or ""
    )
    assert "not on jenkins" in (
        post_sticky_comment(hard_fail(), CIContext("jenkins"), {}, body=BODY) or ""
    )
    assert api.requests == []


def test_unreachable_api_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("gate_runner.forges.http.time.sleep", slept.append)
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "http://127.0.0.1:9"}
    warning = post_sticky_comment(hard_fail(), GH, env, body=BODY)
    assert warning is not None and "failed" in warning and TOKEN not in warning
    assert slept == [1.0, 2.0]  # the one forge client's retries, the comment's too


def test_timeouts_are_applied(api: FakeAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gate_runner.forges.http.TIMEOUT", (1.0, 0.3))
    monkeypatch.setattr("gate_runner.forges.http.time.sleep", lambda _seconds: None)
    api.hang = True
    warning = post_sticky_comment(hard_fail(), GH, _github_env(api), body=BODY)
    assert warning is not None and "timed out" in warning


def test_next_page_on_another_host_is_not_followed(api: FakeAPI) -> None:
    api.comments = [{"id": i, "body": "x"} for i in range(3)]
    api.link_base = "http://127.0.0.2:1"  # a Link header pointing at another host
    warning = post_sticky_comment(hard_fail(), GH, _github_env(api), body=BODY)
    assert warning is not None and "another host" in warning
    assert len(api.requests) == 1


GL = CIContext("gitlab", "group/proj", "abc", "feat", 7)


def _gitlab_env(api: FakeAPI) -> dict[str, str]:
    return {
        "GITLAB_TOKEN": TOKEN,
        "CI_API_V4_URL": f"{api.url}/api/v4",
        "CI_PROJECT_ID": "55",
        "CI_MERGE_REQUEST_PROJECT_ID": "55",
        "CI_MERGE_REQUEST_IID": "7",
    }


def test_gitlab_creates_then_updates_the_note(api: FakeAPI) -> None:
    api.comments = [
        {"id": 1, "body": "hi", "system": False},
        {"id": 2, "body": f"{MARKER} merged", "system": True},
    ]
    assert post_sticky_comment(hard_fail(), GL, _gitlab_env(api), body=BODY) is None
    assert _writes(api) == [("POST", "/api/v4/projects/55/merge_requests/7/notes", {"body": BODY})]
    assert api.requests[0][2]["PRIVATE-TOKEN"] == TOKEN
    api.requests.clear()
    api.comments.append({"id": 3, "body": f"{MARKER}\nold", "system": False})
    assert post_sticky_comment(hard_fail(), GL, _gitlab_env(api), body=BODY) is None
    assert _writes(api) == [("PUT", "/api/v4/projects/55/merge_requests/7/notes/3", {"body": BODY})]


def test_gitlab_fork_mr_note_goes_to_the_target_project(api: FakeAPI) -> None:
    # A fork's MR pipeline runs in the fork (CI_PROJECT_ID) but the MR, and its number, belong
    # to the target project: CI_MERGE_REQUEST_PROJECT_ID, "The ID of the project of the merge
    # request" (https://docs.gitlab.com/ci/variables/predefined_variables/).
    env = {**_gitlab_env(api), "CI_PROJECT_ID": "99", "CI_MERGE_REQUEST_PROJECT_ID": "55"}
    fork = CIContext("gitlab", "group/proj", "abc", "feat", 7)
    assert post_sticky_comment(hard_fail(), fork, env, body=BODY) is None
    assert _writes(api) == [("POST", "/api/v4/projects/55/merge_requests/7/notes", {"body": BODY})]


def test_gitlab_branch_pipeline_note_pairs_project_and_number(api: FakeAPI) -> None:
    # A branch pipeline has no CI_MERGE_REQUEST_*: the verdict's repository and MR go together.
    env = {k: v for k, v in _gitlab_env(api).items() if not k.startswith("CI_MERGE_REQUEST")}
    assert post_sticky_comment(hard_fail(), GL, env, body=BODY) is None
    path = "/api/v4/projects/group%2Fproj/merge_requests/7/notes"
    assert _writes(api) == [("POST", path, {"body": BODY})]


def test_gitlab_token_fallback_and_errors(api: FakeAPI) -> None:
    env = {k: v for k, v in _gitlab_env(api).items() if k != "GITLAB_TOKEN"}
    assert "GITLAB_TOKEN" in (post_sticky_comment(hard_fail(), GL, env, body=BODY) or "")
    env["GATE_RUNNER_GITLAB_TOKEN"] = TOKEN
    api.status = 401
    warning = post_sticky_comment(hard_fail(), GL, env, body=BODY)
    assert warning is not None and "401" in warning and "api" in warning and TOKEN not in warning


def test_other_vendors_get_a_warning_not_an_error() -> None:
    warning = post_sticky_comment(hard_fail(), CIContext("jenkins"), {}, body=BODY)
    assert (
        warning
        == "comment not posted: comments are posted on github and gitlab only, not on jenkins"
    )
