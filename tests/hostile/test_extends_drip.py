"""A remote `extends` that drips one byte at a time ends within --timeout: no decision, exit 3."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from support import LOADED_BOUND_S, Answer, LoopbackServer, clean_env, run_gate, validate_verdict

DRIP_GAP_S = 0.05  # far below any socket timeout: each read gets its byte in time


@pytest.mark.slow
def test_a_dripping_remote_extends_ends_within_the_gate_timeout(tmp_path: Path) -> None:
    server = LoopbackServer()
    sent = [0]

    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/yaml")
        handler.end_headers()
        try:
            # A YAML comment that never ends: the policy is never whole, the pin never checked.
            while not server.release.wait(DRIP_GAP_S):
                handler.wfile.write(b"#")
                handler.wfile.flush()
                sent[0] += 1
        except OSError:
            return  # the client went away: what the fix makes it do

    server.route = lambda _request: Answer(write=drip)
    url = f"{server.url}/base.yml"
    (tmp_path / "sepurux.yml").write_text(
        f"version: 1\nextends:\n  - url: {url}\n    sha256: {'a' * 64}\ncampaigns:\n  c: {{}}\n",
        encoding="utf-8",
    )
    env = clean_env({"GATE_RUNNER_CACHE_DIR": str(tmp_path / "cache")}, token="tok-drip-5678")
    try:
        started = time.monotonic()
        # Before the fix the drip held the gate for as long as it lasted: the run timed out here.
        # 4 s, not 1: the deadline counts from the start, and a loaded machine may spend a
        # second starting up before the request; the drip outlasts any of it.
        args = ["check", "--timeout", "4"]
        done = run_gate(args, cwd=tmp_path, env=env, timeout=LOADED_BOUND_S)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    # Nothing arrived in time, nothing cached: no decision (issue 20), not an invalid policy.
    assert done.code == 3, done.describe()
    assert elapsed < LOADED_BOUND_S
    assert sent[0] > 0, "the server never dripped: the test proves nothing"
    assert (
        f"sepurux.yml:3:5: {url}: the answer was not complete in time" in done.stdout + done.stderr
    )
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    validate_verdict(verdict)
    assert verdict["exit_code"] == 3 and verdict["error"]["kind"] == "policy_fetch"
