"""Every byte leaves through the channel, and every problem line has the one format."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

from support import run_gate

import gate_runner
from gate_runner.channel import Channel, problem_line

PACKAGE = Path(gate_runner.__file__).parent
CHANNEL = PACKAGE / "channel.py"
# What writes to a process stream without the channel's scrub and defuse.
_STREAMS = {("sys", "stdout"), ("sys", "stderr"), ("sys", "__stdout__"), ("sys", "__stderr__")}
_WRITERS = {("typer", "echo"), ("typer", "secho"), ("click", "echo"), ("click", "secho")}
_PROBLEM = re.compile(r"gate-runner[^:\n]*: (error|warning|note): ")


def _modules() -> list[Path]:
    return [path for path in sorted(PACKAGE.rglob("*.py")) if path != CHANNEL]


def _bypasses(path: Path, shown: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        where = f"{shown}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in _STREAMS | _WRITERS:
                found.append(f"{where}: {node.value.id}.{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "print":
                found.append(f"{where}: print()")
        elif isinstance(node, ast.ImportFrom) and node.module in {"sys", "typer", "click"}:
            names = {(node.module, alias.name) for alias in node.names}
            if names & (_STREAMS | _WRITERS):
                found.append(f"{where}: from {node.module} import ...")
    return found


def test_only_the_channel_writes_to_the_streams() -> None:
    found = [
        line
        for path in _modules()
        for line in _bypasses(path, str(path.relative_to(PACKAGE.parent)))
    ]
    assert found == [], "writes that bypass channel.py:\n" + "\n".join(found)


def test_the_check_sees_a_bypass(tmp_path: Path) -> None:
    module = tmp_path / "echoes.py"
    module.write_text(
        "import sys, typer\nfrom sys import stdout\n"
        "typer.echo('x')\nprint(1)\nsys.stderr.write('y')\n"
    )
    assert sorted(_bypasses(module, "echoes.py")) == [
        "echoes.py:2: from sys import ...",
        "echoes.py:3: typer.echo",
        "echoes.py:4: print()",
        "echoes.py:5: sys.stderr",
    ]


def test_no_module_but_the_channel_formats_a_problem_line() -> None:
    """`gate-runner: error: ` is written once, in channel.problem_line."""
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
        for path in _modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _PROBLEM.search(node.value)
    ]
    assert found == []
    text = CHANNEL.read_text(encoding="utf-8")
    assert text.count('f"gate-runner: {severity}: {message}"') == 1


def test_error_and_warning_lines_have_the_one_format() -> None:
    err = io.StringIO()
    channel = Channel(stdout=io.StringIO(), stderr=err)
    channel.error("no such file")
    channel.warning("a bar that can never pass")
    assert err.getvalue() == (
        f"{problem_line('error', 'no such file')}\n"
        f"{problem_line('warning', 'a bar that can never pass')}\n"
    )
    assert problem_line("error", "x") == "gate-runner: error: x"


def test_init_refusal_is_an_error_line(tmp_path: Path) -> None:
    (tmp_path / "sepurux.yml").write_text("mine", encoding="utf-8")
    done = run_gate(["init", "sepurux.yml"], cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "gate-runner: error: sepurux.yml already exists; use --force to overwrite it\n"
    )
    assert done.stdout == ""
