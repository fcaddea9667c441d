"""The fault matrix's cells that only a process shows: `gate-runner check` run for real.

test_fault_matrix.py runs every cell through the use case and its delivery in process. What
a process adds is the same for every cell (flags and environment read, output on the real
streams, signals, the exit status), so one process per way a fault can end runs here, each
against its own sandbox over loopback, on the default retry schedule:
  - create-500-once: a pass after a retried create, exit 0, one run re-attached;
  - create-500-always: the default five attempts with their real backoff, then exit 3;
  - wrong-token: the token from the process's environment refused, exit 3, and scrubbed.
A timeout and an error the policy allows end in a process in tests/cli/test_check_matrix.py.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gate_runner.sandbox import Sandbox

from .conftest import TOKEN, assert_no_traceback, clean_env, gate_policy, run_gate, write_policy
from .fault_cells import CAMPAIGN, REPORTS, Cell, Ran, assert_cell, cell, prepare

PROCESS_CELLS = ("create-500-once", "create-500-always", "wrong-token")


def run_cell(cell: Cell, directory: Path) -> Ran:
    scenario = prepare(cell, directory)
    reports = [f"--report={name}={path}" for name, path in REPORTS.items()]
    env = clean_env({"GATE_RUNNER_REQUEST_TIMEOUT": str(cell.request_timeout)}, token=cell.token)
    with Sandbox(scenario, host="127.0.0.1", port=0, token=TOKEN) as sandbox:
        args = ["check", "--api-url", sandbox.url, "--verdict", "verdict.json", *reports]
        started = time.monotonic()
        done = run_gate(args, directory, env)
        seconds = time.monotonic() - started
    return Ran(
        cell,
        done.returncode,
        done.stdout,
        done.stderr,
        directory,
        sandbox.runs_created,
        sandbox.request_counts(),
        seconds,
    )


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ran]:
    root = tmp_path_factory.mktemp("fault-processes")
    with ThreadPoolExecutor(max_workers=len(PROCESS_CELLS)) as pool:
        ran = pool.map(lambda name: run_cell(cell(name), root / name), PROCESS_CELLS)
        return {r.cell.id: r for r in ran}


@pytest.mark.slow  # a gate process per cell, one of them through the default backoff
@pytest.mark.parametrize("name", PROCESS_CELLS)
def test_fault_cell_as_a_process(name: str, processes: dict[str, Ran]) -> None:
    assert_cell(processes[name])


@pytest.mark.slow
def test_a_bad_request_timeout_is_a_usage_error(tmp_path: Path) -> None:
    # "soon" and the other values settings refuses: tests/test_settings.py, in process.
    write_policy(tmp_path / "sepurux.yml", gate_policy([CAMPAIGN]))
    env = clean_env({"GATE_RUNNER_REQUEST_TIMEOUT": "nan"})
    done = run_gate(["check", "--api-url", "http://127.0.0.1:9"], tmp_path, env)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "gate-runner: error: GATE_RUNNER_REQUEST_TIMEOUT must be a positive number of "
        "seconds, not 'nan'\n"
    )
    assert_no_traceback(done.stdout, done.stderr)
