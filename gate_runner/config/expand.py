"""Expansion of ${VAR} and ${VAR:-default} in string values, from a given environment."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from gate_runner.config.yaml_positions import Document, PathKey, where

# Why a variable may not go into a path or URL (a secret), or None; see secrets.secret_reason.
Refusal = Callable[[str], str | None]

# "$${" writes a literal "${".
_REFERENCE = re.compile(r"\$\$\{|\$\{([^}:]*)(?::-([^}]*))?\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Values that name a file or a server. A secret expanded into one travels to whatever the policy
# points at (a remote server's request log, the API origin) and into every message naming it.
_LOCATORS: tuple[tuple[object, ...], ...] = (
    ("extends", int),
    ("extends", int, "url"),
    ("extends", int, "git"),  # a credential goes in `auth`, never in the repository's URL
    ("extends", int, "ref"),
    ("extends", int, "path"),
    ("api", "base_url"),
    ("campaigns", str, "trace_file"),
)


def is_locator(path: PathKey) -> bool:
    """True for a value that is a path or a URL (an `extends` entry, api.base_url...)."""
    return any(
        len(path) == len(pattern)
        and all(
            isinstance(part, want) if isinstance(want, type) else part == want
            for part, want in zip(path, pattern, strict=True)
        )
        for pattern in _LOCATORS
    )


def secret_references(text: str, refuse: Refusal) -> list[tuple[str, str]]:
    """Each ``${NAME}`` in `text` that `refuse` gives a reason for, with that reason."""
    found: list[tuple[str, str]] = []
    for match in _REFERENCE.finditer(text):
        name = match.group(1)
        if name is None or not _NAME.match(name):
            continue
        reason = refuse(name)
        if reason is not None and (name, reason) not in found:
            found.append((name, reason))
    return found


_NEVER = (
    "a secret is never expanded into a path or URL, where a server's logs, a file name "
    "or a message would carry it: write the path or URL itself, or use a variable that "
    "holds no secret"
)


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


def expand_document(
    doc: Document, env: Mapping[str, str], refuse: Refusal | None = None
) -> list[tuple[PathKey, str]]:
    """Expand every string value in place (keys never); return the references that failed.

    refuse: a path or URL that names a variable it refuses is not expanded: the value becomes
    None (nothing follows it) and the problem is reported at its position.
    """
    problems_found: list[tuple[PathKey, str]] = []

    def walk(value: Any, path: PathKey) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, str) and "${" in value:
            refused = secret_references(value, refuse) if refuse and is_locator(path) else []
            if refused:
                problems_found.extend(
                    (path, f"{where(path)}: ${{{name}}} is a secret ({reason}); {_NEVER}")
                    for name, reason in refused
                )
                return None
            expanded, problems = expand_string(value, env)
            problems_found.extend((path, problem) for problem in problems)
            if expanded != value:
                doc.expanded.add(path)
            return expanded
        return value

    doc.data = walk(doc.data, ())
    return problems_found
