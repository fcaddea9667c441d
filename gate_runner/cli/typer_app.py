"""The typer application: every command registered on one app; imported only when needed."""

from __future__ import annotations

import typer

from gate_runner import __version__, channel
from gate_runner.cli import (
    gate_commands,
    governance_commands,
    history_commands,
    policy_commands,
    sandbox_command,
)

app = typer.Typer(
    name="gate-runner",
    help="Policy-as-code merge gate for AI-agent reliability on Sepurux.",
    # Locals in a traceback would put tokens in CI logs.
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        channel.current().line(f"gate-runner {__version__}", err=False)
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Policy-as-code merge gate for AI-agent reliability on Sepurux."""


def _register() -> None:
    # Each module defines plain functions; registering here keeps one list of commands.
    policy_commands.register(app)
    gate_commands.register(app)
    sandbox_command.register(app)
    governance_commands.register(app)  # diff, record, replay
    history_commands.register(app)  # history (the report) and history prune
