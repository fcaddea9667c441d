"""The one error handler every command runs in: user errors become one line and their code."""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn, TypeVar

from gate_runner import channel as output
from gate_runner.errors import ExitCode, GateRunnerError, PolicyError, UsageError

T = TypeVar("T")


def fail(message: str) -> NoReturn:
    raise UsageError(message)


def run_safely(work: Callable[[], T], *, debug: bool) -> T | int:
    """What `work` returns; a user error becomes one clear line and its exit code, a bug exit 4.

    Typer-free on purpose: `validate`'s fast path runs in it before typer is imported. Every
    line leaves through the output channel: scrubbed, and a lost stderr is no crash.
    """
    channel = output.current()
    try:
        return work()
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
        if _is_click_exit(error):
            raise  # typer.Exit / click usage errors: click prints them and sets the code
        if debug:
            channel.err(traceback.format_exc())
        name = type(error).__name__
        channel.line(
            f"gate-runner: internal error ({name}): {error}. This is a bug in gate-runner; "
            "run again with --debug for a traceback and report it."
        )
        return int(ExitCode.INTERNAL)


def _is_click_exit(error: Exception) -> bool:
    # Looked up, not imported: neither is loaded on the fast path, where none can be raised.
    typer_exceptions = sys.modules.get("typer.exceptions")
    click_exceptions = sys.modules.get("click.exceptions")
    return (typer_exceptions is not None and isinstance(error, typer_exceptions.Exit)) or (
        click_exceptions is not None
        and isinstance(
            error, (click_exceptions.Exit, click_exceptions.ClickException, click_exceptions.Abort)
        )
    )


def guarded(command: Callable[..., object]) -> Callable[..., None]:
    """`command` run in run_safely; an int it returns (or the handler's) becomes the exit code.

    Registered in its place, so the typer app alone (tests import cli.typer_app's `app`)
    handles errors as `main` does.
    """
    import typer

    @functools.wraps(command)
    def run(*args: object, **kwargs: object) -> None:
        result = run_safely(lambda: command(*args, **kwargs), debug=bool(kwargs.get("debug")))
        code = result if isinstance(result, int) else 0
        if code:
            raise typer.Exit(code)

    return run
