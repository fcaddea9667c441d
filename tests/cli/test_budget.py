"""Issue 21, a budget per gate: `gate-runner check` as a process against the seeded sandbox.

The sandbox counts the runs it was asked to create; every assertion is on that count, the
verdict's states and the bytes printed, never on speed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from gate_runner.sandbox import Sandbox, Scenario

from .conftest import TOKEN, checked_verdict, run_cli, write_yaml

# Every test here runs gate-runner processes (seconds each on a loaded machine): slow.
pytestmark = pytest.mark.slow

# Four agents close to the bar: with max_runs 8 each, the sequential rule would ask for
# up to 32 runs; a budget of 10 must stop it at 10.
NOISY = {"a": 0.86, "b": 0.84, "c": 0.85, "d": 0.87}
SCENARIO: dict[str, Any] = {
    "seed": 12,
    "campaigns": [
        {"name": k, "duration": 0.05, "metrics": {"pass_rate": {"true": p, "trials": 50}}}
        for k, p in NOISY.items()
    ],
}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh sandbox per test: its runs_created counts only that test's runs."""
    with Sandbox(Scenario.from_dict(SCENARIO), host="127.0.0.1", port=0, token=TOKEN) as box:
        yield box


def _policy(tmp_path: Path, budget: Mapping[str, Any], **gate: Any) -> Path:
    doc = {
        "version": 1,
        "gate": {"timeout": 60, "repeat": 2, "max_runs": 8, **gate, "budget": dict(budget)},
        "statistics": {"confidence": 0.95, "trials": "trace_count"},
        "enforcement": {"mode": "hard"},
        "thresholds": {"min_pass_rate": 0.85},
        "campaigns": {k: {} for k in NOISY},
    }
    return write_yaml(tmp_path / "sepurux.yml", doc)


def test_a_budget_of_ten_runs_never_starts_an_eleventh(sandbox: Sandbox, tmp_path: Path) -> None:
    _policy(tmp_path, {"runs": 10})
    result = run_cli(["check", "--api-url", sandbox.url], tmp_path)
    verdict = checked_verdict(result)
    assert sandbox.runs_created == 10, result.describe()
    assert verdict["budget"] == {"runs": 10, "trials": None, "cost_per_trial": None}
    assert verdict["spent"]["runs"] == 10
    assert sum(c["spent"]["runs"] for c in verdict["campaigns"]) == 10
    assert sum(len(c["runs"]) for c in verdict["campaigns"]) == 10
    capped = [c for c in verdict["campaigns"] if c["aggregate"]["stopped"] == "budget"]
    assert capped, result.describe()
    for campaign in capped:
        # Left undecided: inconclusive, judged by on_inconclusive (fail: blocking).
        assert campaign["outcome"] == "inconclusive"
        assert campaign["inconclusive_policy"] == "fail" and campaign["blocking"] is True
        check = next(c for c in campaign["checks"] if c["id"] == "threshold:min_pass_rate")
        assert check["status"] == "inconclusive" and "gate.budget" in check["message"]
    assert result.code == 1
    # Before the first run, check says what the gate can spend at worst.
    assert "budget: worst case 10 run(s) (at least 8; max_runs allow 32" in result.stderr


def test_on_inconclusive_warn_lets_a_budget_stopped_campaign_through(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    _policy(tmp_path, {"runs": 8}, on_inconclusive="warn")
    result = run_cli(["check", "--api-url", sandbox.url], tmp_path)
    verdict = checked_verdict(result)
    assert sandbox.runs_created == 8
    inconclusive = [c for c in verdict["campaigns"] if c["outcome"] == "inconclusive"]
    assert inconclusive and all(c["blocking"] is False for c in inconclusive)
    assert all(c["aggregate"]["stopped"] == "budget" for c in inconclusive)


def test_trials_and_money_are_counted_from_the_payloads(sandbox: Sandbox, tmp_path: Path) -> None:
    # 50 trials a run: a budget of 450 trials serves 9 runs.
    _policy(tmp_path, {"trials": 450, "cost_per_trial": 0.02})
    result = run_cli(["check", "--api-url", sandbox.url], tmp_path)
    verdict = checked_verdict(result)
    spent = verdict["spent"]
    assert spent["trials"] == 50 * sandbox.runs_created
    assert spent["cost"] == pytest.approx(spent["trials"] * 0.02)
    # Round 1 (8 runs, 400 trials) leaves 50: one more run of 50 fits, and no other.
    assert sandbox.runs_created == 9 and spent["trials"] == 450
    assert all(c["spent"]["trials"] == 50 * c["spent"]["runs"] for c in verdict["campaigns"])
    runs = sandbox.runs_created
    assert f"spent: {runs} runs, {50 * runs} of 450 trials, cost {spent['cost']:g}" in result.stdout


def test_a_plan_whose_minimum_exceeds_the_budget_is_refused_at_its_line(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    _policy(tmp_path, {"runs": 7})
    result = run_cli(["check", "--api-url", sandbox.url], tmp_path)
    assert result.code == 2, result.describe()
    assert sandbox.runs_created == 0
    line = next(n for n, text in enumerate(_lines(tmp_path), 1) if "runs: 7" in text)
    assert re.search(
        rf"sepurux\.yml:{line}:\d+: gate\.budget\.runs: 7 is below the 8 runs the campaigns' "
        r"repeat always starts \(a 2, b 2, c 2, d 2\)",
        result.stderr,
    ), result.describe()
    assert result.verdict["outcome"] == "error"  # the verdict file is written in every phase


def test_dry_run_prints_the_worst_case(sandbox: Sandbox, tmp_path: Path) -> None:
    _policy(tmp_path, {"runs": 12, "trials": 1000, "cost_per_trial": 0.5})
    result = run_cli(["check", "--api-url", sandbox.url, "--dry-run"], tmp_path)
    assert result.code == 0 and sandbox.runs_created == 0
    assert (
        "budget: worst case 12 run(s) (at least 8; max_runs allow 32, gate.budget.runs 12), "
        "at most 1000 trials (cost at most 500)"
    ) in result.stdout


def _lines(tmp_path: Path) -> list[str]:
    return (tmp_path / "sepurux.yml").read_text(encoding="utf-8").splitlines()


def test_the_run_the_budget_leaves_goes_where_it_most_likely_decides(tmp_path: Path) -> None:
    # "coin" sits on the bar (no run settles it); "near" is well above it. The budget
    # leaves one run past both campaigns' repeat: it goes to "near", though "coin" comes
    # first in the policy.
    scenario = {
        "seed": 12,
        "campaigns": [
            {"name": k, "duration": 0.05, "metrics": {"pass_rate": {"true": p, "trials": 50}}}
            for k, p in {"coin": 0.85, "near": 0.95}.items()
        ],
    }
    doc = {
        "version": 1,
        "gate": {"timeout": 60, "repeat": 2, "max_runs": 8, "budget": {"runs": 5}},
        "statistics": {"confidence": 0.95, "trials": "trace_count"},
        "enforcement": {"mode": "hard"},
        "thresholds": {"min_pass_rate": 0.85},
        "campaigns": {"coin": {}, "near": {}},
    }
    write_yaml(tmp_path / "sepurux.yml", doc)
    with Sandbox(Scenario.from_dict(scenario), host="127.0.0.1", port=0, token=TOKEN) as box:
        result = run_cli(["check", "--api-url", box.url], tmp_path)
        assert box.runs_created == 5
    spent = {c["key"]: c["spent"]["runs"] for c in checked_verdict(result)["campaigns"]}
    assert spent == {"coin": 2, "near": 3}, result.describe()
