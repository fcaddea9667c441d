"""Measure the poll scheduler against the sandbox: requests and overshoot for 1, 10, 50 campaigns.

Run: .venv/bin/python bench/polling.py [--concurrency 8] [--sizes 1,10,50]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

from gate_runner.api import (
    PollPolicy,
    RunContext,
    RunEvent,
    RunRequest,
    SepuruxClient,
    execute_runs,
)
from gate_runner.sandbox import Sandbox, Scenario


@dataclass
class Measurement:
    campaigns: int
    total_requests: int
    polls: int
    overshoots: list[float]  # per run: decision seen minus the run's finish
    gate_overshoot: float  # verdict ready minus the last run's finish
    wall: float
    failed: int
    predicted: int  # list + creates + the polls the unjittered interval needs


def predicted_polls(duration: float, policy: PollPolicy) -> int:
    return policy.predict(duration)[0]


def durations(count: int) -> list[float]:
    """Spread between 0.5 s and 5 s; a single campaign takes the longest."""
    if count == 1:
        return [5.0]
    return [0.5 + 4.5 * i / (count - 1) for i in range(count)]


def measure(count: int, concurrency: int) -> Measurement:
    spread = durations(count)
    scenario = Scenario.from_dict(
        {"campaigns": [{"name": f"c{i:02d}", "duration": d} for i, d in enumerate(spread)]}
    )
    created: dict[str, float] = {}
    decided: dict[str, float] = {}

    def on_event(event: RunEvent) -> None:
        # "queued" is announced right after the create answered: the run's clock started.
        if event.state == "queued":
            created[event.key] = time.monotonic()
        elif event.state == "done":
            decided[event.key] = time.monotonic()

    requests = [RunRequest(f"c{i:02d}", f"c{i:02d}", "trace", None, {}) for i in range(count)]
    with Sandbox(scenario) as sandbox:
        client = SepuruxClient(sandbox.url, sandbox.token)
        started = time.monotonic()
        outcomes = execute_runs(
            client,
            requests,
            RunContext(None, None, "bench"),
            deadline=started + 120,
            concurrency=concurrency,
            policy_digest="sha256:bench",
            on_event=on_event,
        )
        ready = time.monotonic()
        client.close()
        counts = sandbox.request_counts()
    finish = {r.key: created[r.key] + d for r, d in zip(requests, spread, strict=True)}
    return Measurement(
        campaigns=count,
        total_requests=sum(counts.values()),
        polls=counts.get("GET /v1/ci/runs/{run_id}", 0),
        overshoots=[decided[k] - finish[k] for k in decided],
        gate_overshoot=ready - max(finish.values()),
        wall=ready - started,
        failed=sum(1 for o in outcomes if o.status != "done"),
        predicted=1 + count + sum(predicted_polls(d, PollPolicy()) for d in spread),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--sizes", default="1,10,50")
    args = parser.parse_args()
    header = (
        f"{'campaigns':>9} {'requests':>8} {'predicted':>9} {'per camp.':>9} {'polls/camp.':>11} "
        f"{'overshoot med':>13} {'overshoot max':>13} {'gate overshoot':>14} "
        f"{'wall':>6} {'failed':>6}"
    )
    print(f"durations spread 0.5-5 s, concurrency {args.concurrency}")
    print(header)
    for size in (int(s) for s in args.sizes.split(",")):
        m = measure(size, args.concurrency)
        print(
            f"{m.campaigns:>9} {m.total_requests:>8} {m.predicted:>9} "
            f"{m.total_requests / m.campaigns:>9.1f} "
            f"{m.polls / m.campaigns:>11.1f} {statistics.median(m.overshoots):>12.2f}s "
            f"{max(m.overshoots):>12.2f}s {m.gate_overshoot:>13.2f}s {m.wall:>5.1f}s {m.failed:>6}"
        )


if __name__ == "__main__":
    main()
