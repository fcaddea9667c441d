"""Shared helpers of the trust suites: a clean environment, the CLI as a process, verdict checks.

Every run is `python -m gate_runner` in its own directory, against an API on 127.0.0.1 only,
with a recognisable token that must never come out anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import support
import yaml
from support import Done, gate_command, validate_verdict

# The suites below import the launcher's argv from here.
__all__ = ["gate_command"]

# The API token every run uses; any sighting of it outside an ::add-mask:: line is a leak.
TOKEN = "trust-TOKEN-7c41d9-never-print-me"


def clean_env(
    extra: Mapping[str, str] | None = None, *, token: str | None = TOKEN
) -> dict[str, str]:
    """This process's environment without CI variables, plus the token and `extra`."""
    return support.clean_env(extra, token=token)


def run_gate(
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    *,
    timeout: float = support.cli.RUN_TIMEOUT_S,
    **popen: Any,
) -> Done:
    """`gate-runner ARGS` as a process, its output captured."""
    return support.run_gate(args, cwd=cwd, env=env, timeout=timeout, **popen)


def write_policy(path: Path, document: Mapping[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(dict(document), sort_keys=False), encoding="utf-8")
    return path


def gate_policy(
    campaigns: Sequence[str],
    *,
    timeout: float = 30,
    on_error: str = "fail",
    on_timeout: str = "fail",
    mode: str = "hard",
) -> dict[str, Any]:
    """A hard-mode policy with two thresholds every sandbox campaign passes by default."""
    return {
        "version": 1,
        "gate": {
            "timeout": timeout,
            "concurrency": 4,
            "on_error": on_error,
            "on_timeout": on_timeout,
        },
        "enforcement": {"mode": mode},
        "thresholds": {"min_pass_rate": 0.85, "max_unsafe": 0},
        "campaigns": {name: {"campaign": name} for name in campaigns},
    }


# -- checks ---------------------------------------------------------------------------------


def load_verdict(path: Path) -> dict[str, Any]:
    """The verdict at `path`, valid against its schema (Draft 2020-12, formats checked)."""
    assert path.is_file(), f"no verdict at {path}"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    validate_verdict(data)
    return data


def assert_no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback (most recent call last)" not in text, text


def assert_no_token(text: str, where: str, *, token: str = TOKEN) -> None:
    """`token` nowhere in `text`, except in GitHub's own ::add-mask:: command."""
    leaks = [
        line for line in text.splitlines() if token in line and not line.startswith("::add-mask::")
    ]
    assert not leaks, f"the token leaked into {where}: {leaks[:3]}"


def assert_no_token_in_files(directory: Path, *, token: str = TOKEN) -> int:
    """No file under `directory` holds the token; the number of files scanned."""
    scanned = 0
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            scanned += 1
            assert token not in path.read_text(encoding="utf-8", errors="replace"), (
                f"the token leaked into {path}"
            )
    return scanned
