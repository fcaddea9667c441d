"""`gate-runner check` options end to end: signals, dry run, selection, usage errors, reports,
the baseline, the missing token. One in-process sandbox for the module."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from support import REPO, WAIT_S, start_gate

from gate_runner.sandbox import Sandbox

from .conftest import (
    TOKEN,
    TOOLS_WARN,
    Result,
    assert_clean_output,
    assert_no_token_in_files,
    checked_verdict,
    clean_env,
    policy,
    run_cli,
    write_json,
    write_yaml,
)

# Every test here runs gate-runner processes (seconds each on a loaded machine): slow.
pytestmark = pytest.mark.slow

KEYS = ("passing", "failing", "warning", "hanging")


def write_policy(tmp_path: Path, **kwargs: Any) -> Path:
    campaigns = kwargs.pop("campaigns", {key: {} for key in KEYS})
    kwargs.setdefault("assertions", [TOOLS_WARN])
    return write_yaml(tmp_path / "sepurux.yml", policy(campaigns, **kwargs))


def check(sandbox: Sandbox, tmp_path: Path, *args: str, **kwargs: Any) -> Result:
    return run_cli(
        ["check", "--config", "sepurux.yml", "--api-url", sandbox.url, *args], tmp_path, **kwargs
    )


# --- cancellation ---------------------------------------------------------------------------


def _wait_for(process: subprocess.Popen[str], text: str, limit: float = WAIT_S) -> str:
    """Read stderr line by line until `text` shows up; what was read so far."""
    assert process.stderr is not None
    seen = ""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen += line
        if text in line:
            return seen
    process.kill()
    raise AssertionError(f"never saw {text!r} on stderr:\n{seen}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_mid_poll_writes_a_valid_verdict(
    sandbox: Sandbox, tmp_path: Path, sig: signal.Signals
) -> None:
    write_policy(tmp_path, campaigns={"hanging": {}})
    verdict_path = tmp_path / "verdict.json"
    process = start_gate(
        ["check", "--api-url", sandbox.url, "--verdict", str(verdict_path)],
        cwd=tmp_path,
        env=clean_env(),
    )
    try:
        before = _wait_for(process, "is running")
        process.send_signal(sig)
        stdout, rest = process.communicate(timeout=WAIT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    result = Result([], process.returncode, stdout, before + rest, verdict_path, tmp_path)
    assert_clean_output(result)
    assert result.code == 130, result.describe()
    assert f"{sig.name} received" in result.stderr
    verdict = checked_verdict(result)
    assert verdict["interrupted"] is True
    assert verdict["exit_code"] == 130
    campaign = verdict["campaigns"][0]
    assert campaign["key"] == "hanging"
    assert campaign["status"] == "pending"
    assert campaign["outcome"] == "error"
    assert campaign["run_id"]  # the run had started: its id is kept
    assert "interrupted" in result.stdout
    # The headline and the campaign agree (issue 17): hard mode, no decision, blocking.
    assert campaign["blocking"] is True and verdict["blocking"] is True
    assert "gate-runner: ERROR (blocking, exit 130)" in result.stdout
    assert "ERROR hanging: blocking" in result.stdout


# --- dry run and selection ------------------------------------------------------------------


def test_dry_run_prints_the_plan_and_calls_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    write_policy(
        tmp_path, campaigns={"passing": {"thresholds": {"min_pass_rate": 0.9}}, "failing": {}}
    )
    before = sum(sandbox.request_counts().values())
    result = check(sandbox, tmp_path, "--dry-run")
    after = sum(sandbox.request_counts().values())
    assert result.code == 0, result.describe()
    assert after == before, f"--dry-run made {after - before} request(s)"
    assert "dry run: 2 run(s) would be created; nothing is called" in result.stdout
    assert f"POST {sandbox.url}/v1/ci/runs  (passing)" in result.stdout
    assert f"POST {sandbox.url}/v1/ci/runs  (failing)" in result.stdout
    assert '"min_pass_rate": 0.9' in result.stdout
    assert "from $SEPURUX_API_KEY (set)" in result.stdout
    assert TOKEN not in result.stdout
    assert not (tmp_path / "verdict.json").exists()


def test_dry_run_says_when_the_token_is_missing(sandbox: Sandbox, tmp_path: Path) -> None:
    write_policy(tmp_path, campaigns={"passing": {}})
    result = check(sandbox, tmp_path, "--dry-run", token=None)
    assert result.code == 0, result.describe()
    assert "from $SEPURUX_API_KEY (NOT set)" in result.stdout


def test_campaign_selects_one(sandbox: Sandbox, tmp_path: Path) -> None:
    write_policy(tmp_path)
    result = check(sandbox, tmp_path, "--campaign", "warning")
    assert result.code == 0, result.describe()
    verdict = checked_verdict(result)
    assert [c["key"] for c in verdict["campaigns"]] == ["warning"]
    assert verdict["outcome"] == "warn"


def test_unknown_campaign_is_a_usage_error(sandbox: Sandbox, tmp_path: Path) -> None:
    write_policy(tmp_path)
    before = sum(sandbox.request_counts().values())
    result = check(sandbox, tmp_path, "--campaign", "nope")
    assert result.code == 2, result.describe()
    assert "unknown campaign 'nope'" in result.stderr
    assert "declares: passing, failing, warning, hanging" in result.stderr
    assert sum(sandbox.request_counts().values()) == before


def test_unknown_report_format_is_a_usage_error(sandbox: Sandbox, tmp_path: Path) -> None:
    write_policy(tmp_path)
    result = check(sandbox, tmp_path, "--report", "pdf=out.pdf")
    assert result.code == 2, result.describe()
    assert "unknown report format 'pdf'" in result.stderr
    assert "junit" in result.stderr and "sarif" in result.stderr


def test_invalid_policy_names_file_line_and_column(sandbox: Sandbox, tmp_path: Path) -> None:
    write_yaml(
        tmp_path / "sepurux.yml",
        """\
        version: 1
        thresholds:
          min_pass_rat: 0.9
        campaigns:
          passing: {}
        """,
    )
    result = check(sandbox, tmp_path)
    assert result.code == 2, result.describe()
    assert "sepurux.yml:3:3: " in result.stderr
    assert "did you mean 'min_pass_rate'" in result.stderr


def test_soft_exit_code_out_of_range_is_a_usage_error(sandbox: Sandbox, tmp_path: Path) -> None:
    write_policy(tmp_path)
    result = check(sandbox, tmp_path, "--soft-exit-code", "1")
    assert result.code == 2, result.describe()
    assert "--soft-exit-code 1 is not allowed" in result.stderr


def test_missing_token_is_no_decision_and_still_writes_the_verdict(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    write_policy(tmp_path, campaigns={"passing": {}})
    result = check(sandbox, tmp_path, token=None)
    assert result.code == 3, result.describe()
    assert "SEPURUX_API_KEY" in result.stdout + result.stderr
    verdict = checked_verdict(result)
    assert (verdict["outcome"], verdict["blocking"], verdict["exit_code"]) == ("error", True, 3)
    assert verdict["error"]["kind"] == "auth"
    assert "SEPURUX_API_KEY" in verdict["error"]["message"]
    assert verdict["campaigns"][0]["status"] == "error"


def test_missing_token_with_on_error_pass_is_allowed(sandbox: Sandbox, tmp_path: Path) -> None:
    write_policy(tmp_path, campaigns={"passing": {}}, on_error="pass")
    result = check(sandbox, tmp_path, token=None)
    assert result.code == 0, result.describe()
    verdict = checked_verdict(result)
    assert (verdict["outcome"], verdict["blocking"]) == ("error", False)
    assert verdict["campaigns"][0]["error_policy"] == "pass"
    assert "passing: no decision, allowed by gate.on_error: pass" in verdict["notes"]


def test_wrong_token_is_an_auth_error(sandbox: Sandbox, tmp_path: Path) -> None:
    write_policy(tmp_path, campaigns={"passing": {}})
    result = check(sandbox, tmp_path, env={"SEPURUX_API_KEY": "not-the-right-one"})
    assert result.code == 3, result.describe()
    verdict = checked_verdict(result)
    assert verdict["campaigns"][0]["error"]["kind"] == "auth"


# --- reports --------------------------------------------------------------------------------


def test_junit_and_sarif_reports_are_written(sandbox: Sandbox, tmp_path: Path) -> None:
    write_policy(tmp_path, campaigns={"passing": {}, "failing": {}})
    result = check(
        sandbox,
        tmp_path,
        "--report",
        "junit=out/junit.xml",
        "--report",
        "sarif=out/gate.sarif",
    )
    assert result.code == 1, result.describe()
    checked_verdict(result)
    junit = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    failed = {
        (case.get("classname"), case.get("name"))
        for case in junit.iter("testcase")
        if case.find("failure") is not None
    }
    assert failed == {("failing", "decision"), ("failing", "threshold:min_pass_rate")}
    assert junit.get("failures") == "2"
    sarif = json.loads((tmp_path / "out" / "gate.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    rule_ids = sorted(r["ruleId"] for run in sarif["runs"] for r in run["results"])
    assert rule_ids == ["decision", "threshold:min_pass_rate"]
    assert_no_token_in_files(tmp_path)


def test_sandbox_option_runs_without_an_account(tmp_path: Path) -> None:
    """`--sandbox SCENARIO` starts the API in-process: the quick start's command."""
    write_policy(tmp_path, campaigns={"passing": {}, "failing": {}})
    write_yaml(
        tmp_path / "scenario.yml",
        {
            "campaigns": [
                {"name": "passing", "duration": 0.1, "metrics": {"pass_rate": 0.99}},
                {"name": "failing", "duration": 0.1, "metrics": {"pass_rate": 0.5}},
            ]
        },
    )
    result = run_cli(["check", "--sandbox", "scenario.yml"], tmp_path, token=None)
    assert result.code == 1, result.describe()
    verdict = checked_verdict(result)
    assert [(c["key"], c["outcome"]) for c in verdict["campaigns"]] == [
        ("passing", "pass"),
        ("failing", "fail"),
    ]
    assert "gate-runner: sandbox from scenario.yml at http://127.0.0.1:" in result.stderr


