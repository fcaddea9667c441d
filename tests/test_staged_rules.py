"""Rules staged one by one (issue 20), as a platform team ships them: v1 is in force at hard;
v2 extends it and stages only its new or tightened rules. Process tests against the sandbox,
judged `--as-of` each date of the stage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import clean_env, run_gate, validate_verdict

# gate-runner processes, about a second each on a loaded machine.
pytestmark = pytest.mark.slow

V1 = """version: 1
enforcement: {mode: hard}
thresholds: {min_pass_rate: 0.8, max_unsafe: 0}
campaigns:
  core: {}
"""
# v2: a new assertion and a tighter min_pass_rate, each staged observe -> soft -> hard.
V2 = """version: 1
extends: [v1.yml]
thresholds:
  min_pass_rate:
    value: 0.9
    enforcement:
      schedule:
        - {from: 2026-12-01, mode: observe}
        - {from: 2026-12-10, mode: soft}
        - {from: 2026-12-20, mode: hard}
assertions:
  - name: no-failures
    expr: "failures == `0`"
    enforcement:
      schedule:
        - {from: 2026-12-01, mode: observe}
        - {from: 2026-12-10, mode: soft}
        - {from: 2026-12-20, mode: hard}
"""
# The rollout docs/governance.md used to show: v2 on a whole-policy schedule.
WHOLE = """version: 1
enforcement:
  mode: hard
  schedule:
    - {from: 2026-12-01, mode: observe}
    - {from: 2026-12-20, mode: hard}
thresholds: {min_pass_rate: 0.9, max_unsafe: 0}
assertions:
  - {name: no-failures, expr: "failures == `0`"}
campaigns:
  core: {}
"""


def _scenario(pass_rate: float, unsafe: int = 0, failures: int = 0) -> str:
    return f"""token: sandbox-token
campaigns:
  - name: core
    duration: 0
    metrics: {{pass_rate: {pass_rate}, unsafe_attempts: {unsafe}, failures: {failures},
               reliability_score: 90}}
