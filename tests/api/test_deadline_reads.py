"""The gate's deadline bounds every answer in total, however slowly its bytes arrive.

A slow-drip server (the sandbox's `drip` fault: one byte at a time, each in time for a
per-read timeout) once kept a `--timeout 6` gate alive for 53 s while campaigns were
resolved. Every request the gate makes must end with the deadline: listing, trace upload,
create, poll and reliability.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from support import LOADED_BOUND_S, clean_env, run_gate

from gate_runner.api import RetryPolicy, RunContext, RunRequest, SepuruxClient, execute_runs
from gate_runner.sandbox import Sandbox, Scenario

# Every test here runs gate-runner processes (seconds each on a loaded machine): slow.
pytestmark = pytest.mark.slow

TOKEN = "drip-SECRET-token-0007"
# Generous: a loaded machine meets it; bench/time_to_verdict.py --drip-only keeps the tight
# figure. The timeout status and message are what show the deadline cut the drip.
BOUND_S = LOADED_BOUND_S
DRIP = {"kind": "drip", "delay": 0.4}
ROUTE_OF = {
    "traces": "POST /v1/traces",
    "create": "POST /v1/ci/runs",
    "poll": "GET /v1/ci/runs/{run_id}",
    "reliability": "GET /v1/campaigns/{campaign_id}/reliability",
}


def scenario(fault_on: str) -> dict[str, object]:
    return {"campaigns": [{"name": "core", "duration": 0.1}], "faults": [{**DRIP, "on": fault_on}]}


@pytest.mark.slow
def test_check_ends_at_its_timeout_while_the_campaign_list_drips(tmp_path: Path) -> None:
    (tmp_path / "scenario.yml").write_text(yaml.safe_dump(scenario("campaigns")), "utf-8")
    policy = {
        "version": 1,
        "gate": {"timeout": 60},
        "enforcement": {"mode": "hard"},
        "thresholds": {"min_pass_rate": 0.85},
        "campaigns": {"core": {"campaign": "core"}},
    }
    (tmp_path / "sepurux.yml").write_text(yaml.safe_dump(policy), "utf-8")
    started = time.monotonic()
    done = run_gate(
        ["check", "--timeout", "3", "--sandbox", "scenario.yml"],
        cwd=tmp_path,
        env=clean_env(token=None),
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 3, done.stdout + done.stderr
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text("utf-8"))
    (campaign,) = verdict["campaigns"]
    assert campaign["status"] == "timeout" and campaign["error"]["kind"] == "timeout"
    assert "still arriving at the gate's deadline" in campaign["error"]["message"]
    assert elapsed < BOUND_S


@pytest.mark.slow
@pytest.mark.parametrize("fault_on", ["traces", "create", "poll", "reliability"])
def test_every_request_of_a_run_ends_with_the_deadline(tmp_path: Path, fault_on: str) -> None:
    trace = tmp_path / "trace.json"
    trace.write_text(json.dumps({"trace_version": "0.1", "events": []}), "utf-8")
    request = RunRequest("core", "core", None, str(trace), {}, needs_reliability=True)
    with Sandbox(Scenario.from_dict(scenario(fault_on)), token=TOKEN) as sandbox:
        client = SepuruxClient(sandbox.url, TOKEN, retry=RetryPolicy(attempts=2, base=0.05))
        started = time.monotonic()
        (outcome,) = execute_runs(
            client,
            [request],
            RunContext(None, None, "abc"),
            deadline=started + 2.0,
            concurrency=1,
            policy_digest="sha256:x",
        )
        elapsed = time.monotonic() - started
        counts = sandbox.request_counts()
    assert outcome.status == "timeout", outcome
    assert outcome.error is not None and outcome.error.kind == "timeout"
    assert counts.get(ROUTE_OF[fault_on], 0) >= 1  # the dripping request was made
    assert elapsed < BOUND_S
