"""Random agents (issue #12): pass_rate {true, trials} drawn per run, the same for a seed."""

from __future__ import annotations

from typing import Any

from gate_runner.sandbox.scenario import Scenario
from gate_runner.sandbox.service import SandboxService
from gate_runner.statistics.simulation import Binomial, run_rng

AGENTS: dict[str, Any] = {
    "seed": 5,
    "campaigns": [
        {"name": "a", "metrics": {"pass_rate": {"true": 0.9, "trials": 40}}},
        {"name": "b", "metrics": {"pass_rate": {"true": 0.5, "trials": 10}}},
    ],
}


def _rates(service: SandboxService, order: list[int]) -> dict[str, list[float]]:
    seen: dict[str, list[float]] = {"a": [], "b": []}
    for i in order:
        campaign = service.scenario.campaigns[i]
        run = service._start(campaign, {}, "{}")
        payload = run.payload(float("inf"), "", 1)
        assert payload["trace_count"] == campaign.metrics.random_pass_rate.trials  # type: ignore[union-attr]
        seen[campaign.name].append(payload["pass_rate"])
    return seen


def test_same_seed_same_runs_whatever_the_interleaving() -> None:
    first = _rates(SandboxService(Scenario.from_dict(AGENTS)), [0, 0, 0, 1, 1, 1])
    second = _rates(SandboxService(Scenario.from_dict(AGENTS)), [1, 0, 1, 0, 1, 0])
    assert first == second
    other = _rates(SandboxService(Scenario.from_dict({**AGENTS, "seed": 6})), [0, 0, 0, 1, 1, 1])
    assert other != first


def test_the_nth_run_draws_with_the_benchmarks_rule() -> None:
    service = SandboxService(Scenario.from_dict(AGENTS))
    campaign = service.scenario.campaigns[0]
    rates = _rates(service, [0, 0, 0])["a"]
    law = Binomial(40, 0.9)
    assert rates == [law.draw(run_rng(5, campaign.id, n)) / 40 for n in (1, 2, 3)]


def test_a_fixed_pass_rate_is_unchanged_and_reports_no_trials() -> None:
    service = SandboxService(Scenario.from_dict({"campaigns": [{"name": "c"}]}))
    run = service._start(service.scenario.campaigns[0], {}, "{}")
    payload = run.payload(float("inf"), "", 1)
    assert payload["pass_rate"] == 1.0 and "trace_count" not in payload
