"""What every command shares: loading the policy, and turning errors into one line and a code."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from gate_runner import channel as output
from gate_runner.errors import ExitCode, GateRunnerError, PolicyError, UsageError

if TYPE_CHECKING:
    from gate_runner.policy import Policy


def fail(message: str) -> NoReturn:
    raise UsageError(message)


def load_policy_or_exit(path: Path) -> Policy:
    """The validated policy; a PolicyError carries every problem to run_safely."""
    from gate_runner.config import load_policy

    return load_policy(path)


def run_safely(work: Callable[[], int], *, debug: bool) -> int:
    """Run a command body: user errors become one clear line and their exit code, bugs exit 4."""
    # Every line leaves through the output channel: scrubbed, and a lost stderr is no crash.
    channel = output.current()
    try:
        return int(work())
    except typer.Exit:
        raise
    except PolicyError as error:
        for diagnostic in error.diagnostics:
            channel.line(str(diagnostic))
        count = len(error.diagnostics)
        channel.line(f"gate-runner: {count} problem{'s' if count != 1 else ''} in the policy")
        return int(ExitCode.USAGE)
    except GateRunnerError as error:
        channel.error(str(error))
        return int(error.exit_code)
    except KeyboardInterrupt:
        channel.line("gate-runner: interrupted")
        return int(ExitCode.INTERRUPTED)
    except Exception as error:
        if debug:
            channel.err(traceback.format_exc())
        name = type(error).__name__
        channel.line(
            f"gate-runner: internal error ({name}): {error}. This is a bug in gate-runner; "
            "run again with --debug for a traceback and report it."
        )
        return int(ExitCode.INTERNAL)
