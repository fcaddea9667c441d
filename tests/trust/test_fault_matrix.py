"""The fault matrix, in process: every cell through the `check` use case and its delivery.

Each cell starts its own sandbox (so its run and request counts are the cell's own) and runs
what `gate-runner check` runs between reading its flags and exiting (support.in_process: the
use case with the real client over loopback, the CLI's progress lines and delivery).
The client retries on a fast schedule (same attempts, shorter backoff), so a fault that never
clears is given up in a fraction of a second instead of the 7.5 s the default backoff takes:
what is asserted (attempts, counts, lines, files) does not depend on the backoff. The argv,
the environment, the signals and the exit of a real process are the same for every cell;
test_fault_processes.py runs the cells whose outcomes differ at that level as processes.

The cells run in parallel once per module (some wait on Retry-After, a request timeout or a
deadline); each test then checks one cell.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support.in_process import check_in_process

from gate_runner import use_case
from gate_runner.api import SepuruxClient
from gate_runner.api.retry import RetryPolicy
from gate_runner.check_plan import CheckRequest
from gate_runner.policy import Policy
from gate_runner.sandbox import Sandbox

from .conftest import TOKEN
from .fault_cells import CELLS, REPORTS, Cell, Ran, assert_cell, closed_port, prepare

# The default's five attempts, each wait a few hundredths of a second (Retry-After is still
# honoured in full: the 429 cells wait their second).
FAST_RETRY = RetryPolicy(base=0.02, cap=0.05)


def fast_retries(
    base_url: str, token: str, policy: Policy, request_timeout: float
) -> SepuruxClient:
    """The client `check` makes, on the fast retry schedule."""
    client = use_case.connect(base_url, token, policy, request_timeout)
    client.retry = FAST_RETRY
    return client


def run_cell(cell: Cell, directory: Path) -> Ran:
    scenario = prepare(cell, directory)
    env = {"SEPURUX_API_KEY": cell.token, "GATE_RUNNER_REQUEST_TIMEOUT": str(cell.request_timeout)}
    reports = [f"{name}={path}" for name, path in REPORTS.items()]
    with Sandbox(scenario, host="127.0.0.1", port=0, token=TOKEN) as sandbox:
        url = f"http://127.0.0.1:{closed_port()}" if cell.api_url == "closed" else sandbox.url
        request = CheckRequest(configs=(directory / "sepurux.yml",), api_url=url)
        started = time.monotonic()
        done = check_in_process(
            request,
            directory,
            env=env,
            verdict=directory / "verdict.json",
            reports=reports,
            client=fast_retries,
        )
        seconds = time.monotonic() - started
    # Read after stop: a slow create still being handled has finished by now.
    return Ran(
        cell,
        done.code,
        done.stdout,
        done.stderr,
        directory,
        sandbox.runs_created,
        sandbox.request_counts(),
        seconds,
    )


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ran]:
    root = tmp_path_factory.mktemp("fault-matrix")
    with ThreadPoolExecutor(max_workers=8) as pool:
        return {r.cell.id: r for r in pool.map(lambda c: run_cell(c, root / c.id), CELLS)}


def test_the_matrix_covers_every_fault_on_both_requests() -> None:
    faults = {
        "500-once",
        "500-always",
        "429-retry-after",
        "reset",
        "slow",
        "truncated",
        "array",
        "wrong-types",
        "missing-fields",
        "status-failed",
        "401",
        "404",
    }
    ids = {c.id for c in CELLS}
    for row in ("create", "poll"):
        missing = {f for f in faults if f"{row}-{f}" not in ids}
        assert not missing, f"{row} row lacks {sorted(missing)}"
    assert {"poll-never-finishes", "connection-refused"} <= ids
    assert len(ids) == len(CELLS), "cell ids must be unique"


@pytest.mark.slow  # the matrix: the cells wait on Retry-After, request timeouts, a deadline
@pytest.mark.parametrize("cell", CELLS, ids=[c.id for c in CELLS])
def test_fault_cell(cell: Cell, matrix: dict[str, Ran]) -> None:
    assert_cell(matrix[cell.id])
