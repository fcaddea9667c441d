"""GitHub check runs and the commit-status fallback, against a loopback fake of the REST API."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from gate_runner.forges.github import check_runs as forge_github
from gate_runner.forges.publish import publish_statuses
from gate_runner.forges.statuses import statuses

from .fake import Answer, Request, fake_forge
from .schemas import github_request
from .verdicts import TOKEN, many_findings, mixed

CHECK_RUNS = re.compile(r"^/repos/acme/agent/check-runs$")
CHECK_RUN = re.compile(r"^/repos/acme/agent/check-runs/(\d+)$")
STATUSES = re.compile(r"^/repos/acme/agent/statuses/[0-9a-f]{40}$")


def _env(url: str) -> dict[str, str]:
    return {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": url}


class GitHub:
    """The documented shapes, and switches to refuse checks or statuses like a fork's token."""

    def __init__(self, checks: int = 201, commit_statuses: int = 201) -> None:
        self.checks = checks
        self.commit_statuses = commit_statuses
        self.next_id = 4000

    def __call__(self, request: Request) -> Answer:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"
        if request.method == "POST" and CHECK_RUNS.match(request.target):
            # https://docs.github.com/en/rest/checks/runs#create-a-check-run
            # 201 with the check run (id, name, head_sha, status, conclusion, output...);
            # a token without `checks: write` gets 403 "Resource not accessible by integration".
            github_request("checks/create", request.body)
            if self.checks != 201:
                return Answer(self.checks, {"message": "Resource not accessible by integration"})
            self.next_id += 1
            return Answer(
                201, {"id": self.next_id, "name": request.body["name"], "status": "completed"}
            )
        if request.method == "PATCH" and CHECK_RUN.match(request.target):
            # https://docs.github.com/en/rest/checks/runs#update-a-check-run
            # 200 with the check run; annotations in the update are appended to the run's.
            github_request("checks/update", request.body)
            return Answer(200, {"id": int(CHECK_RUN.match(request.target).group(1))})  # type: ignore[union-attr]
        if request.method == "POST" and STATUSES.match(request.target):
            # https://docs.github.com/en/rest/commits/statuses#create-a-commit-status
            # 201 with the status (id, state, description, target_url, context).
            github_request("repos/create-commit-status", request.body)
            if self.commit_statuses != 201:
                return Answer(
                    self.commit_statuses, {"message": "Resource not accessible by integration"}
                )
            return Answer(201, {"id": 1, **request.body})
        return Answer(404, {"message": "Not Found"})


def test_a_check_run_per_campaign_and_the_gate() -> None:
    with fake_forge(GitHub()) as fake:
        assert publish_statuses(mixed(), _env(fake.url)) == []
    created = [r.body for r in fake.calls("POST")]
    assert [(b["name"], b["conclusion"]) for b in created] == [
        ("gate-runner / core-reliability", "failure"),
        ("gate-runner / checkout-flow", "neutral"),  # soft, warn-level findings only
        ("gate-runner / smoke", "success"),
        ("gate-runner", "failure"),
    ]
    first = created[0]
    assert first["head_sha"] == "0123456789abcdef0123456789abcdef01234567"
    assert first["status"] == "completed"
    assert first["details_url"] == "https://app.sepurux.dev/runs/r-7"
    assert first["output"]["title"] == "fail — blocks the merge (hard)"
    assert "| threshold:min\\_pass\\_rate | fail |" in first["output"]["summary"]
    lines = {
        (a["path"], a["start_line"], a["annotation_level"]) for a in first["output"]["annotations"]
    }
    assert ("sepurux.yml", 24, "failure") in lines
    assert ("sepurux.yml", 30, "failure") in lines  # remote check: the campaign's line
    assert created[-1]["details_url"] == "https://github.com/acme/agent/actions/runs/99"
    assert fake.calls("PATCH") == []


