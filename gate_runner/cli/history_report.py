"""`gate-runner history`: the store's verdicts as trends (the core is governance.history.trends)."""

from __future__ import annotations

from datetime import date
from enum import Enum
from pathlib import Path

import typer

from gate_runner import channel as output
from gate_runner.cli.common import AS_OF_HELP, as_of
from gate_runner.cli.governance_commands import DEBUG, STORE_HELP
from gate_runner.errors import ExitCode, UsageError
from gate_runner.report.output import parse_report_spec


class HistoryFormat(str, Enum):
    text = "text"
    json = "json"


def history(
    ctx: typer.Context,
    store: str | None = typer.Option(None, "--store", help="The verdicts: " + STORE_HELP),
    repo: str | None = typer.Option(None, "--repo", help="Only this repository (owner/name)."),
    campaign: str | None = typer.Option(None, "--campaign", help="Only this campaign key."),
    since: str | None = typer.Option(
        None, "--since", metavar="YYYY-MM-DD", help="Only verdicts started on or after this day."
    ),
    branch: str | None = typer.Option(None, "--branch", help="Only verdicts of this branch."),
    stale: int | None = typer.Option(
        None,
        "--stale",
        metavar="DAYS",
        help="A baseline more than DAYS older than the check that used it is stale (30).",
    ),
    on: str | None = typer.Option(None, "--as-of", metavar="YYYY-MM-DD", help=AS_OF_HELP),
    format: HistoryFormat = typer.Option(HistoryFormat.text, "--format", help="text or json."),
    report: list[str] | None = typer.Option(
        None, "--report", metavar="html=PATH", help="Also write the page with SVG trends here."
    ),
    debug: bool = DEBUG,
) -> int:
    """Per repository and campaign: pass rates against the bar, flaky, chronic and new
    failures, waiver debt and stale baselines (docs/history.md)."""
    if ctx.invoked_subcommand is not None:
        return ExitCode.OK  # a subcommand of `history` runs on its own options

    def work() -> int:
        # late: the core parses every stored verdict; only `history` needs it
        from gate_runner.governance.history import trends, trends_report
        from gate_runner.governance.history.store import (  # late: as above
            DATABASE_PREFIXES,
            GIT_NOTES,
            open_store,
        )

        if store is None:
            raise UsageError("history needs --store (a directory of verdicts or git-notes)")
        if store != GIT_NOTES and ":" not in store and not Path(store).is_dir():
            raise UsageError(f"--store {store}: no such directory of verdicts")
        if stale is not None and stale < 0:
            raise UsageError(f"--stale {stale}: give a number of days, 0 or more")
        pages = [_page_path(spec) for spec in report or ()]
        query = trends.HistoryQuery(
            today=as_of(on),
            repo=repo,
            campaign=campaign,
            since=_day("--since", since),
            branch=branch,
            stale_days=trends.STALE_DAYS if stale is None else stale,
        )
        # A database store: every repository the role may read (--repo narrows it).
        opened = open_store(store, every_repository=True)
        if store.startswith(DATABASE_PREFIXES):
            # late: a database answers from its history rows, filtered and counted in SQL
            from gate_runner.governance.history.trends_sql import database_history

            found = database_history(opened, query)
        else:
            entries = ((f"{opened.name}:{name}", text) for name, text in opened.entries())
            found = trends.compute_history(entries, query)
        render = {
            HistoryFormat.text: trends_report.history_text,
            HistoryFormat.json: trends_report.history_json,
        }[format]
        channel = output.current()
        if pages:
            # late: the page's reporter is only loaded when a page is asked for
            from gate_runner.report.history_html import history_page

            html = history_page(found)
            for path in pages:
                try:
                    channel.write_file(path, html)
                except OSError as error:
                    raise UsageError(f"--report html={path}: {error.strerror or error}") from None
        channel.out(render(found))
        return ExitCode.OK

    return work()


def _page_path(spec: str) -> str:
    parsed = parse_report_spec(spec)
    if parsed.format != "html":
        raise UsageError(f"--report {spec}: history writes html=PATH only")
    return parsed.path or "gate-runner-history.html"


def _day(flag: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{flag} {value!r}: expected a date like 2026-12-01") from None
