"""A hostile loopback Sepurux API (and GitHub comments API) whose answers each test scripts.

The Sepurux shapes are the sandbox's (gate_runner/sandbox/service.py: campaign list,
create answer, poll payload). The GitHub part follows the REST docs for issue comments
(https://docs.github.com/en/rest/issues/comments#list-issue-comments and
#create-an-issue-comment): GET lists, POST creates with `{"body": ...}`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

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
    requests: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def poll_answer(self, count: int) -> dict[str, Any]:
        polls = self.script.polls or [done_payload(self.script.run_id)]
        return polls[min(count, len(polls) - 1)]


@contextmanager
def fake_api(script: Script) -> Iterator[FakeApi]:
    state: dict[str, Any] = {"polls": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _hold(self) -> bool:
            api.requests.append(f"{self.command} {self.path}")
            if script.hang:
                api.release.wait(60)
                return True
            return False

        def do_GET(self) -> None:
            if self._hold():
                return
            if self.path.startswith("/v1/campaigns"):
                self._send(
                    200, [{"campaign_id": CAMPAIGN_ID, "name": script.campaign, "mode": "run"}]
                )
            elif self.path.startswith("/v1/ci/runs/"):
                answer = api.poll_answer(state["polls"])
                state["polls"] += 1
                self._send(200, answer)
            elif self.path.startswith("/repos/") and "/comments" in self.path:
                self._send(200, [])
            else:
                self._send(404, {"detail": "Not found"})

        def do_POST(self) -> None:
            if self._hold():
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
            if self.path == "/v1/ci/runs":
                self._send(200, {"run_id": script.run_id, "status": "queued"})
            elif self.path.startswith("/repos/"):
                api.comments.append(body["body"])
                self._send(201, {"id": 1, "body": body["body"]})
            else:
                self._send(404, {"detail": "Not found"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    api = FakeApi(f"http://127.0.0.1:{server.server_address[1]}", script)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        api.release.set()
        server.shutdown()
        server.server_close()
