"""`check --dry-run` prints the create body `check` sends: one builder (api/request_body.py),
so the same field names (`campaign_id`, not `campaign`) and the same dropping rules (empty
thresholds and unset fields left out). A recording proxy in front of the sandbox keeps what
`check` really sent."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from support import Answer, LoopbackServer, Request

from gate_runner.sandbox import Sandbox, Scenario
from gate_runner.sandbox.scenario import campaign_uuid

from .conftest import TOKEN, policy, run_cli, write_yaml

# Every test here runs gate-runner processes (seconds each on a loaded machine): slow.
pytestmark = pytest.mark.slow

SCENARIO = {
    "campaigns": [
        {"name": name, "duration": 0.1, "metrics": {"pass_rate": 0.97, "unsafe_attempts": 0}}
        for name in ("by-name", "by-uuid")
    ]
}


class RecordingProxy(LoopbackServer):
    """The shared loopback server forwarding every request to `target`; `created` keeps the
    JSON body of each POST /v1/ci/runs."""

    def __init__(self, target: str) -> None:
        self.upstream = urlsplit(target)
        super().__init__(self._forward)

    @property
    def created(self) -> list[dict[str, Any]]:
        return [r.body for r in self.calls("POST") if r.path.endswith("/v1/ci/runs") and r.raw]

    def _forward(self, request: Request) -> Answer:
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port)
        headers = {k: v for k, v in request.headers.items() if k != "host"}
        body = request.raw or None
        connection.request(request.method, request.target, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        kept = {
            name: value
            for name, value in answer.getheaders()
            if name.lower() not in ("transfer-encoding", "connection", "content-length")
        }
        connection.close()
        return Answer(answer.status, raw=data, headers=kept, content_type=None)


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    with Sandbox(Scenario.from_dict(SCENARIO), host="127.0.0.1", port=0, token=TOKEN) as box:
        recorder = RecordingProxy(box.url)
        try:
            yield recorder
        finally:
            recorder.close()


def printed_bodies(stdout: str) -> dict[str, dict[str, Any]]:
    """Campaign key -> the JSON body printed under its `POST .../v1/ci/runs  (key)` line."""
    bodies: dict[str, dict[str, Any]] = {}
    for match in re.finditer(
        r"/v1/ci/runs  \((?P<key>[^)]+)\)\n[^\n]*\n(?P<body>\{.*?\n\})", stdout, re.S
    ):
        bodies[match["key"]] = json.loads(match["body"])
    return bodies


def test_dry_run_prints_the_body_check_sends(proxy: RecordingProxy, tmp_path: Path) -> None:
    uuid = campaign_uuid("by-uuid")
    # No thresholds anywhere: the real body leaves `thresholds` out, so must the plan.
    write_yaml(
        tmp_path / "sepurux.yml",
        policy(
            {
                "named": {"campaign": "by-name"},
                "pinned": {"campaign": uuid, "trace_id": "trace-7"},
            },
            thresholds={},
        ),
    )
    plan = run_cli(["check", "--api-url", proxy.url, "--dry-run"], tmp_path)
    assert plan.code == 0, plan.describe()
    assert proxy.created == []  # the dry run called nothing
    planned = printed_bodies(plan.stdout)

    run = run_cli(["check", "--api-url", proxy.url], tmp_path)
    assert run.code == 0, run.describe()
    sent = {body["campaign_id"]: body for body in proxy.created}
    assert len(sent) == 2

    # A uuid is known without asking: the printed body is exactly the one sent.
    assert planned["pinned"] == sent[uuid] == {"campaign_id": uuid, "trace_id": "trace-7"}
    # A name is resolved by the API: same fields, the id shown as what it will be.
    named = sent[campaign_uuid("by-name")]
    assert set(planned["named"]) == set(named) == {"campaign_id"}
    assert planned["named"]["campaign_id"] == "<id of campaign 'by-name'>"
    assert "resolved by GET /v1/campaigns" in plan.stdout
