"""`history` over a database store: the window as WHERE clauses, a large roll-up counted in SQL.

The rules stay in governance/history/trends.py: this module only fetches what they decide
from. With --repo, or a window of at most trends.POINTS_LIMIT points, it reads the window's
history rows (never a verdict's JSON) and trends.history_of decides as for a directory. A
larger roll-up is counted by the database (trends.Tally per repository and campaign) and each
repository's newest verdict is read for its latest values, waivers and baseline.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, true, tuple_
from sqlalchemy.engine import Connection

from gate_runner.governance.history.database import (
    commit_or_empty,
    grouped_repository,
    history_points,
    history_tools,
    history_verdicts,
    history_waivers,
    transaction,
    verdicts,
)
from gate_runner.governance.history.database_store import DatabaseStore
from gate_runner.governance.history.store import VerdictStore
from gate_runner.governance.history.trends import (
    POINTS_LIMIT,
    UNKNOWN_REPOSITORY,
    History,
    HistoryQuery,
    RepositoryHistory,
    Tally,
    baseline_age,
    campaign_history,
    history_of,
    waiver_states,
    wanted,
)
from gate_runner.governance.history.trends_filed import Filed, Point, Waived, filed, parse_stored
from gate_runner.statistics.robust import sum_parts

hv, hp, ht, hw = history_verdicts, history_points, history_tools, history_waivers


_grouped = grouped_repository


_by_repository = _grouped(hv)


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
        window = _window(query, hv)
        if query.repo is not None or fallback or not _beyond_limit(connection, query):
            # Rows without history rows are merged in the store's order: rare (written by
            # hand), so they take the exact path rather than a second way of counting.
            rows = _filed(connection, window, query) + fallback
            return history_of([f for _, f in sorted(rows, key=lambda r: r[0])], query, skipped)
        return History(query, _rolled_up(connection, window, query), skipped)


def _beyond_limit(connection: Connection, query: HistoryQuery) -> bool:
    """More points than the limit? Asked with OFFSET: it stops at the limit, never counts all
    (asked only of a roll-up: --repo keeps its points however many)."""
    past = select(hp.c.verdict_id).where(_window(query, hp), _campaign(hp, query))
    return connection.execute(past.offset(POINTS_LIMIT).limit(1)).first() is not None


def _of(table: Any) -> ColumnElement[bool]:
    joined: ColumnElement[bool] = table.c.verdict_id == hv.c.verdict_id
    return joined


def _window(query: HistoryQuery, table: Any) -> ColumnElement[bool]:
    """trends.wanted as a WHERE clause on `table` (history_verdicts, or the points and tools
    that carry its columns; only a readable verdict has those)."""
    found: list[ColumnElement[bool]] = [hv.c.skipped.is_(None)] if table is hv else []
    if query.repo is not None:
        found.append(table.c.ci_repository == query.repo)
    if query.branch is not None:
        found.append(table.c.ci_branch == query.branch)
    if query.since is not None:
        found.append(table.c.day >= query.since.isoformat())  # ISO days sort as they compare
    return and_(true(), *found)


def _campaign(table: Any, query: HistoryQuery) -> ColumnElement[bool]:
    return true() if query.campaign is None else table.c.campaign_key == query.campaign


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


def _filed(
    connection: Connection, window: ColumnElement[bool], query: HistoryQuery, *ids: int
) -> list[tuple[Any, Filed]]:
    """The window's verdicts (or those of `ids`) as trends.Filed, in the store's order."""
    chosen = hv.c.verdict_id.in_(ids) if ids else window
    # The time it was recorded, per row by the primary key: a join would read every verdict.
    recorded = select(verdicts.c.recorded_at).where(verdicts.c.id == hv.c.verdict_id)
    heads = {
        head.verdict_id: head
        for head in connection.execute(
            select(recorded.scalar_subquery().label("recorded_at"), hv).where(chosen)
        ).all()
    }
    points: dict[int, list[tuple[str, Point]]] = defaultdict(list)
    mine = hp.c.verdict_id.in_(ids) if ids else _window(query, hp)
    # Only the columns a Point holds, as plain tuples fetched at once: --repo R reads 20,000.
    picked = select(hp.c.verdict_id, hp.c.campaign_key, *_POINT_COLUMNS).where(
        mine, _campaign(hp, query)
    )
    # What a verdict's points share, once a verdict rather than once a point.
    shared = {i: (h.ci_commit or "?", h.ci_branch, h.started_at) for i, h in heads.items()}
    for verdict_id, key, *found in connection.execute(
        picked.order_by(hp.c.verdict_id, hp.c.position)
    ).all():
        fixed = shared.get(verdict_id)
        if fixed is not None:
            points[verdict_id].append((key, _point(fixed, found)))
    waived: dict[int, list[Waived]] = defaultdict(list)
    listed = select(hw).join(hv, _of(hw)).where(chosen).order_by(hw.c.verdict_id, hw.c.position)
    for row in connection.execute(listed).mappings():
        waived[row["verdict_id"]].append(
            Waived(row["campaign_key"], row["check_id"], row["until"], row["expired"])
        )
    return [
        (
            (head.recorded_at, head.verdict_id),
            Filed(
                repository=head.ci_repository,
                branch=head.ci_branch,
                commit=head.ci_commit,
                started_at=head.started_at,
                day=None if head.day is None else date.fromisoformat(head.day),
                points=tuple(points[head.verdict_id]),
                waivers=tuple(waived[head.verdict_id]),
                warn_days=head.warn_days,
                baseline_commit=head.baseline_commit,
            ),
        )
        for head in heads.values()
    ]


_POINT_COLUMNS = (hp.c.outcome, hp.c.value, hp.c.bar, hp.c.runs, hp.c.tools)


def _point(shared: tuple[str, str | None, str], row: Sequence[Any]) -> Point:
    """The point of a row of _POINT_COLUMNS in a verdict of (commit or "?", branch, start)."""
    outcome, value, bar, runs, tools = row
    return Point(
        *shared, outcome, value, bar, _runs(runs), None if tools is None else _tools(tools)
    )


# A point's runs and tools are JSON text, and most repeat (a campaign's trials are fixed; most
# list no failing tool): each distinct text is parsed once. The values are tuples, so shared.
@lru_cache(maxsize=4096)
def _runs(text: str) -> tuple[tuple[int, int], ...]:
    return tuple((k, n) for k, n in json.loads(text))


@lru_cache(maxsize=4096)
def _tools(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def _rolled_up(
    connection: Connection, window: ColumnElement[bool], query: HistoryQuery
) -> tuple[RepositoryHistory, ...]:
    counts, newest = _newest(connection, window, query)
    tallies = _tallies(connection, window, query, newest)
    by_repository: dict[str, list[tuple[str, Tally]]] = defaultdict(list)
    for (repository, key), tally in sorted(tallies.items()):
        by_repository[repository].append((key, tally))
    repositories = []
    for name in sorted(counts):
        last = newest[name]
        campaigns = tuple(
            campaign_history(name, key, tally, None) for key, tally in by_repository[name]
        )
        then = _first_started(connection, window, name, last.baseline_commit)
        repositories.append(
            RepositoryHistory(
                name,
                counts[name],
                campaigns,
                waiver_states(last, query),
                baseline_age(last, then, query),
            )
        )
    return tuple(repositories)


def _newest(
    connection: Connection, window: ColumnElement[bool], query: HistoryQuery
) -> tuple[dict[str, int], dict[str, Filed]]:
    """Each repository's verdict count and newest verdict (trends.order, then the store's).

    Grouped maxima, not a window over every verdict: the latest start per repository with
    the count, then the greatest commit at it, then the few rows left, decided here."""
    if connection.dialect.name == "postgresql":
        return _newest_by_index(connection, window, query)
    started, commit = _bytewise(connection.dialect.name)
    latest = (
        select(_by_repository.label("r"), func.count().label("n"), func.max(started).label("s"))
        .where(window)
        .group_by(_by_repository)
        .subquery()
    )
    at_latest = hv.join(latest, and_(_by_repository == latest.c.r, started == latest.c.s))
    greatest = (
        select(_by_repository.label("r"), func.max(commit).label("c"))
        .select_from(at_latest)
        .where(window)
        .group_by(_by_repository)
        .subquery()
    )
    at_greatest = at_latest.join(
        greatest, and_(_by_repository == greatest.c.r, commit == greatest.c.c)
    )
    recorded = select(verdicts.c.recorded_at).where(verdicts.c.id == hv.c.verdict_id)
    last: dict[str, tuple[Any, int]] = {}
    counts: dict[str, int] = {}
    for name, n, verdict_id, at in connection.execute(
        select(latest.c.r, latest.c.n, hv.c.verdict_id, recorded.scalar_subquery())
        .select_from(at_greatest)
        .where(window)
    ):
        counts[name] = int(n)
        last[name] = max(last.get(name, (at, verdict_id)), (at, verdict_id))
    found = _filed(connection, window, query, *(i for _, i in last.values()))
    return counts, {f.repository or UNKNOWN_REPOSITORY: f for _, f in found}


def _newest_by_index(
    connection: Connection, window: ColumnElement[bool], query: HistoryQuery
) -> tuple[dict[str, int], dict[str, Filed]]:
    """_newest on PostgreSQL: per repository one descent of the history_newest index (a
    LATERAL subquery), then the rows tied at its start and commit, decided here."""
    started, commit = _bytewise("postgresql")
    repositories = (
        select(_by_repository.label("r"), func.count().label("n"))
        .where(window)
        .group_by(_by_repository)
        .subquery()
    )
    top = (
        select(started.label("s"), commit.label("c"))
        .where(window, _by_repository == repositories.c.r)
        .order_by(started.desc(), commit.desc())
        .limit(1)
        .lateral()
    )
    counts: dict[str, int] = {}
    tops = []
    for name, n, at, last in connection.execute(
        select(repositories.c.r, repositories.c.n, top.c.s, top.c.c).select_from(
            repositories.join(top, true())
        )
    ):
        counts[name] = int(n)
        tops.append((name, at, last))
    recorded = select(verdicts.c.recorded_at).where(verdicts.c.id == hv.c.verdict_id)
    chosen: dict[str, tuple[Any, int]] = {}
    if tops:
        for name, verdict_id, at in connection.execute(
            select(_by_repository, hv.c.verdict_id, recorded.scalar_subquery()).where(
                window, tuple_(_by_repository, started, commit).in_(tops)
            )
        ):
            chosen[name] = max(chosen.get(name, (at, verdict_id)), (at, verdict_id))
    found = _filed(connection, window, query, *(i for _, i in chosen.values()))
    return counts, {f.repository or UNKNOWN_REPOSITORY: f for _, f in found}


def _bytewise(dialect: str) -> tuple[Any, Any]:
    """started_at and the commit as trends.order compares them: byte-wise (PostgreSQL's
    default collation is the language's; SQLite's is already byte-wise)."""
    started: Any = hv.c.started_at
    commit: Any = commit_or_empty(hv)
    if dialect == "postgresql":
        started, commit = started.collate("C"), commit.collate("C")
    return started, commit


def _newest_first(dialect: str) -> tuple[Any, ...]:
    """trends.order, newest first, then the store's order."""
    started, commit = _bytewise(dialect)
    return started.desc(), commit.desc(), verdicts.c.recorded_at.desc(), verdicts.c.id.desc()


