"""NaN, Infinity, 1e400 and 1,001-digit integers are refused where JSON comes in.

A trial count of NaN or Infinity from the API, a saved payload, a `--baseline` file or a
stored verdict once reached the statistics and ended in exit 4 with no verdict, even in
observe mode. Now an API answer holding one is an API failure (the verdict says so), a file
the user names is a clear error (exit 2), and a stored verdict is skipped with a note.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from governance.cli import run
from governance.conftest import verdict_json
from governance.gitrepo import Repo
from support import clean_env, run_gate, validate_verdict
from support.in_process import check_in_process

from gate_runner.check_plan import CheckRequest

POLICY = """version: 1
enforcement: {{mode: {mode}}}
statistics: {{trials: trials_seen}}
thresholds: {{min_pass_rate: 0.5}}
campaigns:
  core: {{}}
"""

HUGE = int("9" * 1001)


def _verdict(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (folder / "gate-runner-verdict.json").read_text(encoding="utf-8")
    )
    validate_verdict(data)
    return data


NON_FINITE_COUNTS: list[tuple[float, str, str, int]] = [
    (float("nan"), "NaN", "hard", 3), (float("inf"), "Infinity", "hard", 3),
    (-float("inf"), "-Infinity", "hard", 3), (HUGE, "an integer of 1,001 digits", "hard", 3),
    (float("nan"), "NaN", "observe", 0),
]  # fmt: skip


def _non_finite_count(
    folder: Path, value: float, named: str, mode: str, code: int, *, in_process: bool
) -> None:
    scenario = {
        "token": "sandbox-token",
        "campaigns": [
            {"name": "core", "duration": 0, "metrics": {"pass_rate": 0.8},
             "extra": {"trials_seen": value}}
        ],
    }  # fmt: skip
    # The sandbox writes the answer with json.dumps, which spells these NaN, Infinity, digits.
    (folder / "scenario.yml").write_text(yaml.safe_dump(scenario), encoding="utf-8")
    (folder / "sepurux.yml").write_text(POLICY.format(mode=mode), encoding="utf-8")
    if in_process:
        request = CheckRequest(configs=(folder / "sepurux.yml",), sandbox=folder / "scenario.yml")
        verdict = folder / "gate-runner-verdict.json"
        done = check_in_process(request, folder, env={}, verdict=verdict)
    else:
        done = run_gate(
            ["check", "--sandbox", "scenario.yml"], cwd=folder, env=clean_env(token=None)
        )
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert done.code == code, done.stderr
    error = _verdict(folder)["campaigns"][0]["error"]
    assert error["kind"] == "payload"
    assert "answered 200 with invalid JSON: " + named in error["message"]


# The same process path judges each answer: each runs in process, and the first as a process.
@pytest.mark.slow  # each waits for its run's first poll (0.7 s)
@pytest.mark.parametrize(
    ("value", "named", "mode", "code"),
    NON_FINITE_COUNTS,
    ids=["nan", "infinity", "-infinity", "1001-digits", "nan-observe"],
)
def test_an_api_answer_with_a_non_finite_trial_count_is_an_api_failure(
    tmp_path: Path, value: float, named: str, mode: str, code: int
) -> None:
    _non_finite_count(tmp_path, value, named, mode, code, in_process=True)


@pytest.mark.slow
def test_an_api_answer_with_a_non_finite_trial_count_as_a_process(tmp_path: Path) -> None:
    _non_finite_count(tmp_path, *NON_FINITE_COUNTS[0], in_process=False)


@pytest.mark.slow
@pytest.mark.parametrize(
    "number",
    ["NaN", "Infinity", "1e400", "-2.5E+999", "9" * 1001],
    ids=["nan", "infinity", "1e400", "-2.5e999", "1001-digits"],
)
def test_a_saved_payload_or_baseline_with_one_is_a_clear_error(tmp_path: Path, number: str) -> None:
    (tmp_path / "sepurux.yml").write_text(POLICY.format(mode="observe"), encoding="utf-8")
    good = '{"decision": "pass", "pass_rate": 0.8, "run_id": "r1", "trials_seen": 50}'
    bad = good.replace("50}", number + "}")
    (tmp_path / "good.json").write_text(good, encoding="utf-8")
    (tmp_path / "bad.json").write_text(bad, encoding="utf-8")
    baseline = json.loads(verdict_json("a" * 40))
    (tmp_path / "baseline.json").write_text(
        json.dumps(baseline).replace('"pass_rate": 0.9', '"pass_rate": ' + number, 1),
        encoding="utf-8",
    )
    env = clean_env(token=None)
    done = run_gate(["evaluate", "--payload", "bad.json"], cwd=tmp_path, env=env)
    assert done.code == 2, done.stderr
    assert done.stderr.startswith("gate-runner: error: bad.json: "), done.stderr
    args = ["evaluate", "--payload", "good.json", "--baseline", "baseline.json"]
    done = run_gate(args, cwd=tmp_path, env=env)
    assert done.code == 2, done.stderr
    assert done.stderr.startswith("gate-runner: error: --baseline baseline.json: "), done.stderr


@pytest.mark.slow
def test_a_stored_verdict_with_one_is_skipped_with_a_note(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "repo")
    scenario = "token: t\ncampaigns:\n  - {name: core, duration: 0, metrics: {pass_rate: 0.8}}\n"
    c0 = repo.commit("gate", {"sepurux.yml": POLICY.format(mode="hard"), "scenario.yml": scenario})
    c1 = repo.commit("work", {"app.txt": "1\n"})
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit("feature", {"app.txt": "pr\n"})
    store = tmp_path / "store"
    store.mkdir()
    (store / f"{c0}.json").write_text(verdict_json(c0), encoding="utf-8")
    poisoned = verdict_json(c1).replace('"pass_rate": 0.9', '"pass_rate": NaN', 1)
    assert "NaN" in poisoned
    (store / f"{c1}.json").write_text(poisoned, encoding="utf-8")
    args = ["check", "--sandbox", "scenario.yml", "--baseline", "auto", "--store", str(store)]
    done = run(repo.path, *args, env={"GITHUB_BASE_REF": "main"})
    assert done.code == 0, done.stderr
    baseline = _verdict(repo.path)["baseline"]
    assert baseline["commit"] == c0
    assert (
        f"skipped 1 unreadable entry: {store}:{c1[:12]}: NaN is not a number" in (baseline["note"])
    )
    (tmp_path / "candidate.yml").write_text(POLICY.format(mode="hard"), encoding="utf-8")
    done = run(
        tmp_path,
        "replay",
        "--policy",
        "candidate.yml",
        "--replaces",
        "sepurux.yml",
        "--store",
        str(store),
    )
    assert done.code == 0, done.stderr
    assert "of the last 1 merge " in done.stdout
    assert f"skipped {store}:{c1}: NaN is not a number" in done.stdout
