"""Run `gate-runner` as a process in a directory, with a CI-free environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import support

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
    done = support.run_gate(args, cwd=cwd, env=full)
    assert "Traceback" not in done.stderr, done.stderr
    return Done(done.code, done.stdout, done.stderr)