def test_quick_start_example_against_the_demo_sandbox(tmp_path: Path) -> None:
    """The README's command: examples/sepurux.yml on examples/sandbox/demo.yml."""
    result = run_cli(
        [
            "check",
            "--config",
            str(REPO / "examples" / "sepurux.yml"),
            "--sandbox",
            str(REPO / "examples" / "sandbox" / "demo.yml"),
        ],
        tmp_path,
        token=None,
    )
    assert result.code == 1, result.describe()
    verdict = checked_verdict(result)
    assert [(c["key"], c["outcome"]) for c in verdict["campaigns"]] == [
        ("core-reliability", "pass"),
        ("refund-safety", "fail"),
        ("support-eval-set", "pass"),
    ]
    refund = verdict["campaigns"][1]
    assert "assertion:refund-tool-stable" in [
        c["id"] for c in refund["checks"] if c["status"] == "fail"
    ]
    assert "top failing tools: payments.refund (3), orders.lookup (2)" in result.stdout
    assert [p["sha256"][:7] for p in verdict["policy"]["sources"]] == ["sha256:", "sha256:"]


# --- baseline -------------------------------------------------------------------------------

NO_DROP = {
    "name": "no-regression",
    "expr": "baseline == null || pass_rate >= baseline.pass_rate",
    "message": "the pass rate may not drop below the baseline",
}
NO_DROP_BEYOND_2_POINTS = {
    "name": "no-regression",
    "expr": "baseline == null || pass_rate >= baseline.pass_rate - `0.02`",
    "message": "the pass rate may not drop more than 2 points below the baseline",
}


