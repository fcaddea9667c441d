"""Floors as a platform team uses them, as processes over real files: a central floor policy,
two product repositories that extend it (one looser), and a repository that does not extend
it judged with `check --floor` / GATE_RUNNER_FLOOR against the sandbox."""

from __future__ import annotations

import hashlib
import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from support import LOADED_BOUND_S, Answer, LoopbackServer, clean_env, run_gate, validate_verdict

from .cli import Done, run
from .gitrepo import Repo

FLOOR = """\
version: 1
floor: true
enforcement:
  mode: hard
thresholds:
  min_pass_rate: 0.85
assertions:
  - name: few-failures
    expr: "failures <= `5`"
"""

STRICT = """\
version: 1
extends: [../central/floor.yml]
campaigns:
  core:
    thresholds:
      min_pass_rate: 0.9
"""

LOOSE = """\
version: 1
extends: [../central/floor.yml]
campaigns:
  core:
    thresholds:
      min_pass_rate: 0.8
    enforcement: soft
"""

# Never extends the central policy: its own bar passes the agent below.
ROGUE = """\
version: 1
enforcement:
  mode: observe
campaigns:
  core:
    thresholds:
      min_pass_rate: 0.5
"""

# The agent today: 0.8 clears the rogue bar (0.5), not the floor's (0.85).
SCENARIO = """\
token: sandbox-token
campaigns:
  - name: core
    duration: 0
    metrics:
      pass_rate: 0.8
      unsafe_attempts: 0
      failures: 1
      reliability_score: 90
      mutation_categories: [tool_timeout]
"""