def test_annotations_go_fifty_per_request() -> None:
    with fake_forge(GitHub()) as fake:
        assert publish_statuses(many_findings(120), _env(fake.url)) == []
    first = fake.calls("POST")[0]
    assert len(first.body["output"]["annotations"]) == 50
    patches = fake.calls("PATCH")
    assert [len(p.body["output"]["annotations"]) for p in patches] == [50, 20]
    assert {p.target for p in patches} == {"/repos/acme/agent/check-runs/4001"}
    sent = [a["start_line"] for r in [first, *patches] for a in r.body["output"]["annotations"]]
    assert sorted(sent) == list(range(100, 220))  # every finding once


@pytest.mark.parametrize(
    ("mode", "conclusion", "state"),
    [
        ("observe", "neutral", "success"),
        ("soft", "action_required", "failure"),
        ("hard", "failure", "failure"),
    ],
)
def test_conclusion_follows_the_mode(mode: str, conclusion: str, state: str) -> None:
    base = mixed()
    campaign = base.campaigns[0]
    blocking = mode == "hard"
    campaign = replace(
        campaign, blocking=blocking, enforcement=replace(campaign.enforcement, mode=mode)
    )  # type: ignore[arg-type]
    verdict = replace(base, campaigns=(campaign,), blocking=blocking)
    status = statuses(verdict)[0]
    assert status.conclusion == conclusion
    assert forge_github.commit_status_body(status)["state"] == state


def test_a_fork_token_falls_back_to_commit_statuses() -> None:
    with fake_forge(GitHub(checks=403)) as fake:
        warnings = publish_statuses(mixed(), _env(fake.url))
    assert warnings == [
        "check runs not published (POST /repos/acme/agent/check-runs answered 403 Forbidden; "
        "the token cannot write checks, as on fork pull requests): posting commit statuses instead"
    ]
    posted = [r.body for r in fake.requests if STATUSES.match(r.target)]
    assert [(b["context"], b["state"]) for b in posted] == [
        ("gate-runner / core-reliability", "failure"),
        ("gate-runner / checkout-flow", "success"),
        ("gate-runner / smoke", "success"),
        ("gate-runner", "failure"),
    ]
    assert all(len(b["description"]) <= 140 for b in posted)


def test_nothing_writable_posts_nothing_with_two_warnings() -> None:
    with fake_forge(GitHub(checks=403, commit_statuses=403)) as fake:
        warnings = publish_statuses(mixed(), _env(fake.url))
    assert len(warnings) == 2
    assert warnings[1].startswith(
        "commit statuses not published either (POST /repos/acme/agent/statuses/"
    )
    assert warnings[1].endswith("answered 403 Forbidden); no status posted")
    assert len(fake.requests) == 2  # one refused check run, one refused status


def test_server_errors_are_retried_then_a_warning_without_the_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    monkeypatch.setattr("gate_runner.forges.http.time.sleep", slept.append)

    def broken(request: Request) -> Answer:
        return Answer(502, {"message": "bad"}, reason=f"Bad Gateway {TOKEN}")

    with fake_forge(broken) as fake:
        warnings = publish_statuses(mixed(), _env(fake.url))
    assert len(fake.requests) == 3  # the first try and two retries, then it gives up
    assert slept == [1.0, 2.0]
    assert warnings == [
        "statuses not published: POST /repos/acme/agent/check-runs answered 502 Bad Gateway ***"
    ]


def test_no_token_no_request() -> None:
    assert publish_statuses(mixed(), {"GITHUB_API_URL": "http://127.0.0.1:9"}) == [
        "statuses not published: GITHUB_TOKEN is not set (give the job `checks: write`)"
    ]


def test_the_token_goes_to_the_api_origin_only() -> None:
    def elsewhere(request: Request) -> Answer:
        body: Any = {"id": "not-a-number"}
        return Answer(201, body)

    with fake_forge(elsewhere) as fake:
        warnings = publish_statuses(mixed(), _env(fake.url))
    assert warnings == [
        "statuses not published: POST /repos/acme/agent/check-runs answered without a check run id"
    ]


def test_a_gate_that_reached_no_decision_fails_its_status() -> None:
    verdict = replace(mixed(), campaigns=(), outcome="error", blocking=True, exit_code=3)
    (gate,) = statuses(verdict)
    assert (gate.name, gate.conclusion) == ("gate-runner", "failure")
    assert gate.description.startswith("error — blocks the merge (hard): ")
