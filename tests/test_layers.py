"""The layers hold without tricks: no module imports a higher layer, late imports say why."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import gate_runner

PACKAGE = Path(gate_runner.__file__).parent

# THE layer order, lowest first. A module belongs to the layer of its longest matching
# prefix; it may import its own layer and any lower one, never a higher one.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "base",
        (
            "gate_runner",  # the package itself (__version__ only), not what is under it
            "gate_runner.errors",
            "gate_runner.files",
            "gate_runner.untrusted_json",
            "gate_runner.indented_json",
            "gate_runner.safe_text",
            "gate_runner.provenance",
            "gate_runner.loopback",
            "gate_runner.origins",
            "gate_runner.expressions",
            "gate_runner.statistics",
            "gate_runner.policy",
            "gate_runner.thresholds",
            "gate_runner.verdict",
            "gate_runner.verdict_json",
            "gate_runner.saved_payloads",
            "gate_runner.trials",
            "gate_runner.templates",
        ),
    ),
    # Detection and the output channel: what the running CI is, what is secret, where bytes go,
    # which policy files the repository holds (monorepo.discover: git ls-files, no judging).
    (
        "detection",
        (
            "gate_runner.ci",
            "gate_runner.secrets",
            "gate_runner.channel",
            "gate_runner.monorepo.discover",
            # The few git commands (no judging): config reads `extends: {git}` files with them.
            "gate_runner.git_commands",
        ),
    ),
    ("config", ("gate_runner.config",)),
    (
        "settings",
        (
            "gate_runner.settings",
            "gate_runner.evaluate",
            "gate_runner.enforce",
            "gate_runner.modes",
            "gate_runner.sandbox",
        ),
    ),
    ("api", ("gate_runner.api",)),
    (
        "judging",
        (
            "gate_runner.campaign_result",
            "gate_runner.run_checks",
            "gate_runner.repeats",
            "gate_runner.governance",
            "gate_runner.report",
        ),
    ),
    ("running", ("gate_runner.runner", "gate_runner.forges")),
    ("several", ("gate_runner.monorepo", "gate_runner.policy_tests")),
    ("use case", ("gate_runner.check_plan", "gate_runner.use_case")),
    # Entry points: the command line and the pre-commit hook (which runs `validate`).
    (
        "entry",
        (
            "gate_runner.cli",
            "gate_runner.__main__",
            "gate_runner.cli.precommit_hook",
            "gate_runner.hook",
        ),
    ),
)


def layer_of(module: str) -> int:
    """The rank of the layer a module belongs to (its longest matching prefix)."""
    best, rank = "", -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            # The root matches only itself: a new module must be given its layer.
            below = prefix != "gate_runner" and module.startswith(prefix + ".")
            matches = module == prefix or below
            if matches and len(prefix) > len(best):
                best, rank = prefix, index
    return rank


@dataclass(frozen=True)
class Import:
    where: str  # file:line
    importer: str
    target: str
    late: bool  # inside a function
    comment: str  # the source lines the statement spans, and the one above it


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        parts = module.split(".") if is_package else module.split(".")[:-1]
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join(parts + ([node.module] if node.module else []))
    for alias in node.names:
        # `from gate_runner import channel` imports the module gate_runner.channel
        submodule = f"{base}.{alias.name}"
        relative = Path(*submodule.split("."))
        is_module = (PACKAGE.parent / relative).with_suffix(".py").exists()
        yield submodule if is_module or (PACKAGE.parent / relative).is_dir() else base


def _walk(node: ast.AST, path: Path, lines: list[str], late: bool) -> Iterator[Import]:
    module = _module_name(path)
    for child in ast.iter_child_nodes(node):
        inner = late or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            first, last = child.lineno, child.end_lineno or child.lineno
            comment = "\n".join(lines[max(first - 2, 0) : last])
            for target in _targets(child, module, path.name == "__init__.py"):
                if target == "gate_runner" or target.startswith("gate_runner."):
                    where = f"{path.relative_to(PACKAGE.parent)}:{child.lineno}"
                    yield Import(where, module, target, late, comment)
        yield from _walk(child, path, lines, inner)


@functools.cache
def imports() -> tuple[Import, ...]:
    """Every import of our own modules: at the top of a file, or inside a function (late).

    Read once per test process: four tests ask, and parsing the package takes seconds."""
    found: list[Import] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        found += _walk(ast.parse(source, str(path)), path, source.splitlines(), False)
    return tuple(found)


def test_every_module_has_a_layer() -> None:
    missing = sorted({i.importer for i in imports() if layer_of(i.importer) < 0})
    assert missing == [], f"modules in no layer (add them to LAYERS): {missing}"


def test_no_module_imports_a_higher_layer() -> None:
    upward = [
        f"{i.where}: {i.importer} ({LAYERS[layer_of(i.importer)][0]}) imports "
        f"{i.target} ({LAYERS[layer_of(i.target)][0]})"
        for i in imports()
        if layer_of(i.target) > layer_of(i.importer)
    ]
    assert upward == [], "imports of a higher layer:\n" + "\n".join(upward)


def test_every_late_import_says_why() -> None:
    unexplained = [
        f"{i.where}: {i.target} imported inside a function without a `# late: <why>` comment"
        for i in imports()
        if i.late and "# late: " not in i.comment
    ]
    assert unexplained == [], "\n".join(unexplained)


def test_no_module_getattr() -> None:
    """A module-level __getattr__ hides an import from every reader and from this test."""
    tricks = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.FunctionDef) and node.name in {"__getattr__", "__dir__"}
    ]
    assert tricks == []


def test_the_table_sees_an_upward_import() -> None:
    """The rule's own check: a lower layer importing the command line is caught."""
    assert layer_of("gate_runner.cli.common") > layer_of("gate_runner.ci.github")
    assert layer_of("gate_runner.cli.precommit_hook") == layer_of("gate_runner.cli")
    assert layer_of("gate_runner.verdict") < layer_of("gate_runner.config.load")
    assert layer_of("gate_runner.statistics.plan") == 0
    assert layer_of("gate_runner.not_yet_placed") == -1