@pytest.fixture(scope="module")
def first_verdict(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real verdict of `passing` (pass_rate 0.97), the baseline of the tests below."""
    first = tmp_path_factory.mktemp("first")
    write_policy(first, campaigns={"passing": {}})
    result = check(sandbox, first)
    assert result.code == 0, result.describe()
    return checked_verdict(result)


def _baseline(first: dict[str, Any], tmp_path: Path, pass_rate: float) -> Path:
    """The first verdict with its pass rate set to `pass_rate`."""
    data = json.loads(json.dumps(first))
    data["campaigns"][0]["payload"]["pass_rate"] = pass_rate
    return write_json(tmp_path / "baseline.json", data)


@pytest.mark.parametrize(
    ("baseline_rate", "code", "status"),
    [(0.97, 0, "pass"), (0.9, 0, "pass"), (0.99, 1, "fail")],
)
def test_baseline_feeds_assertions(
    sandbox: Sandbox,
    first_verdict: dict[str, Any],
    tmp_path: Path,
    baseline_rate: float,
    code: int,
    status: str,
) -> None:
    baseline = _baseline(first_verdict, tmp_path, baseline_rate)
    write_policy(tmp_path, campaigns={"passing": {"assertions": [NO_DROP]}})
    result = check(sandbox, tmp_path, "--baseline", str(baseline))
    assert result.code == code, result.describe()
    verdict = checked_verdict(result)
    campaign = verdict["campaigns"][0]
    check_ = next(c for c in campaign["checks"] if c["id"] == "assertion:no-regression")
    assert check_["status"] == status
    saved = json.loads(baseline.read_text(encoding="utf-8"))
    assert campaign["baseline_run_id"] == saved["campaigns"][0]["run_id"]
    if status == "fail":
        assert "the pass rate may not drop below the baseline" in result.stdout
        assert "FAIL assertion:no-regression" in result.stdout


def test_without_baseline_the_assertion_sees_null(sandbox: Sandbox, tmp_path: Path) -> None:
    write_policy(tmp_path, campaigns={"passing": {"assertions": [NO_DROP]}})
    result = check(sandbox, tmp_path)
    assert result.code == 0, result.describe()
    verdict = checked_verdict(result)
    assert verdict["campaigns"][0]["baseline_run_id"] is None


@pytest.mark.parametrize(("baseline_rate", "code"), [(0.98, 0), (0.995, 1)])
def test_baseline_with_arithmetic(
    sandbox: Sandbox, first_verdict: dict[str, Any], tmp_path: Path, baseline_rate: float, code: int
) -> None:
    """The issue's example: ``pass_rate >= baseline.pass_rate - `0.02` ``."""
    baseline = _baseline(first_verdict, tmp_path, baseline_rate)
    write_policy(tmp_path, campaigns={"passing": {"assertions": [NO_DROP_BEYOND_2_POINTS]}})
    result = check(sandbox, tmp_path, "--baseline", str(baseline))
    assert result.code == code, result.describe()
    verdict = checked_verdict(result)
    checks = {c["id"]: c["status"] for c in verdict["campaigns"][0]["checks"]}
    assert checks["assertion:no-regression"] == ("pass" if code == 0 else "fail")


def test_baseline_that_is_not_a_verdict_is_a_usage_error(sandbox: Sandbox, tmp_path: Path) -> None:
    write_policy(tmp_path, campaigns={"passing": {}})
    write_json(tmp_path / "baseline.json", {"pass_rate": 0.9})
    result = check(sandbox, tmp_path, "--baseline", "baseline.json")
    assert result.code == 2, result.describe()
    assert "not a gate-runner verdict" in result.stderr
