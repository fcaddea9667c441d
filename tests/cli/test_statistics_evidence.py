"""Issue 19 (no pass without evidence, regression, bars that cannot pass) and issue 17's
statistics messages, each through `gate-runner check --sandbox` as a process (a family of
payloads the same process path judges runs in process, one of them as a process too).

The sandbox's runs are seeded, so every outcome here is the same on every machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from support.in_process import check_in_process

from gate_runner.check_plan import CheckRequest

from .conftest import TOKEN, Result, assert_clean_output, checked_verdict, run_cli, write_yaml

# Each test runs one or more gate-runner processes with a sandbox: seconds on a loaded machine.
pytestmark = pytest.mark.slow

COUNTED = {"confidence": 0.95, "trials": "trace_count"}


def _gate(
    tmp_path: Path,
    scenario: list[dict[str, Any]],
    campaigns: Mapping[str, Any],
    *,
    gate: Mapping[str, Any] | None = None,
    statistics: Mapping[str, Any] | None = None,
    thresholds: Mapping[str, Any] | None = None,
    mode: str = "hard",
    seed: int = 7,
    args: tuple[str, ...] = (),
    in_process: bool = False,
) -> Result:
    doc: dict[str, Any] = {
        "version": 1,
        "gate": {"timeout": 60, **(gate or {})},
        "enforcement": {"mode": mode},
    }
    if statistics is not None:
        doc["statistics"] = dict(statistics)
    doc["thresholds"] = dict(thresholds or {"min_pass_rate": 0.85})
    doc["campaigns"] = {k: dict(v) for k, v in campaigns.items()}
    write_yaml(tmp_path / "sepurux.yml", doc)
    write_yaml(tmp_path / "scenario.yml", {"seed": seed, "campaigns": scenario})
    if not in_process:
        return run_cli(["check", "--sandbox", "scenario.yml", *args], tmp_path)
    assert not args, "flags are the process's: run it as one"
    request = CheckRequest(configs=(tmp_path / "sepurux.yml",), sandbox=tmp_path / "scenario.yml")
    verdict = tmp_path / "verdict.json"
    done = check_in_process(request, tmp_path, env={"SEPURUX_API_KEY": TOKEN}, verdict=verdict)
    result = Result(done.args, done.code, done.stdout, done.stderr, verdict, tmp_path)
    assert_clean_output(result)
    return result


def _fixed(name: str, rate: float, **extra: Any) -> dict[str, Any]:
    return {"name": name, "duration": 0.05, "metrics": {"pass_rate": rate}, "extra": extra}


def _check(result: Result, check_id: str, campaign: int = 0) -> dict[str, Any]:
    found = checked_verdict(result)["campaigns"][campaign]["checks"]
    return next(c for c in found if c["id"] == check_id)


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


# --- 1. no pass without evidence -----------------------------------------------------------


# What the gate makes of a count that is none: the same process path for each, so each runs
# in process (support.in_process) and the first one also as a process.
NO_COUNTS: list[tuple[dict[str, Any], str, str]] = [
    ({"trace_count": 0}, "trace_count", "gave 0: a pass rate needs at least one attempt"),
    ({"trace_count": -5}, "trace_count", "gave -5"),
    ({"trace_count": "50"}, "trace_count", "selected a str, not a count"),
    ({"trace_count": True}, "trace_count", "selected a bool, not a count"),
    ({"trace_count": 2.5}, "trace_count", "gave 2.5: a count of attempts is a whole number"),
    ({}, "attempts", "selected nothing in the run's payload"),
    ({"trace_count": 10**400}, "trace_count", "a 401-digit number"),
    ({"trace_count": 10**7 + 1}, "trace_count", "more than the 10,000,000 attempts"),
]


def _no_count(
    tmp_path: Path, extra: dict[str, Any], trials: str, says: str, *, in_process: bool
) -> None:
    # A rate of 1.0 on identical runs: before, a zero-width t interval [1, 1] passed it.
    result = _gate(
        tmp_path,
        [_fixed("agent", 1.0, **extra)],
        {"c": {"campaign": "agent", "repeat": 2}},
        statistics={"confidence": 0.95, "trials": trials},
        in_process=in_process,
    )
    campaign = checked_verdict(result)["campaigns"][0]
    assert (campaign["outcome"], result.code) == ("error", 3), result.describe()
    rate = _check(result, "threshold:min_pass_rate")
    line = _line_of(tmp_path / "sepurux.yml", "trials:")
    assert rate["status"] == "error"
    assert f"sepurux.yml:{line}:" in rate["message"] and says in rate["message"], rate["message"]
    assert rate["location"]["line"] == line
    assert "no decision without it" in result.stdout


@pytest.mark.parametrize(("extra", "trials", "says"), NO_COUNTS)
def test_a_count_that_is_no_count_is_an_error_at_the_trials_line(
    tmp_path: Path, extra: dict[str, Any], trials: str, says: str
) -> None:
    _no_count(tmp_path, extra, trials, says, in_process=True)


def test_a_count_that_is_no_count_is_an_error_as_a_process(tmp_path: Path) -> None:
    _no_count(tmp_path, *NO_COUNTS[0], in_process=False)


def test_a_rate_that_is_no_whole_number_of_the_count_is_an_error(tmp_path: Path) -> None:
    # 0.84 of 3 attempts is 2.52 successes: before, it was rounded to 3/3 and passed.
    result = _gate(
        tmp_path,
        [_fixed("agent", 0.84, trace_count=3)],
        {"c": {"campaign": "agent", "repeat": 2}},
        statistics=COUNTED,
        thresholds={"min_pass_rate": 0.5},
    )
    rate = _check(result, "threshold:min_pass_rate")
    assert result.code == 3 and rate["status"] == "error", result.describe()
    assert "pass_rate 0.84 is not a whole number of successes of 3 attempts" in rate["message"]


def test_a_bad_count_in_observe_mode_reports_and_exits_0(tmp_path: Path) -> None:
    result = _gate(
        tmp_path,
        [_fixed("agent", 1.0, trace_count=0)],
        {"c": {"campaign": "agent", "repeat": 2}},
        statistics=COUNTED,
        mode="observe",
    )
    assert result.code == 0, result.describe()
    assert checked_verdict(result)["campaigns"][0]["outcome"] == "error"


# --- issue 17: messages that say what happened -----------------------------------------------


def test_pooled_pools_the_rate_and_takes_the_median_of_the_rest(tmp_path: Path) -> None:
    # Before: `pooled` on min_reliability_score was an error (exit 3) asking for
    # statistics.trials although it was set, while validate said ok.
    agent = {
        "name": "agent",
        "duration": 0.05,
        "reliability_in_run": True,
        "metrics": {"pass_rate": {"true": 0.97, "trials": 50}, "reliability_score": 90},
    }
    thresholds = {"min_pass_rate": 0.8, "min_reliability_score": 70}
    doc_campaigns = {"c": {"campaign": "agent", "repeat": 3, "aggregate": "pooled"}}
    result = _gate(tmp_path, [agent], doc_campaigns, statistics=COUNTED, thresholds=thresholds)
    assert result.code == 0, result.describe()
    score = _check(result, "threshold:min_reliability_score")
    assert score["status"] == "pass"
    assert "median" in score["message"] and "pooled applies to pass_rate only" in score["message"]
    assert checked_verdict(result)["campaigns"][0]["aggregate"]["pooled"]["trials"] == 150
    assert run_cli(["validate"], tmp_path, verdict=None).code == 0


def test_k_of_n_on_a_campaign_is_k_of_exactly_repeat_runs(tmp_path: Path) -> None:
    # Seed 3 draws 0.82, 0.82, 0.94, 0.86, ... for this agent: 1 of the 3 runs passes.
    # Before, the inherited max_runs 5 made it "2 of at most 5": a 4th run passed it.
    agent = {
        "name": "coin",
        "duration": 0.05,
        "metrics": {"pass_rate": {"true": 0.85, "trials": 50}},
    }
    result = _gate(
        tmp_path,
        [agent],
        {"c": {"campaign": "coin", "repeat": 3, "min_passing_runs": 2}},
        gate={"max_runs": 5},
        statistics=COUNTED,
        seed=3,
    )
    campaign = checked_verdict(result)["campaigns"][0]
    # The 3 runs start together: which one the sandbox created n-th is not the verdict's order.
    assert sorted(r["metrics"]["pass_rate"] for r in campaign["runs"]) == [0.82, 0.82, 0.94]
    assert (campaign["outcome"], result.code) == ("fail", 1), result.describe()
    k = _check(result, "runs:min_passing_runs")
    assert "1 of 3 runs passed on their own; min_passing_runs 2 of 3" in k["message"]
    assert run_cli(["validate"], tmp_path, verdict=None).code == 0


def test_an_inconclusive_check_says_what_to_do(tmp_path: Path) -> None:
    result = _gate(
        tmp_path,
        [_fixed("near", 0.86, trace_count=50)],
        {"c": {"campaign": "near"}},
        gate={"max_runs": 2},
        statistics=COUNTED,
    )
    campaign = checked_verdict(result)["campaigns"][0]
    assert (campaign["outcome"], result.code) == ("inconclusive", 1), result.describe()
    rate = _check(result, "threshold:min_pass_rate")
    advice = (
        "to decide it: raise max_runs (now 2), add attempts per run, "
        "or accept it with on_inconclusive: warn"
    )
    assert advice in rate["message"]
    assert "raise max_runs (now 2)" in result.stdout


# --- 2. regression tests that can pass; 3. bars that can never pass --------------------------


def test_an_unchanged_agent_passes_max_regression_with_the_interval_shown(tmp_path: Path) -> None:
    # Before, 0.95 against 0.95 at 100 attempts a side could never show "at most 0.02":
    # inconclusive, blocked. Now only a drop shown beyond 0.02 blocks.
    agent = {
        "name": "agent",
        "duration": 0.05,
        "metrics": {"pass_rate": {"true": 0.95, "trials": 50}},
    }
    thresholds = {"min_pass_rate": 0.5, "max_regression": 0.02}
    campaigns = {"c": {"campaign": "agent", "repeat": 2}}
    before = _gate(tmp_path, [agent], campaigns, statistics=COUNTED, thresholds=thresholds)
    assert before.code == 0, before.describe()
    baseline = tmp_path / "baseline.json"
    baseline.write_bytes(before.verdict_path.read_bytes())
    after = _gate(
        tmp_path,
        [agent],
        campaigns,
        statistics=COUNTED,
        thresholds=thresholds,
        seed=8,
        args=("--baseline", str(baseline)),
    )
    check = _check(after, "threshold:max_regression")
    assert (check["status"], after.code) == ("pass", 0), after.describe()
    assert "newcombe interval" in check["message"]
    assert "does not rule out a regression of at most 0.02" in check["message"]


def test_validate_warns_at_the_line_of_a_bar_that_can_never_pass(tmp_path: Path) -> None:
    doc = {
        "version": 1,
        "statistics": {"confidence": 0.95},
        "thresholds": {"min_pass_rate": 0.85, "max_regression": 0.02},
        "campaigns": {"a": {}, "b": {"thresholds": {"min_pass_rate": 1.0}}},
    }
    path = write_yaml(tmp_path / "sepurux.yml", doc)
    result = run_cli(["validate"], tmp_path, verdict=None)
    assert result.code == 0 and "ok:" in result.stdout, result.describe()
    never = _line_of(path, "min_pass_rate: 1.0")
    assert f"sepurux.yml:{never}:" in result.stderr
    assert "warning: campaigns.b.thresholds.min_pass_rate: 1 with statistics.confidence" in (
        result.stderr
    )
    assert "can never pass" in result.stderr
    margin = _line_of(path, "max_regression")
    assert f"sepurux.yml:{margin}:" in result.stderr
    assert "about 5,004 attempts on each side" in result.stderr


# --- 5. the sandbox simulates runs that vary ---------------------------------------------------


def test_the_sandbox_draws_each_run_s_rate_from_the_beta(tmp_path: Path) -> None:
    from gate_runner.sandbox.scenario import campaign_uuid
    from gate_runner.statistics.simulation import draw_successes, run_rng

    rate = {"true": 0.8, "trials": 50, "icc": 0.1}
    agent = {"name": "varying", "duration": 0.05, "metrics": {"pass_rate": rate}}
    result = _gate(
        tmp_path,
        [agent],
        {"c": {"campaign": "varying", "repeat": 4}},
        statistics=COUNTED,
        seed=11,
    )
    campaign = checked_verdict(result)["campaigns"][0]
    drawn = [r["metrics"]["pass_rate"] for r in campaign["runs"]]
    rng = [run_rng(11, campaign_uuid("varying"), n) for n in range(1, 5)]
    # The 4 runs start together: which one the sandbox created n-th is not the verdict's order.
    expected = [draw_successes(g, 50, 0.8, 0.1) / 50 for g in rng]
    assert sorted(drawn) == sorted(expected), result.describe()
    assert max(drawn) - min(drawn) > 0.2  # icc 0.1 spreads them: 0.66 to 0.92 at this seed
    assert [r["metrics"]["trials"] for r in campaign["runs"]] == [50] * 4


# --- 4. explain says what a policy costs and promises --------------------------------------------


def test_explain_prints_each_campaign_s_simulated_outlook(tmp_path: Path) -> None:
    import json

    from gate_runner.config import load_policy
    from gate_runner.config.outlook import GATES, SEED
    from gate_runner.statistics import Bar
    from gate_runner.statistics.simulation import simulate

    doc = {
        "version": 1,
        "gate": {"max_runs": 5},
        "statistics": {"confidence": 0.95, "trials": "trace_count"},
        "thresholds": {"min_pass_rate": 0.85},
        "campaigns": {"a": {}, "b": {}, "never": {"thresholds": {"min_pass_rate": 1.0}}},
    }
    path = write_yaml(tmp_path / "sepurux.yml", doc)
    text = run_cli(["explain"], tmp_path, verdict=None)
    assert text.code == 0, text.describe()
    assert text.stdout.count("outlook (simulated by this rule: 50 attempts a run") == 2
    assert "icc 0.05 (runs that vary; declare statistics.icc to change it): P(pass)" in (
        text.stdout
    )
    done = run_cli(["explain", "--format", "json", "--attempts", "20"], tmp_path, verdict=None)
    campaigns = {c["key"]: c for c in json.loads(done.stdout)["campaigns"]}
    assert campaigns["never"]["outlook"] is None  # a bar of 1 is no estimate: validate warns
    outlook = campaigns["a"]["outlook"]
    assert outlook == campaigns["b"]["outlook"] and outlook["attempts"] == 20
    plan = load_policy(path).campaigns[0].runs
    bar = Bar("min_pass_rate", "pass_rate", 0.85, "min")
    for row, icc in zip(outlook["rows"], (0.0, 0.05), strict=True):
        assert row["rates"] == [0.8, 0.85, 0.9] and row["icc"] == icc
        assert row["p_pass"] == sorted(row["p_pass"])  # a better agent passes more often
        (again,) = simulate(plan, (bar,), rate=0.9, icc=icc, trials=20, gates=GATES, seed=SEED)
        assert row["p_pass"][2] == round(again.passes, 3)
        assert row["mean_runs"][2] == round(again.mean_runs, 2)
        assert all(1.0 <= m <= 5.0 for m in row["mean_runs"])


def test_a_baseline_run_without_a_valid_count_is_no_evidence_either(tmp_path: Path) -> None:
    # Before, the baseline's refused count fell back silently to a Welch t interval.
    thresholds = {"min_pass_rate": 0.5, "max_regression": 0.02}
    campaigns = {"c": {"campaign": "agent", "repeat": 2}}
    old = [_fixed("agent", 0.9, trace_count=0)]
    before = _gate(tmp_path, old, campaigns, statistics={"confidence": 0.95}, thresholds=thresholds)
    assert before.code == 0, before.describe()
    baseline = tmp_path / "baseline.json"
    baseline.write_bytes(before.verdict_path.read_bytes())
    after = _gate(
        tmp_path,
        [_fixed("agent", 0.9, trace_count=50)],
        campaigns,
        statistics=COUNTED,
        thresholds=thresholds,
        args=("--baseline", str(baseline)),
    )
    check = _check(after, "threshold:max_regression")
    assert (check["status"], after.code) == ("error", 3), after.describe()
    assert check["message"].startswith("baseline run 1 of 2: statistics.trials `trace_count`")


def test_the_sandbox_draws_runs_of_thousands_of_attempts(tmp_path: Path) -> None:
    # Before, Binomial(5000, 0.9) overflowed (comb(5000, k) as a float): no run, exit 3.
    agent = {
        "name": "big",
        "duration": 0.05,
        "metrics": {"pass_rate": {"true": 0.9, "trials": 5000}},
    }
    # icc 0: one run of 5,000 independent attempts is evidence enough (the default rule would
    # assume run-to-run variance for a lone run and call it inconclusive; issue 19).
    statistics = {**COUNTED, "icc": 0}
    result = _gate(tmp_path, [agent], {"c": {"campaign": "big"}}, statistics=statistics)
    campaign = checked_verdict(result)["campaigns"][0]
    assert (campaign["outcome"], result.code) == ("pass", 0), result.describe()
    assert campaign["runs"][0]["metrics"]["trials"] == 5000
    assert 0.88 <= campaign["runs"][0]["metrics"]["pass_rate"] <= 0.92  # 0.9 +- 5 s.e.
