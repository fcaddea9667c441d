"""Run `gate-runner` as a process in a directory, with a CI-free environment."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import gate_test_support as support

from .gitrepo import GIT_ENV


@dataclass
class Done:
    code: int
    stdout: str
    stderr: str


def run(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, drop: tuple[str, ...] = ()
) -> Done:
    full = support.clean_env({**GIT_ENV, **(env or {})}, token=None)
    for name in drop:
        full.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "gate_runner", *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return Done(done.returncode, done.stdout, done.stderr)
