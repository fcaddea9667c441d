"""50 campaigns finishing at different times, polled at once: requests and overshoot bounded."""

from __future__ import annotations

import time

import pytest

from gate_runner.api import (
    PollPolicy,
    RunContext,
    RunEvent,
    RunRequest,
    SepuruxClient,
    execute_runs,
)
from gate_runner.sandbox import Sandbox, Scenario

# Every test here runs gate-runner processes (seconds each on a loaded machine): slow.
pytestmark = pytest.mark.slow

COUNT = 50
POLL = "GET /v1/ci/runs/{run_id}"


def predicted_polls(duration: float, policy: PollPolicy) -> int:
    return policy.predict(duration)[0]


@pytest.mark.slow
def test_fifty_campaigns_polled_concurrently() -> None:
    spread = [0.5 + 4.5 * i / (COUNT - 1) for i in range(COUNT)]
    scenario = Scenario.from_dict(
        {"campaigns": [{"name": f"c{i:02d}", "duration": d} for i, d in enumerate(spread)]}
    )
    requests = [RunRequest(f"c{i:02d}", f"c{i:02d}", "trace", None, {}) for i in range(COUNT)]
    created: dict[str, float] = {}

    def on_event(event: RunEvent) -> None:
        if event.state == "queued":
            created[event.key] = time.monotonic()

    with Sandbox(scenario) as sandbox:
        client = SepuruxClient(sandbox.url, sandbox.token)
        started = time.monotonic()
        outcomes = execute_runs(
            client,
            requests,
            RunContext(None, None, "scale-test"),
            deadline=started + 60,
            concurrency=8,
            policy_digest="sha256:scale",
            on_event=on_event,
        )
        ready = time.monotonic()
        client.close()
        counts = sandbox.request_counts()
        runs_created = sandbox.runs_created

    assert [o.status for o in outcomes] == ["done"] * COUNT
    assert runs_created == COUNT
    total = sum(counts.values())
    assert total == sum(o.requests for o in outcomes)
    predicted = 1 + COUNT + sum(predicted_polls(d, PollPolicy()) for d in spread)
    last_finish = max(created[r.key] + d for r, d in zip(requests, spread, strict=True))
    overshoot = ready - last_finish
    print(
        f"\n{COUNT} campaigns: {total} requests ({counts[POLL]} polls, predicted {predicted}), "
        f"{total / COUNT:.1f} per campaign, overshoot {overshoot:.2f} s"
    )
    # Generous bounds (measured: ~324 requests, 6.5 per campaign, overshoot ~0.5 s).
    assert counts["GET /v1/campaigns"] == 1
    assert counts["POST /v1/ci/runs"] == COUNT
    assert total <= predicted * 1.25
    assert max(o.requests for o in outcomes) <= 14
    assert overshoot < 2.5
