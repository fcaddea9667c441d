"""`--help` of every command against its golden text, and what a help loads (issue 18, start-up)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from support import clean_env, run_gate

GOLDEN = Path(__file__).parent / "golden" / "help"
SCRIPT = Path(sys.executable).parent / "gate-runner"
COMMANDS = (
    "validate", "explain", "schema", "init", "check", "evaluate", "test", "sandbox", "diff",
    "record", "replay", "history", "history prune",
)  # fmt: skip
# What `--help` must not load: rich's boxes, pydantic (typer coerces values with it) and the
# core a command runs; each costs tens of milliseconds of a start-up bench/startup.py holds
# within 1.3x of importing yaml, jsonschema and jmespath.
HEAVY = (
    "rich", "pydantic", "jsonschema", "requests", "http.server", "gate_runner.verdict",
    "gate_runner.api", "gate_runner.forges", "gate_runner.sandbox", "gate_runner.governance",
    "gate_runner.statistics", "gate_runner.runner", "gate_runner.report.html",
)  # fmt: skip


def _help(args: list[str]) -> str:
    # The console script, as a user runs it: its name is the one the usage line shows.
    done = run_gate(
        [*args, "--help"], env=clean_env({"COLUMNS": "80"}, token=None), command=[str(SCRIPT)]
    )
    assert (done.code, done.stderr) == (0, ""), done.describe()
    return done.stdout


def _matches_golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"{path} is missing: run UPDATE_GOLDEN=1 pytest {__file__}"
    assert text == path.read_text(encoding="utf-8"), f"{path} differs (UPDATE_GOLDEN=1 to accept)"


def test_the_help_lists_every_command_with_its_whole_summary() -> None:
    text = _help([])
    _matches_golden("gate-runner", text)
    # click would cut a summary at the width with "..."; each shows its first paragraph.
    assert "..." not in text.partition("Commands:")[2]
    assert "origin, and today's mode, and what each campaign's settings" in text


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_help_matches_its_golden(command: str) -> None:
    _matches_golden(command.replace(" ", "-"), _help(command.split()))


@pytest.mark.parametrize("args", [["--help"], ["check", "--help"]])
def test_a_help_loads_neither_rich_nor_pydantic_nor_the_core(args: list[str]) -> None:
    done = run_gate(
        args,
        env=clean_env(token=None),
        command=[sys.executable, "-X", "importtime", "-m", "gate_runner"],
    )
    assert done.code == 0, done.describe()
    loaded = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "gate_runner.cli.typer_app" in loaded  # the import times were read
    heavy = sorted(m for m in loaded if any(m == h or m.startswith(f"{h}.") for h in HEAVY))
    assert heavy == []
