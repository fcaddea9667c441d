"""`gate-runner check` as a process against the sandbox, with a loopback GitHub: what it asks.

The fake answers the documented shapes (the doc page beside each route) for the calls
`--publish` and soft mode make: check runs, the pull request, its reviews, review requests
and labels. Two pushes of one pull request: the first falls below the bar, the second passes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from support import REPO, Done, clean_env, run_gate

from .fake import Answer, Fake, Request, fake_forge
from .schemas import github_request

TOKEN = "ghs_process_forge_token_4411"
SANDBOX = REPO / "examples" / "sandbox"
HEAD = "89abcdef0123456789abcdef0123456789abcdef"
PULL = "/repos/acme/agent/pulls/42"
ISSUE = "/repos/acme/agent/issues/42"

POLICY = """\
version: 1
publish: true
enforcement:
  mode: soft
  soft:
    reviewers: [alice, "@acme/reliability"]
    label: needs-reliability-review
thresholds:
  min_pass_rate: 0.85
campaigns:
  core-reliability: {}
"""


class PullRequest:
    """One pull request on a loopback GitHub, changed by the calls made on it."""

    def __init__(self) -> None:
        self.labels = ["bug"]
        self.requested: list[str] = []

    def __call__(self, request: Request) -> Answer:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        method, target = request.method, request.target
        if method == "POST" and target == "/repos/acme/agent/check-runs":
            # https://docs.github.com/en/rest/checks/runs#create-a-check-run : 201, the run.
            github_request("checks/create", request.body)
            return Answer(201, {"id": 7, "name": request.body["name"]})
        if method == "GET" and target == PULL:
            # https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request : `user.login`,
            # `labels[].name`, `requested_reviewers[].login`, `requested_teams[].slug`.
            return Answer(
                200,
                {
                    "number": 42,
                    "user": {"login": "carol"},
                    "labels": [{"name": n} for n in self.labels],
                    "requested_reviewers": [{"login": u} for u in self.requested],
                    "requested_teams": [],
                },
            )
        if method == "GET" and target == f"{PULL}/reviews?per_page=100":
            # https://docs.github.com/en/rest/pulls/reviews#list-reviews-for-a-pull-request
            return Answer(200, [])
        if method == "POST" and target == f"{PULL}/requested_reviewers":
            # https://docs.github.com/en/rest/pulls/review-requests#request-reviewers-for-a-pull-request
            github_request("pulls/request-reviewers", request.body)
            self.requested += request.body["reviewers"]
            return Answer(201, {"number": 42})
        if method == "POST" and target == f"{ISSUE}/labels":
            # https://docs.github.com/en/rest/issues/labels#add-labels-to-an-issue
            github_request("issues/add-labels", request.body)
            self.labels += request.body["labels"]
            return Answer(200, [{"name": n} for n in self.labels])
        found = re.fullmatch(rf"{ISSUE}/labels/([^/]+)", target)
        if method == "DELETE" and found:
            # https://docs.github.com/en/rest/issues/labels#remove-a-label-from-an-issue
            if found.group(1) not in self.labels:
                return Answer(404, {"message": "Label does not exist"})
            self.labels.remove(found.group(1))
            return Answer(200, [])
        return Answer(404, {"message": "Not Found"})


def _push(tmp_path: Path, fake: Fake, scenario: str, *args: str, policy: str = POLICY) -> Done:
    (tmp_path / "sepurux.yml").write_text(policy, encoding="utf-8")
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"pull_request": {"number": 42, "head": {"sha": HEAD}}}), encoding="utf-8"
    )
    env = clean_env(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": "acme/agent",
            "GITHUB_SHA": "0" * 40,
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_API_URL": fake.url,
        },
        token=None,
    )
    return run_gate(
        [
            "check",
            "--sandbox",
            str(SANDBOX / scenario),
            "--soft-exit-code",
            "78",
            *args,
        ],
        cwd=tmp_path,
        env=env,
        timeout=120,
    )


def _shown(done: Done) -> list[str]:
    """Lines that show the forge token, but for the one that tells Actions to mask it."""
    lines = (done.stdout + done.stderr).splitlines()
    return [line for line in lines if TOKEN in line and line != f"::add-mask::{TOKEN}"]


def _calls(fake: Fake, start: int = 0) -> list[tuple[str, str, Any]]:
    return [(r.method, r.target, r.body) for r in fake.requests[start:] if r.method != "GET"]


@pytest.mark.slow
def test_two_pushes_request_the_review_once_then_clear_the_label(tmp_path: Path) -> None:
    pull = PullRequest()
    with fake_forge(pull) as fake:
        first = _push(tmp_path, fake, "failing.yml")
        after_first = len(fake.requests)
        second = _push(tmp_path, fake, "passing.yml")
    assert first.returncode == 78, first.stderr  # soft: review required, not blocked
    assert second.returncode == 0, second.stderr
    assert "warning" not in first.stderr + second.stderr
    assert _shown(first) == _shown(second) == []

    pushed = _calls(fake, 0)[: len(_calls(fake, 0)) - len(_calls(fake, after_first))]
    runs = [(b["name"], b["conclusion"], b["head_sha"]) for m, t, b in pushed if "check-runs" in t]
    assert runs == [
        ("gate-runner / core-reliability", "action_required", HEAD),
        ("gate-runner", "action_required", HEAD),
    ]
    assert [(m, t, b) for m, t, b in pushed if "check-runs" not in t] == [
        (
            "POST",
            f"{PULL}/requested_reviewers",
            {"reviewers": ["alice"], "team_reviewers": ["reliability"]},
        ),
        ("POST", f"{ISSUE}/labels", {"labels": ["needs-reliability-review"]}),
    ]

    again = _calls(fake, after_first)
    assert [(b["name"], b["conclusion"]) for m, t, b in again if "check-runs" in t] == [
        ("gate-runner / core-reliability", "success"),
        ("gate-runner", "success"),
    ]
    # Passing again: the label goes, nobody is requested again, requested reviewers stay.
    assert [(m, t) for m, t, b in again if "check-runs" not in t] == [
        ("DELETE", f"{ISSUE}/labels/needs-reliability-review")
    ]
    assert pull.labels == ["bug"]
    assert pull.requested == ["alice"]


@pytest.mark.slow
def test_a_second_failing_push_requests_nobody_again(tmp_path: Path) -> None:
    pull = PullRequest()
    with fake_forge(pull) as fake:
        _push(tmp_path, fake, "failing.yml")
        start = len(fake.requests)
        again = _push(tmp_path, fake, "failing.yml")
    assert again.returncode == 78
    assert [t for m, t, b in _calls(fake, start) if "check-runs" not in t] == []


@pytest.mark.slow
def test_observe_requests_nobody_and_publishing_follows_the_flag(tmp_path: Path) -> None:
    observe = POLICY.replace("publish: true\n", "").replace("mode: soft", "mode: observe")
    with fake_forge(PullRequest()) as fake:
        done = _push(tmp_path, fake, "failing.yml", "--publish", policy=observe)
    assert done.returncode == 0, done.stderr
    calls = _calls(fake)
    assert [(b["name"], b["conclusion"]) for m, t, b in calls] == [
        ("gate-runner / core-reliability", "neutral"),
        ("gate-runner", "neutral"),
    ]  # statuses only: observe never requests anyone, and there was no label to clear


@pytest.mark.slow
def test_a_forge_that_fails_is_a_warning_never_a_change_of_exit_code(tmp_path: Path) -> None:
    def broken(request: Request) -> Answer:
        return Answer(500, {"message": TOKEN}, reason=f"Internal {TOKEN}")

    hard = POLICY.replace("mode: soft", "mode: hard")
    with fake_forge(broken) as fake:
        done = _push(tmp_path, fake, "failing.yml", policy=hard)
        assert fake.requests  # it did try
    assert done.returncode == 1  # the verdict's own code: hard mode, below the bar
    assert "gate-runner: warning: statuses not published" in done.stderr
    assert _shown(done) == []
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    assert verdict["exit_code"] == 1
