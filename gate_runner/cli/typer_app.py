"""The typer application: every command registered on one app; imported only when needed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup, TyperOption

if TYPE_CHECKING:
    # Only an annotation: typer vendors click as `typer._click` in its recent versions alone,
    # and pyproject accepts typer from 0.12.
    from typer._click import Context as ClickContext

from gate_runner import __version__, channel
from gate_runner.cli import (
    gate_commands,
    governance_commands,
    history_commands,
    policy_commands,
    sandbox_command,
)


class _Commands(TyperGroup):
    """The root group, plain (no rich: it costs ~80 ms of start-up): the command list shows
    each command's first paragraph in full, as rich did, where click would cut it at the width.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _whole_summaries(self)

    def get_help_option(self, ctx: ClickContext) -> TyperOption | None:
        option = super().get_help_option(ctx)
        if option is not None:
            # Unset, the flag's value is None, which typer coerces through pydantic (~100 ms);
            # False it passes as is, so `COMMAND --help` starts without pydantic.
            option.default = False
        return option


def _whole_summaries(group: TyperGroup) -> None:
    for command in group.commands.values():
        if command.short_help is None and command.help:
            command.short_help = " ".join(command.help.split("\n\n")[0].split())
        if isinstance(command, TyperGroup):
            _whole_summaries(command)  # `history prune`


app = typer.Typer(
    name="gate-runner",
    cls=_Commands,
    help="Policy-as-code merge gate for AI-agent reliability on Sepurux.",
    # Locals in a traceback would put tokens in CI logs.
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # click's plain help: rich's boxes cost ~80 ms of every start
    # As rich did: help as wide as the terminal (COLUMNS), not cut at click's 80 columns.
    context_settings={"max_content_width": 10_000},
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
