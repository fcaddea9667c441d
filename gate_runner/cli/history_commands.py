"""`history`: the commands over a verdict store's past (`history prune` keeps it in bounds)."""

from __future__ import annotations

from datetime import timedelta

import typer

from gate_runner import channel as output
from gate_runner.cli import history_report
from gate_runner.cli.common import guarded
from gate_runner.cli.governance_commands import DEBUG
from gate_runner.errors import ExitCode, UsageError

history_app = typer.Typer(
    name="history",
    help="The verdicts a store holds: trends per repository and campaign, or prune them "
    "(docs/history.md).",
    invoke_without_command=True,
)

DATABASE_HELP = "sqlite:PATH or postgresql://USER@HOST/DB (password in PGPASSWORD)."


def prune(
    store: str = typer.Option(..., "--store", help=DATABASE_HELP),
    older_than: int = typer.Option(
        ..., "--older-than", metavar="DAYS", help="Delete verdicts recorded more than DAYS ago."
    ),
    repo: str | None = typer.Option(
        None, "--repo", help="Only this repository's verdicts (default: every one you may delete)."
    ),
    debug: bool = DEBUG,
) -> int:
    """Delete old verdicts, keeping each branch's newest one whatever its age.

    On PostgreSQL with row-level security a role deletes only its own repositories' rows.
    """

    def work() -> int:
        # late: database_store loads SQLAlchemy; only a database store is pruned
        from gate_runner.governance.history.database_store import DatabaseStore
        from gate_runner.governance.history.store import open_store  # late: as above

        if older_than < 0:
            raise UsageError(f"--older-than {older_than}: give a number of days, 0 or more")
        opened = open_store(store, every_repository=True)
        if not isinstance(opened, DatabaseStore):
            raise UsageError(
                f"--store {store}: history prune works on a database store (sqlite:PATH or "
                "postgresql://…); a directory's files or git notes are removed with rm or git notes"
            )
        if repo is not None:
            opened = opened.scoped(repo)
        gone = opened.prune(timedelta(days=older_than))
        noun = "verdict" if gone == 1 else "verdicts"
        output.current().line(
            f"pruned {gone} {noun} recorded more than {older_than} days ago from {opened.name}"
            " (each branch's newest kept)",
            err=False,
        )
        return ExitCode.OK

    return work()


def register(app: typer.Typer) -> None:
    # `history` itself is the report (history_report.history); `history prune` a subcommand.
    history_app.callback(invoke_without_command=True)(guarded(history_report.history))
    history_app.command("prune")(guarded(prune))
    app.add_typer(history_app)
