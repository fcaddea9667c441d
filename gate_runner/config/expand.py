"""Expansion of ${VAR} and ${VAR:-default} in string values, from a given environment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gate_runner.config.yaml_positions import Document, PathKey

# "$${" writes a literal "${".
_REFERENCE = re.compile(r"\$\$\{|\$\{([^}:]*)(?::-([^}]*))?\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def expand_string(text: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """Return the expanded text and the problems found (unset or malformed references)."""
    problems: list[str] = []

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name, default = match.group(1), match.group(2)
        if not _NAME.match(name):
            problems.append(
                f"'{match.group(0)}' is not a variable reference: "
                "write ${NAME} or ${NAME:-default}"
            )
            return match.group(0)
        if name in env:
            return env[name]
        if default is not None:
            return default
        problems.append(
            f"environment variable {name} is not set and has no default: "
            f"set it, or write ${{{name}:-default}}"
        )
        return ""

    return _REFERENCE.sub(replace, text), problems


def expand_document(doc: Document, env: Mapping[str, str]) -> list[tuple[PathKey, str]]:
    """Expand every string value in place (keys never); return the references that failed."""
    problems_found: list[tuple[PathKey, str]] = []

    def walk(value: Any, path: PathKey) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, str) and "${" in value:
            expanded, problems = expand_string(value, env)
            problems_found.extend((path, problem) for problem in problems)
            if expanded != value:
                doc.expanded.add(path)
            return expanded
        return value

    doc.data = walk(doc.data, ())
    return problems_found
