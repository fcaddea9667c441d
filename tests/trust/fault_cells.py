"""The fault matrix's cells: every way the create and the poll request can go wrong.

Each cell is a sandbox fault and what `check` must make of it (DESIGN §3): a pass only after
a real pass decision, otherwise exit 3 with an error outcome (or exit 0 when the policy allows
errors, and the verdict says so), one line that says what happened, a valid verdict and
reports, no traceback, no token anywhere, and never a second run started by a retried create.
test_fault_matrix.py runs every cell in process; test_fault_processes.py runs as a process
the cells whose exit, files and output only a process shows.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from gate_runner.sandbox import Scenario

from .conftest import (
    TOKEN,
    assert_no_token,
    assert_no_token_in_files,
    assert_no_traceback,
    gate_policy,
    load_verdict,
    write_policy,
)

CAMPAIGN = "core"
# Seconds per request (GATE_RUNNER_REQUEST_TIMEOUT). A sandbox answer that is not faulted must
# come well within it with eight cells running at once on a loaded machine: 0.3 s left no
# room (a stalled answer is retried, and a cell then counts one create too many).
REQUEST_TIMEOUT = 2.0
# The slow cells count no creates, so a stalled unfaulted answer only costs a retry: their
# requests may time out sooner, and the fault outlasts it.
SLOW_REQUEST_TIMEOUT = 0.5
SLOW_DELAY = 1.5
# Longer than any cell's retries take on a loaded machine, so a fault that never clears ends
# with the retries given up, always the same way. Cells that end sooner never wait for it.
GATE_TIMEOUT = 60.0
# A run that never finishes times out whatever this is; it must leave the campaign list and
# the create time to pass on a loaded machine (in process: no start-up to wait for).
NEVER_FINISHES_TIMEOUT = 5.0
REPORTS = {"junit": "report.xml", "sarif": "report.sarif", "markdown": "report.md"}


@dataclass(frozen=True)
class Cell:
    """One fault and what the gate must make of it."""

    id: str
    row: str  # create, poll, or resolve (a fault met before any create: same for both rows)
    fault: dict[str, Any] | None  # a campaign fault for the sandbox
    code: int
    phrase: tuple[str, ...]  # all on one line of the output
    outcome: str = "error"
    status: str = "error"  # the campaign's status in the verdict
    kind: str | None = None  # the verdict's error kind
    gate_timeout: float = GATE_TIMEOUT
    on_error: str = "fail"
    on_timeout: str = "fail"
    api_url: str | None = None  # "closed": a 127.0.0.1 port nobody listens on
    token: str = TOKEN
    min_duration: float = 0.0  # the campaign took at least this long (Retry-After honoured)
    runs: int | None = None  # exactly this many runs started (None: at most one)
    creates: int | None = None  # exactly this many create requests seen
    request_timeout: float = REQUEST_TIMEOUT  # seconds per request (GATE_RUNNER_REQUEST_TIMEOUT)


def status(code: int, **extra: Any) -> dict[str, Any]:
    return {"kind": "status", "status": code, **extra}


PASS_LINE = ("decision pass",)

CELLS = [
    # --- the create request -------------------------------------------------------------
    Cell(
        "create-500-once",
        "create",
        # processed: the run starts, then the answer is a 500; the retry must re-attach.
        {"on": "create", **status(500, times=1, processed=True)},
        0,
        PASS_LINE,
        outcome="pass",
        status="done",
        runs=1,
        creates=2,
    ),
    Cell(
        "create-500-always",
        "create",
        {"on": "create", **status(500)},
        3,
        ("/v1/ci/runs answered 500", "gave up after 5 attempts"),
        kind="http",
        runs=0,
    ),
    Cell(
        "create-429-retry-after",
        "create",
        {"on": "create", **status(429, times=1, retry_after=1)},
        0,
        PASS_LINE,
        outcome="pass",
        status="done",
        min_duration=1.0,
        runs=1,
        creates=2,
    ),
    Cell(
        "create-429-always",
        "create",
        {"on": "create", **status(429, retry_after=1)},
        3,
        ("/v1/ci/runs answered 429", "gave up after 5 attempts"),
        kind="http",
        runs=0,
    ),
    Cell(
        "create-reset",
        "create",
        {"on": "create", "kind": "reset"},
        3,
        ("cannot reach POST", "Connection reset", "gave up after 5 attempts"),
        kind="unreachable",
        runs=0,
    ),
    Cell(
        "create-slow",
        "create",
        {"on": "create", "kind": "slow", "delay": SLOW_DELAY},
        3,
        ("no answer from POST", "within 0.5 s", "gave up after 5 attempts"),
        kind="unreachable",
        request_timeout=SLOW_REQUEST_TIMEOUT,
    ),
    Cell(
        "create-truncated",
        "create",
        {"on": "create", "kind": "truncated"},
        3,
        ("/v1/ci/runs answered 200 with invalid JSON",),
        kind="payload",
    ),
    Cell(
        "create-array",
        "create",
        {"on": "create", "kind": "array"},
        3,
        ("/v1/ci/runs answered an array where a JSON object was expected",),
        kind="payload",
    ),
    Cell(
        "create-wrong-types",
        "create",
        {"on": "create", "kind": "wrong_types", "fields": ["run_id", "batch_id"], "value": 42},
        3,
        ("answered without a non-empty string 'run_id' or 'batch_id'",),
        kind="payload",
    ),
    Cell(
        "create-missing-fields",
        "create",
        {"on": "create", "kind": "missing_fields"},
        3,
        ("answered without a non-empty string 'run_id' or 'batch_id'",),
        kind="payload",
    ),
    Cell(
        "create-status-failed",
        "create",
        {"on": "create", "kind": "wrong_types", "fields": ["status"], "value": "failed"},
        3,
        ("could not start the run (status failed)",),
        kind="run_failed",
    ),
    Cell(
        "create-401",
        "create",
        {"on": "create", **status(401, detail="Invalid API token")},
        3,
        ("answered 401", "check the token in SEPURUX_API_KEY"),
        kind="auth",
        runs=0,
        creates=1,
    ),
    Cell(
        "create-404",
        "create",
        {"on": "create", **status(404, detail="Campaign not found")},
        3,
        ("/v1/ci/runs answered 404: Campaign not found",),
        kind="not_found",
        runs=0,
        creates=1,
    ),
    # --- the poll request ---------------------------------------------------------------
    Cell(
        "poll-500-once",
        "poll",
        {"on": "poll", **status(500, times=1)},
        0,
        ("answered 500", "; retry 1 of 4 in "),
        outcome="pass",
        status="done",
        runs=1,
        creates=1,
    ),
    Cell(
        "poll-500-always",
        "poll",
        {"on": "poll", **status(500)},
        3,
        ("GET", "answered 500", "gave up after 5 attempts"),
        kind="http",
        runs=1,
    ),
    Cell(
        "poll-429-retry-after",
        "poll",
        {"on": "poll", **status(429, times=1, retry_after=1)},
        0,
        ("answered 429", "; retry 1 of 4 in "),
        outcome="pass",
        status="done",
        min_duration=1.0,
        runs=1,
    ),
    Cell(
        "poll-reset",
        "poll",
        {"on": "poll", "kind": "reset"},
        3,
        ("cannot reach GET", "Connection reset", "gave up after 5 attempts"),
        kind="unreachable",
        runs=1,
    ),
    Cell(
        "poll-slow",
        "poll",
        {"on": "poll", "kind": "slow", "delay": SLOW_DELAY},
        3,
        ("no answer from GET", "within 0.5 s", "gave up after 5 attempts"),
        kind="unreachable",
        runs=1,
        request_timeout=SLOW_REQUEST_TIMEOUT,
    ),
    Cell(
        "poll-truncated",
        "poll",
        {"on": "poll", "kind": "truncated"},
        3,
        ("answered 200 with invalid JSON",),
        kind="payload",
        runs=1,
    ),
    Cell(
        "poll-array",
        "poll",
        {"on": "poll", "kind": "array"},
        3,
        ("answered an array where a JSON object was expected",),
        kind="payload",
        runs=1,
    ),
    Cell(
        "poll-wrong-types",
        "poll",
        {"on": "poll", "kind": "wrong_types"},
        3,
        ("`pass_rate` is a string", "expected a number for min_pass_rate"),
        status="done",
        kind="payload",
        runs=1,
    ),
    Cell(
        "poll-missing-fields",
        "poll",
        {"on": "poll", "kind": "missing_fields"},
        3,
        ("the payload has no `pass_rate`, which min_pass_rate needs",),
        status="done",
        kind="payload",
        runs=1,
    ),
    Cell(
        "poll-status-failed",
        "poll",
        {"on": "poll", "kind": "run_failed"},
        3,
        ("could not finish the run (status failed)",),
        kind="run_failed",
        runs=1,
    ),
    Cell(
        "poll-never-finishes",
        "poll",
        {"on": "poll", "kind": "never_finishes"},
        3,
        ("no decision by the deadline", "still running"),
        status="timeout",
        kind="timeout",
        gate_timeout=NEVER_FINISHES_TIMEOUT,
        runs=1,
    ),
    Cell(
        "poll-401",
        "poll",
        {"on": "poll", **status(401, detail="Invalid API token")},
        3,
        ("answered 401", "check the token in SEPURUX_API_KEY"),
        kind="auth",
        runs=1,
    ),
    Cell(
        "poll-404",
        "poll",
        {"on": "poll", **status(404, detail="Run not found")},
        3,
        ("answered 404: Run not found",),
        kind="not_found",
        runs=1,
    ),
    # --- before any create: the same cell for both rows ---------------------------------
    Cell(
        "connection-refused",
        "resolve",
        None,
        3,
        ("cannot reach GET", "Connection refused", "gave up after 5 attempts"),
        kind="unreachable",
        api_url="closed",
        runs=0,
        creates=0,
    ),
    Cell(
        "wrong-token",
        "resolve",
        None,
        3,
        ("answered 401", "Invalid API token", "check the token in SEPURUX_API_KEY"),
        kind="auth",
        token="trust-WRONG-token-0b7e",
        runs=0,
        creates=0,
    ),
    Cell(
        "unknown-campaign",
        "resolve",
        None,
        3,
        ("campaign 'no-such-campaign' not found",),
        kind="not_found",
        runs=0,
        creates=0,
    ),
    # --- errors the policy allows: exit 0, and the verdict says so ----------------------
    Cell(
        "create-500-always-allowed",
        "create",
        {"on": "create", **status(500)},
        0,
        ("/v1/ci/runs answered 500",),
        kind="http",
        on_error="pass",
        runs=0,
    ),
    Cell(
        "poll-status-failed-allowed",
        "poll",
        {"on": "poll", "kind": "run_failed"},
        0,
        ("could not finish the run (status failed)",),
        kind="run_failed",
        on_error="pass",
        runs=1,
    ),
    Cell(
        "poll-never-finishes-allowed",
        "poll",
        {"on": "poll", "kind": "never_finishes"},
        0,
        ("no decision by the deadline",),
        status="timeout",
        kind="timeout",
        gate_timeout=NEVER_FINISHES_TIMEOUT,
        on_timeout="pass",
        runs=1,
    ),
]


def cell(cell_id: str) -> Cell:
    """The cell named `cell_id`."""
    (found,) = [c for c in CELLS if c.id == cell_id]
    return found


@dataclass
class Ran:
    """What one cell produced."""

    cell: Cell
    code: int
    stdout: str
    stderr: str
    directory: Path
    runs_created: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def describe(self) -> str:
        return (
            f"{self.cell.id}: exit {self.code} in {self.seconds:.1f} s, "
            f"{self.runs_created} run(s), requests {self.counts}\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )


def closed_port() -> int:
    """A 127.0.0.1 port that was just free: nothing listens there, so connects are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def prepare(cell: Cell, directory: Path) -> Scenario:
    """The cell's policy written in `directory` (made here); the scenario its sandbox serves."""
    directory.mkdir(parents=True)
    policy = gate_policy(
        [CAMPAIGN], timeout=cell.gate_timeout, on_error=cell.on_error, on_timeout=cell.on_timeout
    )
    if cell.id == "unknown-campaign":
        policy["campaigns"] = {CAMPAIGN: {"campaign": "no-such-campaign"}}
    write_policy(directory / "sepurux.yml", policy)
    return Scenario.from_dict(
        {
            "campaigns": [
                {
                    "name": CAMPAIGN,
                    "duration": 0.2,
                    "metrics": {"pass_rate": 0.95, "unsafe_attempts": 0},
                    "faults": [cell.fault] if cell.fault else [],
                }
            ]
        }
    )


