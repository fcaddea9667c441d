"""The one way a test runs `gate-runner` as a process: a CI-free environment, output captured."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# `python -m gate_runner`: the installed entry point, without depending on PATH.
GATE = (sys.executable, "-m", "gate_runner")

# Generous: a loaded 2-core machine (4x load) runs the slowest command in a few seconds; the
# figure only stops a hung process from hanging the suite.
RUN_TIMEOUT_S = 120.0

# Variables that would make the runner think it is in CI, or point it somewhere else.
_STRIPPED_PREFIXES = (
    "GITHUB_",
    "GITLAB_",
    "CI_",
    "CIRCLE",
    "JENKINS_",
    "BUILDKITE",
    "BITBUCKET_",
    "SYSTEM_",
    "BUILD_",
    "TF_BUILD",
    "TEAMCITY_",
    "HUDSON_",
    "SEPURUX_",
    "GATE_RUNNER_",
)
_STRIPPED = {"CI", "RUNNER_TEMP", "GIT_DIR", "GIT_WORK_TREE"}


def clean_env(
    extra: Mapping[str, str] | None = None,
    *,
    token: str | None,
    token_var: str = "SEPURUX_API_KEY",
    strip: tuple[str, ...] = (),
    drop: Sequence[str] = (),
) -> dict[str, str]:
    """This process's environment without CI variables, plus the token and `extra`, less `drop`."""
    prefixes = _STRIPPED_PREFIXES + strip
    env = {k: v for k, v in os.environ.items() if k not in _STRIPPED and not k.startswith(prefixes)}
    env.update(PYTHONUNBUFFERED="1", NO_COLOR="1")
    if token is not None:
        env[token_var] = token
    env.update(extra or {})
    for name in drop:
        env.pop(name, None)
    return env


def gate_command(args: Sequence[str]) -> list[str]:
    """The argv that runs `gate-runner ARGS`."""
    return [*GATE, *args]


@dataclass
class Done:
    """One finished `gate-runner` process."""

    args: list[str]
    code: int
    stdout: str
    stderr: str

    @property
    def returncode(self) -> int:
        """`subprocess.CompletedProcess`'s name for `code`."""
        return self.code

    def describe(self) -> str:
        return (
            f"gate-runner {' '.join(self.args)} -> {self.code}\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )


def run_gate(
    args: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = RUN_TIMEOUT_S,
    input: str | None = None,
    command: Sequence[str] = GATE,
    **popen: Any,
) -> Done:
    """`gate-runner ARGS` in `cwd` with `env` (default: `clean_env(token=None)`), to its end.

    `env` is the whole environment: build it with `clean_env`. `command` replaces the
    `python -m gate_runner` prefix (an installed console script, say); `popen` goes to
    `subprocess.run` as is (a `preexec_fn`, say).
    """
    argv = list(args)
    done = subprocess.run(
        [*command, *argv],
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(token=None),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        check=False,
        **popen,
    )
    return Done(argv, done.returncode, done.stdout, done.stderr)


def start_gate(
    args: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    **popen: Any,
) -> subprocess.Popen[str]:
    """`gate-runner ARGS` started, not awaited (for signals and streamed output); text pipes."""
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen(
        gate_command(args),
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(token=None),
        text=True,
        **popen,
    )
