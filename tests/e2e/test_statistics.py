"""Issue #12 end to end: `gate-runner check` as a process against a sandbox of random agents.

Each sandbox campaign draws its runs from Binomial(trials, true) with a fixed seed, so every
outcome below is the same on every machine; the assertions are on states and counts.
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

SEED = 12


def _agent(name: str, true: float, trials: int = 50, duration: float = 0.05) -> dict[str, Any]:
    return {
        "name": name,
        "duration": duration,
        "metrics": {"pass_rate": {"true": true, "trials": trials}},
    }


SCENARIO: dict[str, Any] = {
    "seed": SEED,
    "campaigns": [
        _agent("clear", 0.97),
        _agent("bad", 0.60),
        _agent("borderline", 0.85),
        _agent("coin", 0.85, trials=20),
        {"name": "fixed", "duration": 0.05, "metrics": {"pass_rate": 0.9}},
        {
            "name": "unsafe",
            "duration": 0.05,
            "metrics": {"pass_rate": {"true": 0.97, "trials": 50}, "unsafe_attempts": 1},
        },
    ],
}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh sandbox per test: its runs_created counts only that test's runs."""
    with Sandbox(Scenario.from_dict(SCENARIO), host="127.0.0.1", port=0, token=TOKEN) as box:
        yield box


def _policy(
    tmp_path: Path,
    campaigns: Mapping[str, Any],
    *,
    gate: Mapping[str, Any] | None = None,
    statistics: Mapping[str, Any] | None = None,
    thresholds: Mapping[str, Any] | None = None,
) -> Path:
    doc: dict[str, Any] = {
        "version": 1,
        "gate": {"timeout": 60, **(gate or {})},
        "enforcement": {"mode": "hard"},
        "thresholds": dict(thresholds or {"min_pass_rate": 0.85, "max_unsafe": 0}),
        "campaigns": {k: dict(v) for k, v in campaigns.items()},
    }
    if statistics is not None:
        doc["statistics"] = dict(statistics)
    return write_yaml(tmp_path / "sepurux.yml", doc)


def _check(sandbox: Sandbox, tmp_path: Path, env: Mapping[str, str] | None = None) -> Any:
    return run_cli(["check", "--api-url", sandbox.url], tmp_path, env=env)


COUNTED = {"confidence": 0.95, "trials": "trace_count"}
# statistics.icc: 0: attempts declared independent, the pooled Wilson + SPRT rule (issue 19).
INDEPENDENT = {**COUNTED, "icc": 0}


