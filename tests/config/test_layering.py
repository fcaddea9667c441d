"""The policy layer imports nothing from governance/, and each ordering rule has one owner."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import gate_runner

PACKAGE = Path(gate_runner.__file__).parent
# The ordering rules floors and the policy diff share (issue 20): one definition each.
ORDERINGS = {"MODE_RANK", "OUTCOME_RANK", "threshold_effect", "by_rank", "Effect"}


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _defined(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_no_config_module_imports_governance() -> None:
    upward = {
        f"{path.name}: {module}"
        for path in sorted((PACKAGE / "config").glob("*.py"))
        for module in _imported(path)
        if module.startswith("gate_runner.governance")
    }
    assert upward == set()


def test_loading_floors_loads_no_governance_module() -> None:
    code = (
        "import sys, gate_runner.config.floors\n"
        "print(sorted(m for m in sys.modules if m.startswith('gate_runner.governance')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_each_ordering_rule_has_one_owner() -> None:
    owners: dict[str, list[str]] = {name: [] for name in ORDERINGS}
    for path in sorted(PACKAGE.rglob("*.py")):
        for name in _defined(path) & ORDERINGS:
            owners[name].append(str(path.relative_to(PACKAGE)))
    assert owners == {
        "MODE_RANK": ["policy.py"],
        "OUTCOME_RANK": ["policy.py"],
        "threshold_effect": ["thresholds.py"],
        "by_rank": ["thresholds.py"],
        "Effect": ["thresholds.py"],
    }
