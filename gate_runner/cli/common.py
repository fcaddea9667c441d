"""The one error handler every command runs in: user errors become one line and their code."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import date
from typing import NoReturn, TypeVar

from gate_runner import channel as output
from gate_runner.errors import ExitCode, GateRunnerError, PolicyError, PolicyFetchError, UsageError
from gate_runner.secrets import policy_secrets

T = TypeVar("T")

# One name for "judge as of this date" on check, evaluate, replay and explain.
AS_OF_HELP = (
    "Judge as of this date (YYYY-MM-DD): which enforcement.schedule entry is in force and "
    "which waivers have expired. Default: today."
)


def fail(message: str) -> NoReturn:
    raise UsageError(message)


def report_policy_error(
    error: PolicyError, channel: output.Channel, *, listed: bool = True
) -> None:
    """Each diagnostic on its own line (file:line:col), then the count; tokens scrubbed.

    The policy was not loaded, so the channel may not know the token variables its files
    name yet: their values (and the default's, the forge tokens) are added first.
    `listed=False` when a text report on the terminal lists them already: once each.
    """
    import os

    channel.add_secrets(*policy_secrets(os.environ, error.token_envs).values)
    if listed:
        for diagnostic in error.diagnostics:
            channel.line(str(diagnostic))
    count = len(error.diagnostics)
    problems = f"{count} problem{'s' if count != 1 else ''}"
    if isinstance(error, PolicyFetchError):
        channel.line(f"gate-runner: {problems} fetching a remote policy, none cached: no decision")
    else:
        channel.line(f"gate-runner: {problems} in the policy")


def as_of(value: str | None, *, old: str | None = None, old_flag: str = "") -> date:
    """The date `--as-of` names (default today); `old` is a deprecated spelling's value.

    The old spellings (`explain --date`, `replay --today`) keep working, hidden from
    --help, with a one-line note: users' scripts rely on them.
    """
    flag = "--as-of"
    if old is not None:
        output.current().line(f"gate-runner: {old_flag} is deprecated; use --as-of")
        if value is not None and value != old:
            raise UsageError(f"--as-of {value} and {old_flag} {old} disagree: give --as-of only")
        value, flag = old, old_flag
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{flag} {value!r}: expected a date like 2026-12-15") from None


def run_safely(work: Callable[[], T], *, debug: bool) -> T | int:
    """What `work` returns; a user error becomes one clear line and its exit code, a bug exit 4.

    Typer-free on purpose: `validate`'s fast path runs in it before typer is imported. Every
    line leaves through the output channel: scrubbed, and a lost stderr is no crash.
    """
    channel = output.current()
    try:
        return work()
    except PolicyError as error:
        report_policy_error(error, channel)
        return int(error.exit_code)  # exit 3 for a remote policy not fetched
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
            # late: only a bug with --debug prints a traceback; `validate` starts without it
            import traceback

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
