"""Asking the local git checkout, with a timeout; None whenever git cannot answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

GitRunner = Callable[[Sequence[str]], "str | None"]

GIT_TIMEOUT_S = 5.0


def git_runner(cwd: Path | None = None) -> GitRunner:
    """Runs `git ARGS` in cwd; its trimmed stdout, or None on any failure or empty answer."""

    def run(args: Sequence[str]) -> str | None:
        # The output channel imports this package, and `validate` (kept near the import
        # floor, bench/startup.py) never runs git; subprocess costs signal, selectors, locale.
        # late: loaded on the first git call
        import subprocess

        try:
            done = subprocess.run(
                ["git", *args],
                cwd=cwd,
                capture_output=True,
                text=True,
                timeout=GIT_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        out = done.stdout.strip()
        return out if done.returncode == 0 and out else None

    return run
