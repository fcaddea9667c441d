"""Every command meets an internal fault the same way: one line on stderr, exit 4, no traceback.

The fault is injected in a real process: a `python -c` prologue patches one function the
command calls, then runs the console entry point (`gate_runner.cli.main`) with the argv below.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support import Done, run_gate

from .conftest import clean_env, policy, write_json, write_yaml

# What each command calls early, made to raise as a bug would.
# Every test here runs gate-runner processes (seconds each on a loaded machine): slow.
pytestmark = pytest.mark.slow

BOOM = "def boom(*args, **kwargs):\n    raise RuntimeError('injected fault')\n"
LOAD_POLICY = "import gate_runner.config as target; target.load_policy = boom"
CASES: dict[str, tuple[str, list[str]]] = {
    "validate": (
        "import gate_runner.config as target; target.check_files = boom",
        ["validate", "sepurux.yml"],
    ),
    # The fast path declines (as it does for --help or a bad flag): typer runs validate.
    "validate-typer": (
        "import gate_runner.cli.fast_validate as fv, gate_runner.config as target\n"
        "fv.fast_path = lambda argv: None; target.check_files = boom",
        ["validate", "sepurux.yml"],
    ),
    "explain": (LOAD_POLICY, ["explain", "--config", "sepurux.yml"]),
    "schema": (
        "import importlib.resources as target; target.files = boom",
        ["schema", "--verdict"],
    ),
    "init": (
        "import gate_runner.templates as target; target.starter_files = boom",
        ["init", "new.yml"],
    ),
    "check": (LOAD_POLICY, ["check", "--config", "sepurux.yml", "--dry-run"]),
    "evaluate": (LOAD_POLICY, ["evaluate", "--payload", "payload.json"]),
    "test": (LOAD_POLICY, ["test", "cases"]),
    "sandbox": (
        "import gate_runner.sandbox as target; target.Sandbox.start = boom",
        ["sandbox"],
    ),
}


def run_with_fault(prologue: str, argv: list[str], cwd: Path) -> Done:
    code = (
        f"{BOOM}{prologue}\n"
        "import sys\n"
        f"sys.argv = ['gate-runner', *{argv!r}]\n"
        "from gate_runner.cli import main\n"
        "main()\n"
    )
    # The launcher with `python -c CODE` for `python -m gate_runner`: the same process, faulted.
    return run_gate([], cwd=cwd, env=clean_env(), command=[sys.executable, "-c", code])


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    write_yaml(tmp_path / "sepurux.yml", policy({"only": {}}))
    write_json(tmp_path / "payload.json", {"status": "done", "decision": "pass"})
    write_yaml(
        tmp_path / "cases" / "one.yml",
        {"payload": {"status": "done", "decision": "pass"}, "expect": {"outcome": "pass"}},
    )
    return tmp_path


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_internal_fault_is_one_line_and_exit_4(name: str, workdir: Path) -> None:
    prologue, argv = CASES[name]
    done = run_with_fault(prologue, argv, workdir)
    assert done.returncode == 4, f"{name}: exit {done.returncode}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("gate-runner: internal error (")
    assert "This is a bug in gate-runner" in lines[0]


def test_debug_shows_the_traceback(workdir: Path) -> None:
    prologue, argv = CASES["check"]
    done = run_with_fault(prologue, [*argv, "--debug"], workdir)
    assert done.returncode == 4
    assert "Traceback (most recent call last)" in done.stderr
    assert "RuntimeError: injected fault" in done.stderr
