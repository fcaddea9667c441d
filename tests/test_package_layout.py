"""Names and folders: one name per thing, private modules stay private, no dead code, tests mirror.

Each rule is a function over a checkout's root, so it can be run against any tree (the test
runs it against this one); docs/architecture.md states the rules these hold.
"""

from __future__ import annotations

import ast
import re
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Module names several packages share on purpose, each for the same part of a plugin family:
# the forge core and each forge's implementation (forges/comment.py, forges/github/comment.py),
# a registry per family, and the report formats named after the forge whose format they write
# (report/github.py, the `--report github` annotations, beside ci/github.py, GitHub Actions).
SHARED_MODULE_NAMES = frozenset(
    {"__init__", "__main__", "api", "comment", "review", "statuses", "registry", "github", "gitlab"}
    | {"approvals"}  # each forge's reader of the policy owners' approvals (issue 20)
)
# Plugin families: each member implements the family's interface under the interface's names
# (a CI vendor's `context`, a forge's `publish`, a format's `render`, a command's function).
PLUGIN_FOLDERS = ("ci", "forges", "report", "cli")
# Test folders that gather one theme across packages, not one package.
THEME_TEST_FOLDERS = frozenset({"hostile", "trust", "integrations", "support", "vendor"})
# Test folders that hold data, not tests.
DATA_TEST_FOLDERS = frozenset({"golden", "cases", "schemas", "__pycache__"})
# Renderers name their entry points alike, as report formats do (render, render_text, ...).
RENDERER_NAMES = frozenset({"render", "render_text", "render_json", "render_markdown"})
# Names that are called by a framework, not by us: jmespath's and http.server's hooks.
FRAMEWORK_HOOKS = re.compile(r"^(do_[A-Z]+|visit_\w+|log_message|handle_error)$")


def _modules(root: Path) -> list[Path]:
    return sorted((root / "gate_runner").rglob("*.py"))


def _dotted(root: Path, path: Path) -> str:
    return ".".join(path.relative_to(root).with_suffix("").parts)


def _is_module(root: Path, dotted: str) -> bool:
    path = root.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def shared_module_names(root: Path) -> dict[str, list[str]]:
    """Module names that several packages use, beyond the plugin families' shared parts."""
    where: defaultdict[str, list[str]] = defaultdict(list)
    for path in _modules(root):
        where[path.stem].append(_dotted(root, path))
    return {
        name: places
        for name, places in where.items()
        if len(places) > 1 and name not in SHARED_MODULE_NAMES
    }


def private_imports(root: Path) -> list[str]:
    """`importer -> module` where module is private to a package the importer is not in."""
    found = []
    for path in _modules(root):
        importer = _dotted(root, path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if not name.startswith("gate_runner.") or not _is_module(root, name):
                    continue  # a name from a module, not a module
                parts = name.split(".")
                for i, part in enumerate(parts):
                    if part.startswith("_") and not part.startswith("__"):
                        owner = ".".join(parts[:i])
                        if owner.startswith("gate_runner") and not importer.startswith(owner):
                            found.append(f"{importer} -> {name}")
                        break
    return found


def duplicate_public_names(root: Path) -> dict[str, list[str]]:
    """Top-level public functions and classes of one name in several core modules."""
    where: defaultdict[str, list[str]] = defaultdict(list)
    for path in _modules(root):
        dotted = _dotted(root, path)
        if dotted.split(".")[1] in PLUGIN_FOLDERS:
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
                where[node.name].append(dotted)
    return {
        name: places
        for name, places in where.items()
        if len(places) > 1 and name not in RENDERER_NAMES
    }


def uncalled_definitions(root: Path) -> list[str]:
    """Top-level public functions and classes nothing in the package or the benches names."""
    texts = {path: path.read_text(encoding="utf-8") for path in _modules(root)}
    users = "\n".join([*texts.values(), *(p.read_text() for p in (root / "bench").glob("*.py"))])
    named = Counter(re.findall(r"\w+", users))
    found = []
    for path, text in texts.items():
        for node in ast.parse(text).body:
            if not isinstance(node, ast.FunctionDef | ast.ClassDef):
                continue
            if node.name.startswith("_") or FRAMEWORK_HOOKS.match(node.name):
                continue
            if named[node.name] < 2:  # its definition is the one mention
                found.append(f"{_dotted(root, path)}.{node.name}")
    return found


def unmirrored_test_folders(root: Path) -> list[str]:
    """Test folders that are neither a package of gate_runner nor a theme."""
    tests = root / "tests"
    found = []
    for folder in sorted(p for p in tests.rglob("*") if p.is_dir()):
        relative = folder.relative_to(tests)
        if set(relative.parts) & DATA_TEST_FOLDERS or relative.parts[0] in THEME_TEST_FOLDERS:
            continue
        if not (root / "gate_runner" / relative / "__init__.py").is_file():
            found.append(str(relative))
    return found


def test_no_two_modules_share_a_name_for_different_things() -> None:
    assert shared_module_names(ROOT) == {}


def test_no_private_module_is_imported_from_outside_its_package() -> None:
    assert private_imports(ROOT) == []


def test_no_two_core_functions_or_classes_share_a_name() -> None:
    assert duplicate_public_names(ROOT) == {}


def test_every_public_definition_has_a_caller_outside_the_tests() -> None:
    assert uncalled_definitions(ROOT) == []


def test_every_test_folder_mirrors_a_package_or_gathers_a_theme() -> None:
    assert unmirrored_test_folders(ROOT) == []


def test_the_rules_see_what_they_forbid(tmp_path: Path) -> None:
    # A tree with one breach of each rule: each check must name it.
    package = tmp_path / "gate_runner"
    for folder in ("api", "sandbox", "report", "statistics"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "api" / "items.py").write_text("def decide():\n    return 1\n")
    (package / "sandbox" / "items.py").write_text("def decide():\n    return 2\n")
    (package / "report" / "_shared.py").write_text("def used():\n    return 3\n")
    (package / "statistics" / "plan.py").write_text(
        "from gate_runner.report._shared import used\n\n\ndef unused():\n    return used()\n"
    )
    (tmp_path / "bench").mkdir()
    (tmp_path / "tests" / "e2e").mkdir(parents=True)
    assert shared_module_names(tmp_path) == {
        "items": ["gate_runner.api.items", "gate_runner.sandbox.items"]
    }
    assert private_imports(tmp_path) == [
        "gate_runner.statistics.plan -> gate_runner.report._shared"
    ]
    assert duplicate_public_names(tmp_path) == {
        "decide": ["gate_runner.api.items", "gate_runner.sandbox.items"]
    }
    assert "gate_runner.statistics.plan.unused" in uncalled_definitions(tmp_path)
    assert unmirrored_test_folders(tmp_path) == ["e2e"]