def assert_cell(ran: Ran) -> None:
    """What DESIGN §3 promises for the cell: exit, line, verdict, runs, reports, no token."""
    cell = ran.cell
    assert ran.code == cell.code, ran.describe()
    assert_no_traceback(ran.stdout, ran.stderr)

    # One line that says what happened.
    lines = (ran.stdout + ran.stderr).splitlines()
    assert any(all(p in line for p in cell.phrase) for line in lines), (
        f"no line with {cell.phrase}\n" + ran.describe()
    )

    verdict = load_verdict(ran.directory / "verdict.json")
    (campaign,) = verdict["campaigns"]
    assert verdict["exit_code"] == cell.code
    assert verdict["interrupted"] is False
    assert campaign["key"] == CAMPAIGN
    assert campaign["outcome"] == cell.outcome, ran.describe()
    assert campaign["status"] == cell.status, ran.describe()
    assert (campaign["error"] or {}).get("kind") == cell.kind, ran.describe()
    if cell.outcome == "pass":
        assert verdict["outcome"] == "pass" and verdict["blocking"] is False
        assert campaign["payload"]["decision"] == "pass"
        assert campaign["payload"]["status"] == "done"
        assert {c["id"]: c["status"] for c in campaign["checks"]} == {
            "decision": "pass",
            "threshold:min_pass_rate": "pass",
            "threshold:max_unsafe": "pass",
        }
        assert campaign["error"] is None
    else:
        assert verdict["outcome"] == "error"
        allowed = "pass" in (cell.on_error, cell.on_timeout)
        assert verdict["blocking"] is not allowed
        assert campaign["blocking"] is not allowed
        assert campaign["error_policy"] == ("pass" if allowed else "fail")
        if allowed:
            setting = "on_timeout" if cell.kind == "timeout" else "on_error"
            note = f"{CAMPAIGN}: no decision, allowed by gate.{setting}: pass"
            assert note in verdict["notes"]
            assert note in ran.stdout
        errored = [c for c in campaign["checks"] if c["status"] == "error"]
        assert errored, "an error outcome names the check that could not be decided"
    assert campaign["duration_s"] >= cell.min_duration, ran.describe()

    # No second run from a retried create, and the request counts the cell expects.
    if cell.runs is None:
        assert ran.runs_created <= 1, ran.describe()
    else:
        assert ran.runs_created == cell.runs, ran.describe()
    if cell.creates is not None:
        assert ran.counts.get("POST /v1/ci/runs", 0) == cell.creates, ran.describe()

    # Every report is written, parses, and nothing holds the token.
    ElementTree.parse(ran.directory / REPORTS["junit"])
    sarif = json.loads((ran.directory / REPORTS["sarif"]).read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert (ran.directory / REPORTS["markdown"]).read_text(encoding="utf-8").strip()
    for token in {TOKEN, cell.token}:
        assert_no_token(ran.stdout, "stdout", token=token)
        assert_no_token(ran.stderr, "stderr", token=token)
        scanned = assert_no_token_in_files(ran.directory, token=token)
        assert scanned >= 1 + len(REPORTS)