def _tallies(
    connection: Connection,
    window: ColumnElement[bool],
    query: HistoryQuery,
    newest: dict[str, Filed],
) -> dict[tuple[str, str], Tally]:
    """Each (repository, campaign)'s Tally, summed by the database: one pass over the points
    grouped by outcome too (a handful each), added up here."""
    grouped = (_grouped(hp), hp.c.campaign_key, hp.c.outcome)
    summed: dict[tuple[str, str], list[Any]] = {}
    outcomes: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for repository, key, outcome, n, *sums in connection.execute(
        select(
            *grouped, func.count(), func.count(hp.c.value), func.sum(hp.c.value),
            func.sum(case((hp.c.value >= hp.c.bar, 1), else_=0)),
            func.sum(case((hp.c.tools.is_not(None), 1), else_=0)),
            func.sum(hp.c.chi2), func.sum(hp.c.df), func.sum(hp.c.between_ss),
            func.sum(hp.c.within_ss), func.sum(hp.c.within_df), func.sum(hp.c.n0_sum),
        )
        .where(_window(query, hp), _campaign(hp, query))
        .group_by(*grouped)
    ):  # fmt: skip
        outcomes[repository, key][outcome] = int(n)
        found_sums = [int(n), *(x or 0 for x in sums), int(n) if outcome == "fail" else 0]
        before = summed.get((repository, key))
        summed[repository, key] = (
            found_sums
            if before is None
            else [x + y for x, y in zip(before, found_sums, strict=True)]
        )
    tools: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    grouped = (_grouped(ht), ht.c.campaign_key, ht.c.tool)
    for repository, key, tool, n in connection.execute(
        select(*grouped, func.count())
        .where(_window(query, ht), _campaign(ht, query))
        .group_by(*grouped)
    ):
        tools[repository, key][tool] = n
    found = {}
    for (repository, key), sums in summed.items():
        n, rated, total, met, listed, chi2, df, between, within, within_df, n0, fails = sums
        latest = _Latest(connection, window, repository, key, newest[repository])
        rate, bar, last, named = latest.rate(), latest.bar(), latest.point(), latest.tools()
        found[repository, key] = Tally(
            commits=n,
            rated=int(rated),
            rate_sum=float(total or 0.0),
            latest_rate=rate,
            bar=bar,
            met_bar=int(met),
            outcomes=tuple(sorted(outcomes[repository, key].items())),
            fails=int(fails),
            latest_failed=last.outcome == "fail",
            parts=sum_parts([(chi2, int(df), between, within, int(within_df), n0)]),
            listed=int(listed),
            tool_counts=tuple(sorted(tools[repository, key].items())),
            latest_tools=tuple(sorted(set(named or ()))),
        )
    return found


