"""A hostile loopback Sepurux API (and GitHub comments API) whose answers each test scripts.

The Sepurux shapes are the sandbox's (gate_runner/sandbox/service.py: campaign list,
create answer, poll payload). The GitHub part follows the REST docs for issue comments
(https://docs.github.com/en/rest/issues/comments#list-issue-comments and
#create-an-issue-comment): GET lists, POST creates with `{"body": ...}`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from support import Answer, LoopbackServer, Request

CAMPAIGN_ID = "914a48b4-3a5f-5027-8bb8-72242391f0b4"


def done_payload(run_id: str, **metrics: Any) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "campaign_id": CAMPAIGN_ID,
        "status": "done",
        "decision": "pass",
        "pass_rate": 0.99,
        "unsafe_attempts": 0,
        "failures": 0,
        "top_failing_tools": [],
        "mutation_categories": [],
        **metrics,
    }


@dataclass
class Script:
    """What the fake answers: the campaign name, the run id, then each poll in turn."""

    campaign: str = "good"
    run_id: str = "r1"
    polls: list[dict[str, Any]] = field(default_factory=list)
    hang: bool = False  # never answer anything (a remote `extends` that never comes)


@dataclass
class FakeApi:
    url: str
    script: Script
    server: LoopbackServer
    comments: list[str] = field(default_factory=list)
    polls: int = 0

    @property
    def requests(self) -> list[str]:
        """ "METHOD /path" of every request so far."""
        return [f"{r.method} {r.target}" for r in self.server.requests]

    @property
    def release(self) -> threading.Event:
        """Set when the fake closes: a held request then ends."""
        return self.server.release

    def poll_answer(self, count: int) -> dict[str, Any]:
        polls = self.script.polls or [done_payload(self.script.run_id)]
        return polls[min(count, len(polls) - 1)]

    def answer(self, request: Request) -> Answer:
        if self.script.hang:
            self.release.wait(60)
            return Answer(write=lambda _handler: None)  # hung up without a word
        path = request.target
        if request.method == "GET" and path.startswith("/v1/campaigns"):
            listed = [{"campaign_id": CAMPAIGN_ID, "name": self.script.campaign, "mode": "run"}]
            return Answer(200, listed)
        if request.method == "GET" and path.startswith("/v1/ci/runs/"):
            answer = self.poll_answer(self.polls)
            self.polls += 1
            return Answer(200, answer)
        if request.method == "GET" and path.startswith("/repos/") and "/comments" in path:
            return Answer(200, [])
        if request.method == "POST" and path == "/v1/ci/runs":
            return Answer(200, {"run_id": self.script.run_id, "status": "queued"})
        if request.method == "POST" and path.startswith("/repos/"):
            self.comments.append(request.body["body"])
            return Answer(201, {"id": 1, "body": request.body["body"]})
        return Answer(404, {"detail": "Not found"})


@contextmanager
def fake_api(script: Script) -> Iterator[FakeApi]:
    """The fake on the shared loopback server (tests/support/http.py)."""
    with LoopbackServer() as server:
        api = FakeApi(server.url, script, server)
        server.route = api.answer
        yield api
