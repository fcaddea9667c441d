"""Issue 19 end to end: runs that vary, through `gate-runner evaluate`, `explain` and `validate`.

Each test judges saved runs (a verdict's `runs[].payload`, 50 attempts each) as a user would,
and asserts on the verdict: which rule decided, the attempts it counted, and the flaky test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import checked_verdict, run_cli, write_yaml

pytestmark = pytest.mark.slow  # gate-runner processes, about a second each on a loaded machine


def _policy(
    tmp_path: Path, statistics: dict[str, Any], *, gate: dict[str, Any] | None = None
) -> Path:
    return write_yaml(
        tmp_path / "sepurux.yml",
        {
            "version": 1,
            "gate": gate or {"repeat": 5},
            "enforcement": {"mode": "hard"},
            "statistics": statistics,
            "thresholds": {"min_pass_rate": 0.85},
            "campaigns": {"c": {}},
        },
    )


def _saved_runs(tmp_path: Path, successes: tuple[int, ...], trials: int = 50) -> Path:
    def payload(k: int) -> dict[str, Any]:
        return {
            "status": "done",
            "decision": "pass",
            "pass_rate": k / trials,
            "trace_count": trials,
            "unsafe_attempts": 0,
        }

    path = tmp_path / "saved.json"
    runs = [{"payload": payload(k)} for k in successes]
    path.write_text(json.dumps({"schema_version": 1, "campaigns": [{"key": "c", "runs": runs}]}))
    return path


def _evaluate(tmp_path: Path, saved: Path) -> tuple[Any, dict[str, Any]]:
    result = run_cli(["evaluate", "--payload", str(saved)], tmp_path)
    return result, checked_verdict(result)["campaigns"][0]


COUNTED = {"confidence": 0.95, "trials": "trace_count"}
# One bad run among four perfect ones: 238/250 pooled (Wilson 95 % [0.918, 0.971]) looks
# clear, but the runs' own spread (between-run SE 0.048) does not show the bar is met.
ONE_BAD_RUN = (50, 50, 38, 50, 50)


def test_runs_that_vary_are_not_passed_on_their_pooled_attempts(tmp_path: Path) -> None:
    _policy(tmp_path, COUNTED)
    result, campaign = _evaluate(tmp_path, _saved_runs(tmp_path, ONE_BAD_RUN))
    assert (campaign["outcome"], result.code) == ("inconclusive", 1), result.describe()
    aggregate = campaign["aggregate"]
    assert aggregate["rule"] == "run-rates-t"
    assert aggregate["interval"]["method"] == "run-rates-t"
    assert aggregate["interval"]["low"] < 0.85 < aggregate["interval"]["high"]
    assert aggregate["effective_attempts"] < 250  # the between-run variance shrank them
    assert "rule run-rates-t" in result.stdout


def test_icc_zero_keeps_the_independent_attempts_rule(tmp_path: Path) -> None:
    _policy(tmp_path, {**COUNTED, "icc": 0})
    result, campaign = _evaluate(tmp_path, _saved_runs(tmp_path, ONE_BAD_RUN))
    assert (campaign["outcome"], result.code) == ("pass", 0), result.describe()
    assert campaign["aggregate"]["rule"] == "pooled-wilson"
    assert campaign["aggregate"]["effective_attempts"] == 250
    assert campaign["aggregate"]["interval"]["method"] == "wilson"


def test_a_declared_icc_counts_effective_attempts(tmp_path: Path) -> None:
    _policy(tmp_path, {**COUNTED, "icc": 0.05})
    result, campaign = _evaluate(tmp_path, _saved_runs(tmp_path, (48, 49, 48, 49, 48)))
    aggregate = campaign["aggregate"]
    assert aggregate["rule"] == "effective-counts"
    # 5 runs of 50 at DE = 1 + 49 × 0.05 = 3.45
    assert aggregate["effective_attempts"] == pytest.approx(250 / 3.45, abs=0.01)
    assert "ρ 0.05 declared" in aggregate["interval"]["basis"]
    assert campaign["outcome"] == "pass", result.describe()


def test_identical_runs_never_give_a_zero_width_interval(tmp_path: Path) -> None:
    _policy(tmp_path, COUNTED, gate={"repeat": 3})
    _result, campaign = _evaluate(tmp_path, _saved_runs(tmp_path, (43, 43, 43)))
    interval = campaign["aggregate"]["interval"]
    # No spread between the runs: the binomial floor (Wilson on 129/150) is the interval.
    assert interval["high"] - interval["low"] > 0.1
    assert campaign["outcome"] == "inconclusive"


def test_flaky_means_the_runs_vary_more_than_chance(tmp_path: Path) -> None:
    _policy(tmp_path, COUNTED)
    result, campaign = _evaluate(tmp_path, _saved_runs(tmp_path, (48, 37, 46, 39, 45)))
    assert campaign["flaky"] is True
    tested = campaign["aggregate"]["variability"]
    assert tested["test"] == "chi-square homogeneity"
    assert tested["df"] == 4
    assert tested["p_value"] == pytest.approx(0.004806, abs=1e-6)  # χ² 14.95 on 4 df
    assert tested["icc"] == pytest.approx(0.0547, abs=1e-4)
    assert "vary more than chance allows" in campaign["spread"]
    assert "flaky" in result.stdout


def test_runs_on_both_sides_of_the_bar_are_not_flaky(tmp_path: Path) -> None:
    # 44, 41, 43, 42, 44 of 50: runs pass and fail on their own (the bar is 42.5), but they
    # agree within binomial chance.
    _policy(tmp_path, COUNTED)
    _result, campaign = _evaluate(tmp_path, _saved_runs(tmp_path, (44, 41, 43, 42, 44)))
    outcomes = {r["outcome"] for r in campaign["runs"]}
    assert outcomes == {"pass", "fail"}
    assert campaign["flaky"] is False
    assert campaign["aggregate"]["variability"]["p_value"] > 0.05
    assert campaign["spread"] is None


def test_without_trial_counts_flaky_is_not_tested(tmp_path: Path) -> None:
    _policy(tmp_path, {"confidence": 0.95})
    _result, campaign = _evaluate(tmp_path, _saved_runs(tmp_path, (50, 20, 50, 20, 50)))
    tested = campaign["aggregate"]["variability"]
    assert tested["test"] is None and tested["flaky"] is None
    assert "not tested: no trial counts" in tested["reason"]
    assert campaign["flaky"] is False


@pytest.mark.parametrize(
    ("icc", "rule"),
    [(None, "run-rates-t"), (0, "pooled-wilson-sprt"), (0.05, "effective-counts")],
)
def test_explain_names_the_rule(tmp_path: Path, icc: float | None, rule: str) -> None:
    statistics = dict(COUNTED) if icc is None else {**COUNTED, "icc": icc}
    _policy(tmp_path, statistics, gate={"max_runs": 5})
    result = run_cli(["explain", "--config", "sepurux.yml"], tmp_path)
    assert result.code == 0, result.describe()
    line = next(x for x in result.stdout.splitlines() if x.strip().startswith("rule = "))
    assert f'"{rule}:' in line
    if icc == 0:
        assert "attempts independent (icc 0)" in line
    if icc == 0.05:  # plain text a reader can read, not JSON escapes of − and ×
        assert "DE = 1 + (n - 1) * 0.05" in line and "\\u" not in line


@pytest.mark.parametrize("icc", [1, -0.1, "high"])
def test_validate_refuses_an_icc_outside_zero_one(tmp_path: Path, icc: object) -> None:
    _policy(tmp_path, {**COUNTED, "icc": icc})
    result = run_cli(["validate", "sepurux.yml"], tmp_path)
    assert result.code == 2, result.describe()
    assert re.search(r"^sepurux\.yml:\d+:\d+: statistics\.icc: ", result.stderr, re.M), (
        result.describe()
    )


def test_diff_says_declaring_an_icc_loosens_the_gate(tmp_path: Path) -> None:
    base = _policy(tmp_path, COUNTED)
    declared = write_yaml(
        tmp_path / "declared.yml",
        {
            "version": 1,
            "statistics": {**COUNTED, "icc": 0},
            "thresholds": {"min_pass_rate": 0.85},
            "campaigns": {"c": {}},
        },
    )
    result = run_cli(["diff", str(base), str(declared)], tmp_path, verdict=None)
    assert result.code == 1, result.describe()
    assert "loosens   statistics.icc: (none) -> 0" in result.stdout
