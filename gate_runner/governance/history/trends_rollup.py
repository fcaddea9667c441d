"""A large `history` roll-up counted by the database: tallies per campaign, newest verdicts."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, true, tuple_
from sqlalchemy.engine import Connection

from gate_runner.governance.history.database import (
    commit_or_empty,
    grouped_repository,
    history_points,
    history_tools,
    history_verdicts,
    verdicts,
)
from gate_runner.governance.history.trends import (
    UNKNOWN_REPOSITORY,
    HistoryQuery,
    RepositoryHistory,
    Tally,
    baseline_age,
    campaign_history,
    waiver_states,
)
from gate_runner.governance.history.trends_filed import Filed, Point
from gate_runner.governance.history.trends_rows import (
    BY_REPOSITORY,
    POINT_COLUMNS,
    filed_rows,
    in_window,
    of_campaign,
    of_verdict,
    point_of,
)
from gate_runner.statistics.robust import sum_parts

hv, hp, ht = history_verdicts, history_points, history_tools


def rolled_up(
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
        select(BY_REPOSITORY.label("r"), func.count().label("n"), func.max(started).label("s"))
        .where(window)
        .group_by(BY_REPOSITORY)
        .subquery()
    )
    at_latest = hv.join(latest, and_(latest.c.r == BY_REPOSITORY, started == latest.c.s))
    greatest = (
        select(BY_REPOSITORY.label("r"), func.max(commit).label("c"))
        .select_from(at_latest)
        .where(window)
        .group_by(BY_REPOSITORY)
        .subquery()
    )
    at_greatest = at_latest.join(
        greatest, and_(greatest.c.r == BY_REPOSITORY, commit == greatest.c.c)
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
    found = filed_rows(connection, window, query, *(i for _, i in last.values()))
    return counts, {f.repository or UNKNOWN_REPOSITORY: f for _, f in found}


def _newest_by_index(
    connection: Connection, window: ColumnElement[bool], query: HistoryQuery
) -> tuple[dict[str, int], dict[str, Filed]]:
    """_newest on PostgreSQL: per repository one descent of the history_newest index (a
    LATERAL subquery), then the rows tied at its start and commit, decided here."""
    started, commit = _bytewise("postgresql")
    repositories = (
        select(BY_REPOSITORY.label("r"), func.count().label("n"))
        .where(window)
        .group_by(BY_REPOSITORY)
        .subquery()
    )
    top = (
        select(started.label("s"), commit.label("c"))
        .where(window, repositories.c.r == BY_REPOSITORY)
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
            select(BY_REPOSITORY, hv.c.verdict_id, recorded.scalar_subquery()).where(
                window, tuple_(BY_REPOSITORY, started, commit).in_(tops)
            )
        ):
            chosen[name] = max(chosen.get(name, (at, verdict_id)), (at, verdict_id))
    found = filed_rows(connection, window, query, *(i for _, i in chosen.values()))
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
    grouped = (grouped_repository(hp), hp.c.campaign_key, hp.c.outcome)
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
        .where(in_window(query, hp), of_campaign(hp, query))
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
    grouped = (grouped_repository(ht), ht.c.campaign_key, ht.c.tool)
    for repository, key, tool, n in connection.execute(
        select(*grouped, func.count())
        .where(in_window(query, ht), of_campaign(ht, query))
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
            select(hv.c.ci_commit, hv.c.ci_branch, hv.c.started_at, *POINT_COLUMNS)
            .join(hv, of_verdict(hp))
            .join(verdicts, verdicts.c.id == hv.c.verdict_id)
            .where(self.window, self.repository == BY_REPOSITORY)
            .where(hp.c.campaign_key == self.key, condition)
            .order_by(*newest_first)
            .limit(1)
        ).first()
        if row is None:  # nothing matches: the counts say so too (no rate, bar or list)
            return Point("?", None, "", "", None, None, (), None)
        commit, branch, started_at, *point = row
        return point_of((commit or "?", branch, started_at), point)


def _first_started(
    connection: Connection, window: ColumnElement[bool], repository: str, commit: str | None
) -> str | None:
    """The started_at of the repository's first verdict of `commit` in the window."""
    if commit is None:
        return None
    rows = connection.execute(
        select(hv.c.started_at, hv.c.ci_commit, verdicts.c.recorded_at, verdicts.c.id)
        .join(verdicts, verdicts.c.id == hv.c.verdict_id)
        .where(window, repository == BY_REPOSITORY, hv.c.ci_commit == commit)
    ).all()
    first = min(rows, key=lambda r: (r[0], r[1] or "", r[2], r[3]), default=None)
    return None if first is None else str(first[0])
