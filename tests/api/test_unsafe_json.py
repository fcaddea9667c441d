"""Valid JSON that json.loads cannot carry to a verdict, from the server, through `check`.

A 4,301-digit integer (over Python's int/str limit) or a lone surrogate "\\ud800" anywhere in
an answer, even an unused field or an error's `detail`, once gave exit 4 and no verdict. The
sandbox's `unsafe_json` fault sends them; the gate must decide (a surrogate is replaced), or
say why it cannot (a huge integer is an API failure), with a verdict.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import clean_env, run_gate, validate_verdict

# Every test here runs gate-runner processes (seconds each on a loaded machine): slow.
pytestmark = pytest.mark.slow

POLICY = {
    "version": 1,
    "gate": {"timeout": 30},
    "enforcement": {"mode": "hard"},
    "thresholds": {"min_pass_rate": 0.85},
    "campaigns": {"core": {"campaign": "core"}},
}


def check(tmp_path: Path, *faults: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
    scenario = {"campaigns": [{"name": "core", "duration": 0.2}], "faults": list(faults)}
    (tmp_path / "scenario.yml").write_text(yaml.safe_dump(scenario), "utf-8")
    (tmp_path / "sepurux.yml").write_text(yaml.safe_dump(POLICY), "utf-8")
    done = run_gate(
        ["check", "--sandbox", "scenario.yml"],
        cwd=tmp_path,
        env=clean_env(token=None),
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text("utf-8"))
    validate_verdict(verdict)
    return done.returncode, verdict, output


@pytest.mark.slow
@pytest.mark.parametrize("on", ["campaigns", "create", "poll"])
def test_an_unused_lone_surrogate_does_not_cost_the_decision(tmp_path: Path, on: str) -> None:
    fault = {"on": on, "kind": "unsafe_json", "variant": "lone_surrogate"}
    code, verdict, output = check(tmp_path, fault)
    assert code == 0, output
    assert verdict["campaigns"][0]["status"] == "done"
    if on == "poll":
        assert verdict["campaigns"][0]["payload"]["unsafe"] == "\ufffd"


@pytest.mark.slow
@pytest.mark.parametrize("on", ["create", "poll"])
def test_a_huge_integer_anywhere_in_an_answer_is_an_api_failure(tmp_path: Path, on: str) -> None:
    # Refused at the boundary (issue 17): read as a float it became Infinity, and an infinite
    # trial count ended in exit 4 with no verdict. The verdict now says which answer it was.
    code, verdict, output = check(tmp_path, {"on": on, "kind": "unsafe_json"})
    assert code == 3, output
    error = verdict["campaigns"][0]["error"]
    assert error["kind"] == "payload"
    assert "with invalid JSON: an integer of 4,301 digits" in error["message"]


@pytest.mark.slow
def test_a_500_whose_detail_is_a_huge_integer_is_retried(tmp_path: Path) -> None:
    fault = {"on": "campaigns", "kind": "unsafe_json", "status": 500, "times": 1}
    code, verdict, output = check(tmp_path, fault)
    assert code == 0, output
    assert verdict["campaigns"][0]["status"] == "done"


@pytest.mark.slow
def test_an_error_whose_detail_is_a_lone_surrogate_is_reported(tmp_path: Path) -> None:
    fault = {"on": "create", "kind": "unsafe_json", "variant": "lone_surrogate", "status": 422}
    code, verdict, output = check(tmp_path, fault)
    assert code == 3, output
    error = verdict["campaigns"][0]["error"]
    assert error["kind"] == "http" and "answered 422: \ufffd" in error["message"]
