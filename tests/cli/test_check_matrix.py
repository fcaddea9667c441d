"""`gate-runner check` against one sandbox: every mode × every outcome (DESIGN §3).

One in-process sandbox serves the module (fixture `sandbox`); each test writes its own policy.
The matrix calls the use case in process (`use_case.check`, the real client over HTTP, the
summary `check` prints rendered by report.text): the process adds nothing a cell could differ
in. `test_a_cell_as_a_process_is_the_same_cell` holds the process to it: the exit code, the
verdict file and the printed summary of one cell per exit code (issue 18, suite).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from support import validate_verdict

from gate_runner.api import RunEvent
from gate_runner.check_plan import CheckRequest
from gate_runner.ci import detect
from gate_runner.policy import Policy
from gate_runner.report import text as text_report
from gate_runner.runner import GateClock
from gate_runner.sandbox import Sandbox
from gate_runner.use_case import Checked
from gate_runner.use_case import check as check_use_case

from .conftest import (
    TOKEN,
    TOOLS_WARN,
    Result,
    assert_clean_output,
    assert_no_token_in_files,
    checked_verdict,
    failing_check_ids,
    policy,
    run_cli,
    write_yaml,
)

# Every test here runs gate-runner processes (seconds each on a loaded machine): slow.
pytestmark = pytest.mark.slow

CAMPAIGNS = ("passing", "failing", "warning", "erroring", "hanging", "server-error")


@dataclass(frozen=True)
class Mode:
    id: str
    mode: str
    soft_exit_code: int | None = None


@dataclass(frozen=True)
class Outcome:
    id: str
    campaign: str
    outcome: str  # the verdict's outcome
    failing: tuple[str, ...]  # failing check ids
    on_error: str = "fail"
    on_timeout: str = "fail"
    timeout: float | None = None
    status: str = "done"  # the campaign's status
    error_kind: str | None = None


MODES = [
    Mode("observe", "observe"),
    Mode("soft", "soft"),
    Mode("soft-10", "soft", soft_exit_code=10),
    Mode("hard", "hard"),
]

OUTCOMES = [
    Outcome("pass", "passing", "pass", ()),
    Outcome("fail", "failing", "fail", ("decision", "threshold:min_pass_rate")),
    Outcome("warn", "warning", "warn", ("assertion:no-failing-tools",)),
    Outcome("error", "erroring", "error", ("run",), status="error", error_kind="run_failed"),
    Outcome(
        "error-allowed",
        "erroring",
        "error",
        ("run",),
        on_error="pass",
        status="error",
        error_kind="run_failed",
    ),
    Outcome(
        "timeout", "hanging", "error", ("run",), timeout=1, status="timeout", error_kind="timeout"
    ),
    Outcome(
        "timeout-allowed",
        "hanging",
        "error",
        ("run",),
        on_timeout="pass",
        timeout=1,
        status="timeout",
        error_kind="timeout",
    ),
]


def expected_exit(mode: Mode, outcome: Outcome) -> int:
    """DESIGN §3, as the brief states it for each cell."""
    if mode.mode == "observe":
        return 0
    if outcome.outcome == "fail":
        return 1 if mode.mode == "hard" else (mode.soft_exit_code or 0)
    if outcome.outcome == "error":
        allowed = outcome.on_error == "pass" or outcome.on_timeout == "pass"
        return 0 if allowed else 3
    return 0


def write_policy(tmp_path: Path, **kwargs: Any) -> Path:
    campaigns = kwargs.pop("campaigns", {key: {} for key in CAMPAIGNS})
    kwargs.setdefault("assertions", [TOOLS_WARN])
    return write_yaml(tmp_path / "sepurux.yml", policy(campaigns, **kwargs))


def check(sandbox: Sandbox, tmp_path: Path, *args: str) -> Result:
    return run_cli(["check", "--config", "sepurux.yml", "--api-url", sandbox.url, *args], tmp_path)


def cell_args(sandbox: Sandbox, mode: Mode, outcome: Outcome) -> list[str]:
    args = ["check", "--config", "sepurux.yml", "--api-url", sandbox.url]
    args += ["--campaign", outcome.campaign]
    if mode.soft_exit_code is not None:
        args += ["--soft-exit-code", str(mode.soft_exit_code)]
    if outcome.timeout is not None:
        args += ["--timeout", str(outcome.timeout)]
    return args


class Quiet:
    """A CheckObserver that shows nothing: a cell is its verdict and the summary printed."""

    def loaded(self, policies: Sequence[Policy]) -> None:
        pass

    def api_ready(self, sandbox: Sandbox | None) -> None:
        pass

    def policy_started(self, policy: Policy, count: int, keys: Sequence[str]) -> None:
        pass

    @contextmanager
    def progress(self, total: int) -> Iterator[Callable[[RunEvent], None]]:
        yield lambda _event: None


@dataclass(frozen=True)
class Cell:
    """What a user meets of one cell: the exit code, the verdict document, the summary."""

    code: int
    verdict: dict[str, Any]
    stdout: str
    directory: Path  # where the policy is: the process names it relative to its cwd

    def describe(self) -> str:
        return f"exit {self.code}\n--- summary\n{self.stdout}"


def run_cell(sandbox: Sandbox, directory: Path, mode: Mode, outcome: Outcome) -> Cell:
    """The cell as `check` runs it, in process: what the CLI parses from cell_args."""
    path = write_policy(
        directory, mode=mode.mode, on_error=outcome.on_error, on_timeout=outcome.on_timeout
    )
    request = CheckRequest(
        configs=(path,),
        campaigns=(outcome.campaign,),
        timeout=outcome.timeout,
        api_url=sandbox.url,
        soft_exit_code=mode.soft_exit_code or 0,
    )
    checked = check_use_case(
        request, Quiet(), env={"SEPURUX_API_KEY": TOKEN}, ci=detect({}, cwd=directory),
        clock=GateClock(), cancel=threading.Event(), today=date.today(),
    )  # fmt: skip
    assert isinstance(checked, Checked) and checked.verdict is not None
    document = checked.verdict.to_json()
    validate_verdict(json.loads(document))
    assert TOKEN not in document, "the token leaked into the verdict"
    summary = text_report.render(checked.verdict, problems=False)
    assert TOKEN not in summary, "the token leaked into the summary"
    return Cell(checked.verdict.exit_code, json.loads(document), summary, directory)


def run_cell_process(sandbox: Sandbox, directory: Path, mode: Mode, outcome: Outcome) -> Result:
    write_policy(
        directory, mode=mode.mode, on_error=outcome.on_error, on_timeout=outcome.on_timeout
    )
    return run_cli(cell_args(sandbox, mode, outcome), directory, check_output=False)


@pytest.fixture(scope="module")
def matrix(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Cell]:
    """Every cell run at once (the runs mostly wait on polls), one folder each."""
    cells = [(m, o) for m in MODES for o in OUTCOMES]
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {
            f"{m.id}-{o.id}": pool.submit(
                run_cell, sandbox, tmp_path_factory.mktemp(f"{m.id}-{o.id}"), m, o
            )
            for m, o in cells
        }
        return {cell: future.result() for cell, future in futures.items()}


# One cell per exit code the matrix gives (0, 1, 3, the soft exit code), run as processes.
PROCESS_CELLS = [("hard", "fail"), ("soft-10", "fail"), ("soft", "error"), ("observe", "warn")]


@pytest.mark.parametrize(("mode_id", "outcome_id"), PROCESS_CELLS)
def test_a_cell_as_a_process_is_the_same_cell(
    sandbox: Sandbox, matrix: dict[str, Cell], tmp_path: Path, mode_id: str, outcome_id: str
) -> None:
    mode = next(m for m in MODES if m.id == mode_id)
    outcome = next(o for o in OUTCOMES if o.id == outcome_id)
    result = run_cell_process(sandbox, tmp_path, mode, outcome)
    assert_clean_output(result)
    cell = matrix[f"{mode_id}-{outcome_id}"]
    assert result.code == cell.code == expected_exit(mode, outcome), result.describe()
    verdict = checked_verdict(result)
    moving = ("timings", "campaigns")  # times and run ids
    assert _same(cell, {k: v for k, v in verdict.items() if k not in moving}) == _same(
        cell, {k: v for k, v in cell.verdict.items() if k not in moving}
    )
    assert [c["outcome"] for c in verdict["campaigns"]] == [
        c["outcome"] for c in cell.verdict["campaigns"]
    ]
    # The summary the process printed is the one the cell rendered (its times aside).
    assert _same(cell, cell.stdout) in _same(cell, result.stdout)
    assert_no_token_in_files(tmp_path)


def _same(cell: Cell, data: Any) -> str:
    """As the process names things: the policy relative to its cwd; no time, no run id."""
    text = data if isinstance(data, str) else json.dumps(data, sort_keys=True)
    # The verdict records its policy file relative to the cwd (policy.files): the cell ran
    # in this process's cwd, the process in the cell's folder.
    text = text.replace(f"{os.path.relpath(cell.directory)}/", "")
    text = text.replace(f"{cell.directory}/", "")
    return re.sub(r"\d+(\.\d+)? ?(ms|s)\b|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", "T", text)


@pytest.mark.parametrize("outcome", OUTCOMES, ids=[o.id for o in OUTCOMES])
@pytest.mark.parametrize("mode", MODES, ids=[m.id for m in MODES])
def test_mode_by_outcome(
    sandbox: Sandbox, matrix: dict[str, Cell], mode: Mode, outcome: Outcome
) -> None:
    result = matrix[f"{mode.id}-{outcome.id}"]
    code = expected_exit(mode, outcome)
    assert result.code == code, result.describe()

    verdict = result.verdict
    assert verdict["exit_code"] == code
    assert verdict["outcome"] == outcome.outcome
    assert verdict["blocking"] is (code in (1, 3))
    assert verdict["interrupted"] is False
    assert verdict["enforcement"]["mode"] == mode.mode
    assert verdict["enforcement"]["source"] == "policy"
    assert verdict["ci"]["vendor"] == "local"
    assert [c["key"] for c in verdict["campaigns"]] == [outcome.campaign]

    campaign = verdict["campaigns"][0]
    assert campaign["outcome"] == outcome.outcome
    assert campaign["status"] == outcome.status
    assert campaign["blocking"] is (code in (1, 3))
    assert campaign["enforcement"]["mode"] == mode.mode
    assert campaign["enforcement"]["source"] == "policy"
    assert failing_check_ids(campaign) == sorted(outcome.failing)

    if outcome.outcome == "error":
        assert campaign["error"]["kind"] == outcome.error_kind
        allowed = "pass" if "allowed" in outcome.id else "fail"
        assert campaign["error_policy"] == allowed
        setting = "on_timeout" if outcome.error_kind == "timeout" else "on_error"
        notes = [n for n in verdict["notes"] if "allowed by" in n]
        if allowed == "pass":
            assert notes == [f"{outcome.campaign}: no decision, allowed by gate.{setting}: pass"]
            assert "the policy says pass for this error" in result.stdout
        else:
            assert notes == []
        run = next(c for c in campaign["checks"] if c["id"] == "run")
        assert run["expected"] == "a decision"
        assert run["actual"] == outcome.error_kind
        assert "ERROR run" in result.stdout
        assert f"expected: a decision; actual: {outcome.error_kind}" in result.stdout
    else:
        assert campaign["error"] is None
        assert campaign["error_policy"] is None
        assert campaign["run_id"]
        assert campaign["payload"]["decision"] in ("pass", "fail")
        assert campaign["dashboard_url"].startswith(sandbox.url)

    # The human summary on stdout: the head line and the failing checks with expected vs actual.
    state = "blocking" if code in (1, 3) else "not blocking"
    assert f"gate-runner: {outcome.outcome.upper()} ({state}, exit {code})" in result.stdout
    assert f"mode: {mode.mode} (policy:" in result.stdout
    if outcome.id == "fail":
        assert "FAIL threshold:min_pass_rate" in result.stdout
        assert "expected: >= 0.85; actual: 0.62" in result.stdout
        assert "FAIL decision" in result.stdout
    if outcome.id == "warn":
        assert "warn assertion:no-failing-tools" in result.stdout
        assert "expected: true; actual: false" in result.stdout
        assert "top failing tools: orders.lookup (2)" in result.stdout
    if outcome.id == "pass":
        assert "FAIL" not in result.stdout
        assert "ERROR" not in result.stdout


def test_server_error_500_is_no_decision(sandbox: Sandbox, tmp_path: Path) -> None:
    """A create that always answers 500 is retried until the deadline, then: no decision, 3."""
    write_policy(tmp_path)
    # Long enough that a loaded machine gets the first 500 back before the deadline (with 2 s
    # a starved run saw no answer at all, rightly a timeout); the retries end it sooner.
    result = check(sandbox, tmp_path, "--campaign", "server-error", "--timeout", "8")
    assert result.code == 3, result.describe()
    verdict = checked_verdict(result)
    campaign = verdict["campaigns"][0]
    assert (verdict["outcome"], verdict["blocking"], verdict["exit_code"]) == ("error", True, 3)
    assert campaign["status"] == "error"
    assert campaign["error"]["kind"] == "http"
    assert "500" in campaign["error"]["message"]
    assert campaign["payload"] is None
    assert "NO DECISION" in verdict["summary"]


def test_all_campaigns_at_once_the_worst_wins(sandbox: Sandbox, tmp_path: Path) -> None:
    """pass + fail + warn together in hard mode: blocked by the failure, each result kept."""
    write_policy(tmp_path)
    args = ["--campaign", "passing", "--campaign", "failing", "--campaign", "warning"]
    result = check(sandbox, tmp_path, *args)
    assert result.code == 1, result.describe()
    verdict = checked_verdict(result)
    assert verdict["outcome"] == "fail"
    assert [(c["key"], c["outcome"]) for c in verdict["campaigns"]] == [
        ("passing", "pass"),
        ("failing", "fail"),
        ("warning", "warn"),
    ]
    assert verdict["summary"].startswith("BLOCKED: 3 campaigns")


def test_enforcement_override_is_recorded_as_cli(sandbox: Sandbox, tmp_path: Path) -> None:
    write_policy(tmp_path, mode="hard")
    result = check(sandbox, tmp_path, "--campaign", "failing", "--enforcement", "soft")
    assert result.code == 0, result.describe()
    verdict = checked_verdict(result)
    assert verdict["enforcement"]["mode"] == "soft"
    assert verdict["enforcement"]["source"] == "cli"
    assert "--enforcement soft" in verdict["enforcement"]["reason"]
    campaign = verdict["campaigns"][0]
    assert campaign["enforcement"]["source"] == "cli"
    assert (campaign["outcome"], campaign["blocking"]) == ("fail", False)
    assert "REVIEW REQUIRED" in verdict["summary"]
    assert "mode: soft (cli:" in result.stdout


def test_enforcement_override_beats_the_campaign(sandbox: Sandbox, tmp_path: Path) -> None:
    write_policy(tmp_path, mode="observe", campaigns={"failing": {"enforcement": "observe"}})
    result = check(sandbox, tmp_path, "--enforcement", "hard")
    assert result.code == 1, result.describe()
    verdict = checked_verdict(result)
    assert verdict["campaigns"][0]["enforcement"]["source"] == "cli"
    assert verdict["campaigns"][0]["enforcement"]["mode"] == "hard"


def test_campaign_enforcement_is_recorded_as_campaign(sandbox: Sandbox, tmp_path: Path) -> None:
    """The policy says hard, one campaign says soft: that failure only asks for review."""
    write_policy(
        tmp_path,
        mode="hard",
        campaigns={"failing": {"enforcement": "soft"}, "passing": {}},
    )
    result = check(sandbox, tmp_path, "--soft-exit-code", "10")
    assert result.code == 10, result.describe()
    verdict = checked_verdict(result)
    failing = result.campaign("failing")
    assert failing["enforcement"]["mode"] == "soft"
    assert failing["enforcement"]["source"] == "campaign"
    assert failing["enforcement"]["location"]["path"] == "sepurux.yml"
    assert "campaign failing sets enforcement: soft" in failing["enforcement"]["reason"]
    assert failing["blocking"] is False
    passing = result.campaign("passing")
    assert passing["enforcement"]["source"] == "policy"
    assert passing["enforcement"]["mode"] == "hard"
    assert (verdict["outcome"], verdict["blocking"], verdict["exit_code"]) == ("fail", False, 10)


def test_schedule_entry_in_force_is_recorded_as_schedule(sandbox: Sandbox, tmp_path: Path) -> None:
    """The last schedule entry whose date has come wins over `enforcement.mode`."""
    schedule = [
        {"from": date(2020, 1, 1), "mode": "hard"},
        {"from": date(2021, 6, 1), "mode": "soft"},
        {"from": date(2099, 1, 1), "mode": "hard"},
    ]
    write_policy(tmp_path, mode="hard", schedule=schedule)
    result = check(sandbox, tmp_path, "--campaign", "failing")
    assert result.code == 0, result.describe()
    verdict = checked_verdict(result)
    assert verdict["enforcement"]["mode"] == "soft"
    assert verdict["enforcement"]["source"] == "schedule"
    assert "2021-06-01" in verdict["enforcement"]["reason"]
    assert verdict["campaigns"][0]["enforcement"]["source"] == "schedule"
    assert verdict["blocking"] is False
    assert "mode: soft (schedule:" in result.stdout


def test_waived_threshold_is_reported_not_counted(sandbox: Sandbox, tmp_path: Path) -> None:
    """A live waiver on the only failing local check: the check says waived, with the reason."""
    waivers = [
        {
            "campaign": "failing",
            "check": "min_pass_rate",
            "until": date(2099, 12, 31),
            "reason": "AGENT-1",
        },
        {
            "campaign": "failing",
            "check": "decision",
            "until": date(2099, 12, 31),
            "reason": "AGENT-1",
        },
    ]
    write_policy(tmp_path, campaigns={"failing": {}}, waivers=waivers)
    result = check(sandbox, tmp_path)
    assert result.code == 0, result.describe()
    verdict = checked_verdict(result)
    campaign = verdict["campaigns"][0]
    statuses = {c["id"]: c["status"] for c in campaign["checks"]}
    assert statuses["threshold:min_pass_rate"] == "waived"
    assert statuses["decision"] == "waived"
    assert campaign["outcome"] == "pass"
    waived = next(c for c in campaign["checks"] if c["id"] == "threshold:min_pass_rate")
    assert waived["waiver"] == {
        "until": "2099-12-31",
        "reason": "AGENT-1",
        "expired": False,
        "location": waived["waiver"]["location"],
    }


def test_waiver_on_a_threshold_alone_passes_the_campaign(sandbox: Sandbox, tmp_path: Path) -> None:
    """The service failed only because of the waived threshold: its decision is waived too."""
    waivers = [
        {
            "campaign": "failing",
            "check": "min_pass_rate",
            "until": date(2099, 12, 31),
            "reason": "AGENT-1",
        }
    ]
    write_policy(tmp_path, campaigns={"failing": {}}, waivers=waivers)
    result = check(sandbox, tmp_path)
    assert result.code == 0, result.describe()
    campaign = checked_verdict(result)["campaigns"][0]
    statuses = {c["id"]: c["status"] for c in campaign["checks"]}
    assert statuses["threshold:min_pass_rate"] == "waived"
    assert statuses["decision"] == "waived"
    decision = next(c for c in campaign["checks"] if c["id"] == "decision")
    assert "explained only by waived threshold min_pass_rate" in decision["message"]
    assert campaign["outcome"] == "pass"


def test_waiver_does_not_explain_another_failing_threshold(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """Waive max_unsafe (which passes) while min_pass_rate fails: still blocked."""
    waivers = [
        {"campaign": "failing", "check": "max_unsafe", "until": date(2099, 12, 31), "reason": "x"}
    ]
    write_policy(tmp_path, campaigns={"failing": {}}, waivers=waivers)
    result = check(sandbox, tmp_path)
    assert result.code == 1, result.describe()
    verdict = checked_verdict(result)
    assert failing_check_ids(verdict["campaigns"][0]) == ["decision", "threshold:min_pass_rate"]
    assert any("matches a passing check; it can be removed" in n for n in verdict["notes"])


def test_expired_waiver_no_longer_applies(sandbox: Sandbox, tmp_path: Path) -> None:
    waivers = [
        {
            "campaign": "failing",
            "check": "min_pass_rate",
            "until": date(2021, 1, 31),
            "reason": "old",
        },
        {"campaign": "failing", "check": "decision", "until": date(2021, 1, 31), "reason": "old"},
    ]
    write_policy(tmp_path, campaigns={"failing": {}}, waivers=waivers)
    result = check(sandbox, tmp_path)
    assert result.code == 1, result.describe()
    verdict = checked_verdict(result)
    campaign = verdict["campaigns"][0]
    assert failing_check_ids(campaign) == ["decision", "threshold:min_pass_rate"]
    assert all(c["waiver"]["expired"] for c in campaign["checks"] if c["waiver"])
    assert any("expired on 2021-01-31" in note for note in verdict["notes"])
    assert "waiver expired on 2021-01-31" in result.stdout