"""


def _gate(work: Path, policy: str, on: str, **metrics: Any) -> tuple[int, dict[str, Any]]:
    (work / "scenario.yml").write_text(_scenario(**metrics), encoding="utf-8")
    done = run_gate(
        ["check", "--config", policy, "--sandbox", "scenario.yml", "--as-of", on],
        cwd=work,
        env=clean_env(token=None),
    )
    assert "Traceback" not in done.stderr, done.describe()
    verdict = json.loads((work / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    validate_verdict(verdict)
    return done.code, verdict


def _checks(verdict: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in verdict["campaigns"][0]["checks"]}


@pytest.fixture
def work(tmp_path: Path) -> Path:
    for name, text in (("v1.yml", V1), ("v2.yml", V2), ("whole.yml", WHOLE)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_new_rule_goes_observe_soft_hard_by_its_own_dates(work: Path) -> None:
    # The agent meets every v1 bar and v2's tighter pass rate, and misses only the new rule.
    stages = {"2026-12-05": ("observe", 0), "2026-12-12": ("soft", 0), "2026-12-25": ("hard", 1)}
    for on, (mode, code) in stages.items():
        exit_code, verdict = _gate(work, "v2.yml", on, pass_rate=0.95, failures=3)
        assert exit_code == code, (on, verdict["summary"])
        rule = _checks(verdict)["assertion:no-failures"]
        assert (rule["status"], rule["mode"]) == ("fail", mode), on
        line = {"observe": 16, "soft": 17, "hard": 18}[mode]
        assert rule["mode_from"] == f"v2.yml:{line}:11 rule schedule"
        campaign = verdict["campaigns"][0]
        assert campaign["enforcement"]["mode"] == mode
        assert campaign["blocking"] is (mode == "hard")
        # v1's rules keep the mode v1 gave them.
        assert _checks(verdict)["threshold:max_unsafe"]["mode"] == "hard"
        assert _checks(verdict)["threshold:max_unsafe"]["mode_from"] == (
            "v1.yml:2:21 enforcement.mode"
        )
    assert (
        "REVIEW REQUIRED"
        in _gate(work, "v2.yml", "2026-12-12", pass_rate=0.95, failures=3)[1]["summary"]
    )


def test_v1_hard_bars_stay_hard_while_v2_new_rules_are_observed(work: Path) -> None:
    # The defect: the documented whole-policy rollout dropped v1's hard bars to observe.
    code, verdict = _gate(work, "whole.yml", "2026-12-05", pass_rate=0.95, unsafe=2, failures=3)
    assert (code, verdict["blocking"]) == (0, False)  # what the old rollout did: v1's bar lost
    code, verdict = _gate(work, "v2.yml", "2026-12-05", pass_rate=0.95, unsafe=2, failures=3)
    assert (code, verdict["blocking"]) == (1, True)
    checks = _checks(verdict)
    assert (checks["threshold:max_unsafe"]["status"], checks["threshold:max_unsafe"]["mode"]) == (
        "fail",
        "hard",
    )
    assert (checks["assertion:no-failures"]["status"], checks["assertion:no-failures"]["mode"]) == (
        "fail",
        "observe",
    )
    assert verdict["campaigns"][0]["enforcement"]["mode"] == "hard"


def test_a_tightened_threshold_is_judged_by_both_bars(work: Path) -> None:
    # 0.85: v1's 0.8 (hard) holds, v2's 0.9 is only observed: reported, nothing blocks.
    code, verdict = _gate(work, "v2.yml", "2026-12-05", pass_rate=0.85)
    check = _checks(verdict)["threshold:min_pass_rate"]
    assert code == 0
    assert (check["status"], check["mode"], check["expected"]) == ("fail", "observe", ">= 0.9")
    assert [(b["expected"], b["status"], b["mode"]) for b in check["bars"]] == [
        (">= 0.9", "fail", "observe"),
        (">= 0.8", "pass", "hard"),
    ]
    # The service was asked for the bar in force at the campaign's mode (0.8), not 0.9.
    assert _checks(verdict)["decision"]["status"] == "pass"
    assert verdict["campaigns"][0]["enforcement"]["source"] == "rule"
    # 0.75: below v1's bar, which still judges at hard while v2's is observed: it blocks.
    code, verdict = _gate(work, "v2.yml", "2026-12-05", pass_rate=0.75)
    check = _checks(verdict)["threshold:min_pass_rate"]
    assert code == 1
    assert (check["status"], check["mode"], check["expected"]) == ("fail", "hard", ">= 0.8")
    assert check["mode_from"] == "v1.yml:2:21 enforcement.mode"
    assert check["location"]["path"] == "v1.yml"
    # Once the stage reaches hard, the new bar judges at full strength.
    code, verdict = _gate(work, "v2.yml", "2026-12-25", pass_rate=0.85)
    check = _checks(verdict)["threshold:min_pass_rate"]
    assert code == 1
    assert (check["status"], check["mode"], check["expected"]) == ("fail", "hard", ">= 0.9")
    assert "bars" not in check  # v1's looser bar at the same mode can no longer decide


def test_a_rule_mode_and_the_cli_override(work: Path) -> None:
    # --enforcement is the whole gate's: every rule judges at it, and says so.
    (work / "scenario.yml").write_text(_scenario(0.95, failures=3), encoding="utf-8")
    done = run_gate(
        ["check", "--config", "v2.yml", "--sandbox", "scenario.yml", "--as-of", "2026-12-05",
         "--enforcement", "hard"],
        cwd=work, env=clean_env(token=None),
    )  # fmt: skip
    assert done.code == 1, done.describe()
    verdict = json.loads((work / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    rule = _checks(verdict)["assertion:no-failures"]
    assert (rule["mode"], rule["mode_from"]) == ("hard", "--enforcement")
    # The text report says at which mode a staged rule judged, and why.
    done = run_gate(
        ["check", "--config", "v2.yml", "--sandbox", "scenario.yml", "--as-of", "2026-12-05"],
        cwd=work, env=clean_env(token=None),
    )  # fmt: skip
    assert done.code == 0, done.describe()
    assert (
        "core: mode observe (rule: assertion:no-failures judged at observe "
        "(v2.yml:16:11 rule schedule)), not blocking" in done.stdout
    )
