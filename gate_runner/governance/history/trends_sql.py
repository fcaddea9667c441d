"""`history` over a database store: the window as WHERE clauses, a large roll-up counted in SQL.

The rules stay in governance/history/trends.py: this module only fetches what they decide
from. With --repo, or a window of at most trends.POINTS_LIMIT points, it reads the window's
history rows (never a verdict's JSON) and trends.history_of decides as for a directory. A
larger roll-up is counted by the database (trends.Tally per repository and campaign) and each
repository's newest verdict is read for its latest values, waivers and baseline.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from gate_runner.governance.history.database import (
    history_points,
    history_verdicts,
    transaction,
    verdicts,
)
from gate_runner.governance.history.database_store import DatabaseStore
from gate_runner.governance.history.store import VerdictStore
from gate_runner.governance.history.trends import (
    POINTS_LIMIT,
    History,
    HistoryQuery,
    history_of,
    wanted,
)
from gate_runner.governance.history.trends_filed import Filed, filed, parse_stored
from gate_runner.governance.history.trends_rollup import rolled_up
from gate_runner.governance.history.trends_rows import filed_rows, in_window, of_campaign

hv, hp = history_verdicts, history_points


def database_history(store: VerdictStore, query: HistoryQuery) -> History:
    """The history of `store`'s verdicts under `query`, as trends.compute_history gives it."""
    if not isinstance(store, DatabaseStore):
        raise TypeError(f"{store.name}: not a database store")  # open_store's contract
    unread: list[tuple[Any, str]] = []
    fallback: list[tuple[Any, Filed]] = []
    with transaction(store.engine, f"{store.name}: reading the history") as connection:
        for place, key, text in store.unfiled(connection, query.repo):
            verdict = parse_stored(text)
            if isinstance(verdict, str):
                unread.append((place, f"{store.name}:{key}: {verdict}"))
            elif wanted(found := filed(verdict), query):
                fallback.append((place, found))
        unread += _skipped(connection, store.name, query)
        skipped = tuple(name for _, name in sorted(unread, key=lambda s: s[0]))
        window = in_window(query, hv)
        if query.repo is not None or fallback or not _beyond_limit(connection, query):
            # Rows without history rows are merged in the store's order: rare (written by
            # hand), so they take the exact path rather than a second way of counting.
            rows = filed_rows(connection, window, query) + fallback
            return history_of([f for _, f in sorted(rows, key=lambda r: r[0])], query, skipped)
        return History(query, rolled_up(connection, window, query), skipped)


def _beyond_limit(connection: Connection, query: HistoryQuery) -> bool:
    """More points than the limit? Asked with OFFSET: it stops at the limit, never counts all
    (asked only of a roll-up: --repo keeps its points however many)."""
    past = select(hp.c.verdict_id).where(in_window(query, hp), of_campaign(hp, query))
    return connection.execute(past.offset(POINTS_LIMIT).limit(1)).first() is not None


def _skipped(connection: Connection, name: str, query: HistoryQuery) -> list[tuple[Any, str]]:
    found = (
        select(verdicts.c.recorded_at, verdicts.c.id, verdicts.c.repository,
               verdicts.c.commit_sha, hv.c.skipped)
        .join(verdicts, verdicts.c.id == hv.c.verdict_id)
        .where(hv.c.skipped.is_not(None))
    )  # fmt: skip
    if query.repo is not None:
        found = found.where(verdicts.c.repository == query.repo)
    return [
        ((at, verdict_id), f"{name}:{repository}@{commit}: {why}")
        for at, verdict_id, repository, commit, why in connection.execute(found)
    ]