class _Latest:
    """A campaign's newest point (with a rate, a bar, a tool list): from the repository's
    newest verdict when it has one, else the one row the database sorts first."""

    def __init__(
        self, connection: Connection, window: Any, repository: str, key: str, newest: Filed
    ) -> None:
        self.connection, self.window, self.repository, self.key = (
            connection, window, repository, key,
        )  # fmt: skip
        mine = [p for k, p in newest.points if k == key]
        self.newest = mine[-1] if mine else None

    def point(self) -> Point:
        return self.newest or self._query(true())

    def rate(self) -> float | None:
        if self.newest is not None and self.newest.value is not None:
            return self.newest.value
        return self._query(hp.c.value.is_not(None)).value

    def bar(self) -> float | None:
        if self.newest is not None and self.newest.bar is not None:
            return self.newest.bar
        return self._query(hp.c.bar.is_not(None)).bar

    def tools(self) -> tuple[str, ...] | None:
        if self.newest is not None and self.newest.tools is not None:
            return self.newest.tools
        return self._query(hp.c.tools.is_not(None)).tools

    def _query(self, condition: ColumnElement[bool]) -> Point:
        newest_first = (*_newest_first(self.connection.dialect.name), hp.c.position.desc())
        row = self.connection.execute(
            select(hv.c.ci_commit, hv.c.ci_branch, hv.c.started_at, *_POINT_COLUMNS)
            .join(hv, _of(hp))
            .join(verdicts, verdicts.c.id == hv.c.verdict_id)
            .where(self.window, _by_repository == self.repository)
            .where(hp.c.campaign_key == self.key, condition)
            .order_by(*newest_first)
            .limit(1)
        ).first()
        if row is None:  # nothing matches: the counts say so too (no rate, bar or list)
            return Point("?", None, "", "", None, None, (), None)
        commit, branch, started_at, *point = row
        return _point((commit or "?", branch, started_at), point)


def _first_started(
    connection: Connection, window: ColumnElement[bool], repository: str, commit: str | None
) -> str | None:
    """The started_at of the repository's first verdict of `commit` in the window."""
    if commit is None:
        return None
    rows = connection.execute(
        select(hv.c.started_at, hv.c.ci_commit, verdicts.c.recorded_at, verdicts.c.id)
        .join(verdicts, verdicts.c.id == hv.c.verdict_id)
        .where(window, _by_repository == repository, hv.c.ci_commit == commit)
    ).all()
    first = min(rows, key=lambda r: (r[0], r[1] or "", r[2], r[3]), default=None)
    return None if first is None else str(first[0])