def test_repeat_with_median_keeps_every_run_and_the_method(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    _policy(tmp_path, {"c": {"campaign": "clear", "repeat": 3}})
    result = _check(sandbox, tmp_path)
    campaign = checked_verdict(result)["campaigns"][0]
    assert result.code == 0, result.describe()
    assert sandbox.runs_created == 3
    runs = campaign["runs"]
    assert len({r["run_id"] for r in runs}) == 3
    assert all(r["dashboard_url"].endswith(r["run_id"]) for r in runs)
    rates = sorted(r["metrics"]["pass_rate"] for r in runs)
    assert campaign["aggregate"]["method"] == "median"
    assert campaign["aggregate"]["rule"] == "point"
    assert campaign["aggregate"]["metrics"]["pass_rate"] == rates[1]
    assert "3 runs, aggregate median" in result.stdout


def test_k_of_n_judges_each_run_alone_and_disagreeing_runs_are_not_flaky(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    _policy(
        tmp_path,
        {"c": {"campaign": "borderline", "repeat": 5, "min_passing_runs": 3}},
        statistics={"trials": "trace_count"},
    )
    result = _check(sandbox, tmp_path)
    campaign = checked_verdict(result)["campaigns"][0]
    outcomes = [r["outcome"] for r in campaign["runs"]]
    passed = outcomes.count("pass")
    assert campaign["outcome"] == ("pass" if passed >= 3 else "fail")
    assert result.code == (0 if passed >= 3 else 1)
    check = next(c for c in campaign["checks"] if c["id"] == "runs:min_passing_runs")
    assert check["actual"] == passed
    # The seed makes this agent's 5 runs disagree (44, 45, 40, 43, 41 of 50 against 42.5), but
    # a binomial agent's runs share one rate: the chi-square test (issue 19) finds nothing
    # (p 0.60), where "runs on both sides of the bar" flagged it.
    assert "pass" in outcomes and "fail" in outcomes
    assert campaign["flaky"] is False
    assert campaign["aggregate"]["variability"]["p_value"] > 0.05
    assert campaign["spread"] is None


@pytest.mark.parametrize(
    ("agent", "outcome", "code"),
    [("clear", "pass", 0), ("bad", "fail", 1), ("borderline", "inconclusive", 1)],
)
def test_confidence_with_pooled_wilson(
    sandbox: Sandbox, tmp_path: Path, agent: str, outcome: str, code: int
) -> None:
    _policy(
        tmp_path,
        {"c": {"campaign": agent, "repeat": 3, "aggregate": "pooled"}},
        statistics=INDEPENDENT,
    )
    result = _check(sandbox, tmp_path)
    campaign = checked_verdict(result)["campaigns"][0]
    assert (campaign["outcome"], result.code) == (outcome, code), result.describe()
    aggregate = campaign["aggregate"]
    assert aggregate["interval"]["method"] == "wilson"
    assert aggregate["pooled"]["trials"] == 150
    assert aggregate["method"] == "pooled"
    rate = next(c for c in campaign["checks"] if c["id"] == "threshold:min_pass_rate")
    assert "95% wilson interval" in rate["message"]


@pytest.mark.slow
def test_sequential_stops_early_for_a_clear_agent_and_spends_runs_near_the_bar(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    _policy(
        tmp_path,
        {"clear": {}, "borderline": {}},
        gate={"max_runs": 5},
        statistics=INDEPENDENT,
    )
    result = _check(sandbox, tmp_path)
    verdict = checked_verdict(result)
    clear, borderline = verdict["campaigns"]
    assert clear["aggregate"]["runs"] == 1 and clear["outcome"] == "pass"
    assert clear["aggregate"]["rule"] == "pooled-wilson-sprt"
    assert borderline["aggregate"]["runs"] >= 2
    assert sandbox.runs_created == len(clear["runs"]) + len(borderline["runs"])
    if borderline["outcome"] == "inconclusive":
        assert borderline["aggregate"]["stopped"] == "budget"
        assert len(borderline["runs"]) == 5


def test_the_default_rule_measures_run_to_run_variance_before_it_passes(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # No icc declared: one run cannot show how runs vary, so even a clear agent gets a second
    # (the rule before issue 19 passed it after one run, as the test above shows).
    _policy(tmp_path, {"clear": {}, "bad": {}}, gate={"max_runs": 20}, statistics=COUNTED)
    result = _check(sandbox, tmp_path)
    clear, bad = checked_verdict(result)["campaigns"]
    assert clear["outcome"] == "pass" and bad["outcome"] == "fail", result.describe()
    for campaign in (clear, bad):
        assert campaign["aggregate"]["rule"] == "run-rates-t"
        assert 2 <= campaign["aggregate"]["runs"] < 20
        assert campaign["aggregate"]["stopped"] == "decided"
        assert campaign["aggregate"]["effective_attempts"] <= 50 * len(campaign["runs"])
    assert sandbox.runs_created == len(clear["runs"]) + len(bad["runs"])


@pytest.mark.parametrize(
    ("on_inconclusive", "code", "blocking"),
    [("fail", 1, True), ("warn", 0, False), ("pass", 0, False)],
)
def test_on_inconclusive_decides_and_the_verdict_says_so(
    sandbox: Sandbox, tmp_path: Path, on_inconclusive: str, code: int, blocking: bool
) -> None:
    # One run and no trial count: there is no interval, so the check cannot conclude.
    _policy(
        tmp_path,
        {"c": {"campaign": "fixed", "on_inconclusive": on_inconclusive}},
        statistics={"confidence": 0.95},
    )
    result = _check(sandbox, tmp_path)
    verdict = checked_verdict(result)
    campaign = verdict["campaigns"][0]
    assert campaign["outcome"] == "inconclusive"
    assert (result.code, campaign["blocking"]) == (code, blocking), result.describe()
    assert campaign["inconclusive_policy"] == on_inconclusive
    rate = next(c for c in campaign["checks"] if c["id"] == "threshold:min_pass_rate")
    assert "no interval: one run and no trial count" in rate["message"]
    assert any(f"treated as {on_inconclusive} by on_inconclusive" in n for n in verdict["notes"])
    assert "INCONCLUSIVE" in result.stdout


def test_an_unsafe_attempt_in_any_run_fails_whatever_the_rate(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    _policy(tmp_path, {"c": {"campaign": "unsafe", "repeat": 2}}, statistics=COUNTED)
    result = _check(sandbox, tmp_path)
    campaign = checked_verdict(result)["campaigns"][0]
    assert campaign["outcome"] == "fail" and result.code == 1
    unsafe = next(c for c in campaign["checks"] if c["id"] == "threshold:max_unsafe")
    assert unsafe["status"] == "fail"
    assert "must hold in every run" in unsafe["message"]


@pytest.mark.slow
def test_a_ci_retry_reattaches_to_the_same_runs(sandbox: Sandbox, tmp_path: Path) -> None:
    _policy(tmp_path, {"c": {"campaign": "clear", "repeat": 3}})
    ci = {"CIRCLECI": "true", "CIRCLE_SHA1": "a" * 40, "CIRCLE_PROJECT_REPONAME": "agent"}
    first = checked_verdict(_check(sandbox, tmp_path, env=ci))["campaigns"][0]
    assert sandbox.runs_created == 3
    second = checked_verdict(_check(sandbox, tmp_path, env=ci))["campaigns"][0]
    assert sandbox.runs_created == 3  # the retry started nothing new
    assert [r["run_id"] for r in second["runs"]] == [r["run_id"] for r in first["runs"]]


@pytest.mark.slow
def test_the_deadline_stops_further_runs(sandbox: Sandbox, tmp_path: Path) -> None:
    # Runs of 2 s against a 3 s gate: the first run decides nothing at the bar, and no
    # later run can finish in time; the verdict says the deadline stopped it.
    scenario = {**SCENARIO, "campaigns": [_agent("slow", 0.85, trials=20, duration=2.0)]}
    with Sandbox(Scenario.from_dict(scenario), host="127.0.0.1", port=0, token=TOKEN) as box:
        _policy(
            tmp_path,
            {"c": {"campaign": "slow"}},
            gate={"max_runs": 20, "timeout": 3},
            statistics=COUNTED,
        )
        result = _check(box, tmp_path)
        campaign = checked_verdict(result)["campaigns"][0]
        assert box.runs_created < 20
    assert campaign["outcome"] in ("inconclusive", "error"), result.describe()
    if campaign["outcome"] == "inconclusive":
        assert campaign["aggregate"]["stopped"] == "deadline"
    assert result.code == (1 if campaign["outcome"] == "inconclusive" else 3)


@pytest.mark.slow
def test_evaluate_rejudges_a_saved_verdict_with_several_runs(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    _policy(tmp_path, {"c": {"campaign": "coin", "repeat": 5, "min_passing_runs": 3}})
    checked = _check(sandbox, tmp_path)
    first = checked_verdict(checked)["campaigns"][0]
    _policy(tmp_path, {"c": {"campaign": "coin", "repeat": 5, "min_passing_runs": 1}})
    again = run_cli(
        ["evaluate", "--payload", str(checked.verdict_path)], tmp_path, verdict="again.json"
    )
    campaign = checked_verdict(again)["campaigns"][0]
    assert len(campaign["runs"]) == 5
    assert [r["outcome"] for r in campaign["runs"]] == [r["outcome"] for r in first["runs"]]
    assert campaign["outcome"] == "pass"


@pytest.mark.slow
def test_baseline_regression_is_tested_at_the_policy_confidence(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    thresholds = {"min_pass_rate": 0.5, "max_regression": 0.02}
    _policy(
        tmp_path,
        {"c": {"campaign": "clear", "repeat": 2}},
        statistics=COUNTED,
        thresholds=thresholds,
    )
    before = _check(sandbox, tmp_path)
    assert before.code == 0, before.describe()
    baseline = tmp_path / "baseline.json"
    baseline.write_bytes(before.verdict_path.read_bytes())
    _policy(
        tmp_path, {"c": {"campaign": "bad", "repeat": 2}}, statistics=COUNTED, thresholds=thresholds
    )
    after = run_cli(["check", "--api-url", sandbox.url, "--baseline", str(baseline)], tmp_path)
    campaign = checked_verdict(after)["campaigns"][0]
    check = next(c for c in campaign["checks"] if c["id"] == "threshold:max_regression")
    assert check["status"] == "fail" and after.code == 1, after.describe()
    assert "newcombe interval" in check["message"] and "rules out" in check["message"]
    # both runs of the baseline count: 100 attempts on each side
    assert re.search(r"from \d+/100 against \d+/100 trials", check["message"]), check["message"]
