"""One name for "judge as of this date": `--as-of` on check, evaluate, replay and explain;
the old spellings (`explain --date`, `replay --today`) still work, hidden, with a one-line
deprecation note (issue 17, Messages)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import clean_env, run_gate

# gate-runner processes, seconds each on a loaded machine.
pytestmark = pytest.mark.slow

POLICY = """version: 1
enforcement:
  mode: observe
  schedule:
    - {from: 2026-01-01, mode: observe}
    - {from: 2030-01-01, mode: hard}
thresholds: {min_pass_rate: 0.9}
campaigns:
  core: {}
"""
SCENARIO = """token: sandbox-token
campaigns:
  - name: core
    duration: 0
    metrics: {pass_rate: 0.5, unsafe_attempts: 0, failures: 0, reliability_score: 90}
"""


def _gate(cwd: Path, *args: str) -> tuple[int, str, str]:
    done = run_gate(list(args), cwd=cwd, env=clean_env(token=None))
    assert "Traceback" not in done.stderr, done.describe()
    return done.code, done.stdout, done.stderr


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "sepurux.yml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "scenario.yml").write_text(SCENARIO, encoding="utf-8")
    payload = {"decision": "fail", "pass_rate": 0.5}
    (tmp_path / "payload.json").write_text(json.dumps(payload), encoding="utf-8")
    return tmp_path


def _mode(work: Path) -> str:
    verdict = json.loads((work / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    return str(verdict["enforcement"]["mode"])


def test_check_and_evaluate_judge_as_of_the_date(work: Path) -> None:
    evaluate = ("evaluate", "--payload", "payload.json", "--campaign", "core")
    assert _gate(work, *evaluate)[0] == 0  # today: observe
    assert _mode(work) == "observe"
    assert _gate(work, *evaluate, "--as-of", "2030-01-02")[0] == 1
    assert _mode(work) == "hard"
    check = ("check", "--sandbox", "scenario.yml")
    assert _gate(work, *check, "--as-of", "2030-01-02")[0] == 1
    assert _mode(work) == "hard"
    code, _out, err = _gate(work, *check, "--as-of", "someday")
    assert code == 2
    assert "--as-of 'someday': expected a date like 2026-12-15" in err


def test_explain_date_is_a_deprecated_alias(work: Path) -> None:
    code, new, err = _gate(work, "explain", "--format", "json", "--as-of", "2030-01-02")
    assert code == 0 and "deprecated" not in err
    assert json.loads(new)["enforcement"]["mode"] == "hard"
    code, old, err = _gate(work, "explain", "--format", "json", "--date", "2030-01-02")
    assert code == 0
    assert old == new
    # The rest is validate's warnings, which explain shows too (a mode the schedule replaces).
    first, *rest = err.splitlines()
    assert first == "gate-runner: --date is deprecated; use --as-of"
    assert all(": warning: " in line for line in rest)
    code, text, _err = _gate(work, "explain", "--help")
    assert "--as-of" in text and "--date" not in text


def test_replay_today_is_a_deprecated_alias(work: Path) -> None:
    assert _gate(work, "evaluate", "--payload", "payload.json", "--campaign", "core")[0] == 0
    replay = ("replay", "--policy", "sepurux.yml", "gate-runner-verdict.json")
    code, new, err = _gate(work, *replay, "--as-of", "2030-01-02")
    assert code == 0 and "deprecated" not in err
    assert "as on 2030-01-02: would have blocked 1 of the last 1 merge " in new
    code, old, err = _gate(work, *replay, "--today", "2030-01-02")
    assert (code, old) == (0, new)
    assert err == "gate-runner: --today is deprecated; use --as-of\n"
    code, text, _err = _gate(work, "replay", "--help")
    assert "--as-of" in text and "--today" not in text
    assert "this store:" in text and "this A directory" not in text