def _platform(tmp_path: Path) -> Path:
    for name, text in {
        "central/floor.yml": FLOOR,
        "strict/sepurux.yml": STRICT,
        "loose/sepurux.yml": LOOSE,
        "rogue/sepurux.yml": ROGUE,
        "scenario.yml": SCENARIO,
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def _floor_line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.slow
def test_validate_accepts_the_tighter_repository_and_refuses_the_looser_one(
    tmp_path: Path,
) -> None:
    root = _platform(tmp_path)
    assert run(root / "strict", "validate").code == 0
    done = run(root / "loose", "validate")
    assert done.code == 2, done
    floor = str(root / "central" / "floor.yml")
    lines = sorted(line for line in done.stderr.splitlines() if "floor: true" in line)
    rate_at = f"({floor}:{_floor_line(FLOOR, 'min_pass_rate')})"
    mode_at = f"({floor}:{_floor_line(FLOOR, 'mode: hard')})"
    assert lines[0].startswith("sepurux.yml:6:22: campaigns.core.thresholds.min_pass_rate 0.8")
    assert rate_at in lines[0]
    assert lines[1].startswith("sepurux.yml:7:18: campaigns.core.enforcement soft")
    assert mode_at in lines[1]
    assert len(lines) == 2


@pytest.mark.slow
def test_validate_floor_warns_where_the_floor_judges_and_stays_valid(tmp_path: Path) -> None:
    root = _platform(tmp_path)
    plain = run(root / "rogue", "validate")
    assert (plain.code, plain.stderr) == (0, "")
    done = run(root / "rogue", "validate", "--floor", "../central/floor.yml")
    assert done.code == 0, done
    warned = [line for line in done.stderr.splitlines() if "(--floor) judges here" in line]
    assert [w.split(": warning: ")[0] for w in warned] == [
        "sepurux.yml:1:1",  # the floor's assertion, which the repository lacks
        "sepurux.yml:3:9",  # enforcement.mode observe
        "sepurux.yml:7:22",  # min_pass_rate 0.5
    ]
    via_env = run(root / "rogue", "validate", env={"GATE_RUNNER_FLOOR": "../central/floor.yml"})
    assert via_env.stderr == done.stderr


def _verdict(cwd: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((cwd / "gate-runner-verdict.json").read_text())
    validate_verdict(data)
    return data


def _checks(verdict: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in verdict["campaigns"][0]["checks"]}


@pytest.mark.slow
def test_check_on_the_looser_extending_repository_is_an_invalid_policy(tmp_path: Path) -> None:
    root = _platform(tmp_path)
    done = run(root / "loose", "check", "--sandbox", "../scenario.yml")
    assert done.code == 2, done
    assert "sepurux.yml:6:22" in done.stderr
    assert _verdict(root / "loose")["exit_code"] == 2


@pytest.mark.slow
@pytest.mark.parametrize("how", ["flag", "env"])
def test_check_floor_judges_a_repository_that_does_not_extend_it(tmp_path: Path, how: str) -> None:
    root = _platform(tmp_path)
    rogue = root / "rogue"
    alone = run(rogue, "check", "--sandbox", "../scenario.yml")
    assert alone.code == 0, alone
    assert "policy:floor" not in _checks(_verdict(rogue))
    if how == "flag":
        done = run(
            rogue, "check", "--sandbox", "../scenario.yml", "--floor", "../central/floor.yml"
        )
    else:
        env = {"GATE_RUNNER_FLOOR": "../central/floor.yml"}
        done = run(rogue, "check", "--sandbox", "../scenario.yml", env=env)
    assert done.code == 1, done  # the floor's 0.85 judges, in the floor's hard mode
    verdict = _verdict(rogue)
    core = verdict["campaigns"][0]
    assert (core["outcome"], core["enforcement"]["mode"], core["blocking"]) == (
        "fail",
        "hard",
        True,
    )
    checks = _checks(verdict)
    assert checks["threshold:min_pass_rate"]["expected"] == ">= 0.85"
    assert checks["assertion:few-failures"]["status"] == "pass"
    floor = checks["policy:floor"]
    assert (floor["status"], floor["level"]) == ("warn", "warn")
    raised = {a["setting"]: a for a in floor["actual"]}
    assert raised["campaigns.core.thresholds.min_pass_rate"] == {
        "setting": "campaigns.core.thresholds.min_pass_rate",
        "value": 0.5,
        "floor_value": 0.85,
        "location": "sepurux.yml:7:22",
        # A file outside the working directory is shown absolute, as `extends` shows it.
        "floor_location": f"{root / 'central' / 'floor.yml'}:{_floor_line(FLOOR, 'min_pass_rate')}",
    }
    assert raised["enforcement.mode"]["value"] == "observe"
    assert "policy:floor" in done.stdout


@pytest.mark.slow
def test_a_repository_that_meets_the_floor_gets_a_passing_floor_check(tmp_path: Path) -> None:
    root = _platform(tmp_path)
    scenario = (root / "scenario.yml").read_text().replace("pass_rate: 0.8", "pass_rate: 0.95")
    (root / "scenario.yml").write_text(scenario, encoding="utf-8")
    done = run(root / "strict", "check", "--sandbox", "../scenario.yml", "--floor",
               "../central/floor.yml")  # fmt: skip
    assert done.code == 0, done
    check = _checks(_verdict(root / "strict"))["policy:floor"]
    assert (check["status"], check["actual"]) == ("pass", [])


@pytest.mark.slow
def test_a_remote_floor_must_be_pinned_and_is_fetched_through_the_pinned_fetcher(
    tmp_path: Path,
) -> None:
    root = _platform(tmp_path)
    body = FLOOR.encode()
    with LoopbackServer(lambda _r: Answer(200, raw=body, content_type="text/yaml")) as server:
        url = f"http://127.0.0.1:{server.port}/floor.yml"
        unpinned = run(root / "rogue", "validate", "--floor", url)
        assert unpinned.code == 2, unpinned
        assert "a floor URL must be pinned: URL#sha256=" in unpinned.stderr
        assert server.requests == []
        wrong = run(root / "rogue", "validate", "--floor", f"{url}#sha256={'0' * 64}")
        assert wrong.code == 2 and "sha256 mismatch" in wrong.stderr, wrong
        pin = hashlib.sha256(body).hexdigest()
        cache = {"GATE_RUNNER_CACHE_DIR": str(tmp_path / "cache")}
        done = run(root / "rogue", "validate", "--floor", f"{url}#sha256={pin}", env=cache)
    assert done.code == 0, done
    assert f"({url}:{_floor_line(FLOOR, 'min_pass_rate')})" in done.stderr


@pytest.mark.slow
def test_floor_with_policy_ref_holds_under_the_ref_policy(tmp_path: Path) -> None:
    # Refused with exit 2 before (issue 20): a required workflow passing both got no gate.
    root = _platform(tmp_path)
    rogue = root / "rogue"
    (rogue / "sepurux.yml").write_text(ROGUE + "      max_failures: 3\n", encoding="utf-8")
    Repo.init(rogue).commit("the rogue policy on main")
    # The pull request loosens a bar the floor does not set: main's policy judges (review),
    # and the floor holds under it as under the pull request's.
    head = ROGUE.replace("0.5", "0.6") + "      max_failures: 9\n"
    (rogue / "sepurux.yml").write_text(head, encoding="utf-8")
    done: Done = run(
        rogue, "check", "--floor", "../central/floor.yml", "--policy-ref", "main",
        "--sandbox", "../scenario.yml",
    )  # fmt: skip
    assert done.code == 1, done
    verdict = _verdict(rogue)
    checks = _checks(verdict)
    assert checks["threshold:min_pass_rate"]["expected"] == ">= 0.85"
    assert checks["threshold:max_failures"]["expected"] == "<= 3"  # main's policy judges
    raised = {a["setting"]: a for a in checks["policy:floor"]["actual"]}
    assert raised["campaigns.core.thresholds.min_pass_rate"]["value"] == 0.5  # main's bar
    assert verdict["campaigns"][0]["enforcement"]["mode"] == "hard"


def test_an_invalid_floor_is_an_invalid_policy(tmp_path: Path) -> None:
    root = _platform(tmp_path)
    (root / "central" / "floor.yml").write_text(FLOOR + "gate: {on_error: maybe}\n")
    done = run(root / "rogue", "validate", "--floor", "../central/floor.yml")
    assert done.code == 2, done
    assert "on_error" in done.stderr


@pytest.mark.slow
def test_explain_floor_shows_the_floor_judging_and_warns_at_the_overridden_key(
    tmp_path: Path,
) -> None:
    root = _platform(tmp_path)
    done = run(root / "rogue", "explain", "--floor", "../central/floor.yml")
    assert done.code == 0, done
    assert "campaigns.core.thresholds.min_pass_rate = 0.85" in done.stdout
    assert "sepurux.yml:7:22: warning: campaigns.core.thresholds.min_pass_rate 0.5" in done.stderr


@pytest.mark.slow
def test_a_remote_floor_is_fetched_within_the_gate_timeout_like_extends(tmp_path: Path) -> None:
    # Two pinned floors: the first drips until the gate's --timeout has passed, so the second
    # is never asked for. Before the floors shared extends' deadline each had its own 15 s.
    server = LoopbackServer()

    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/yaml")
        handler.end_headers()
        try:
            while not server.release.wait(0.05):  # a YAML comment that never ends
                handler.wfile.write(b"#")
                handler.wfile.flush()
        except OSError:
            return

    server.route = lambda _request: Answer(write=drip)
    first, second = (f"{server.url}/{name}.yml#sha256={'a' * 64}" for name in ("one", "two"))
    (tmp_path / "sepurux.yml").write_text("version: 1\ncampaigns:\n  c: {}\n", encoding="utf-8")
    env = clean_env({"GATE_RUNNER_CACHE_DIR": str(tmp_path / "cache")}, token="tok-floor-5678")
    # 4 s, not 1: the deadline counts from the start, and a loaded machine may spend a second
    # starting up before the first request; the drip outlasts any of it.
    args = ["check", "--timeout", "4", "--floor", first, "--floor", second]
    try:
        done = run_gate(args, cwd=tmp_path, env=env, timeout=LOADED_BOUND_S)
    finally:
        server.close()
    # Nothing arrived in time: no decision (issue 20), not an invalid policy.
    assert done.code == 3, done.describe()
    assert [r.target for r in server.requests] == ["/one.yml"]
    shown = done.stdout + done.stderr
    assert "one.yml: the answer was not complete in time" in shown
    assert "two.yml: not fetched, the gate's --timeout has passed" in shown
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    validate_verdict(verdict)
    assert verdict["exit_code"] == 3 and verdict["error"]["kind"] == "policy_fetch"
