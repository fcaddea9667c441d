"""History rows read back (SQL): the window as WHERE clauses, verdicts as trends.Filed."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, and_, select, true
from sqlalchemy.engine import Connection

from gate_runner.governance.history.database import (
    grouped_repository,
    history_points,
    history_verdicts,
    history_waivers,
    verdicts,
)
from gate_runner.governance.history.trends import HistoryQuery
from gate_runner.governance.history.trends_filed import Filed, Point, Waived

hv, hp, hw = history_verdicts, history_points, history_waivers
# The repository a verdict's row is grouped under (trends groups verdicts naming none as one).
BY_REPOSITORY = grouped_repository(hv)


def of_verdict(table: Any) -> ColumnElement[bool]:
    joined: ColumnElement[bool] = table.c.verdict_id == hv.c.verdict_id
    return joined


def in_window(query: HistoryQuery, table: Any) -> ColumnElement[bool]:
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


def of_campaign(table: Any, query: HistoryQuery) -> ColumnElement[bool]:
    return true() if query.campaign is None else table.c.campaign_key == query.campaign


def filed_rows(
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
    mine = hp.c.verdict_id.in_(ids) if ids else in_window(query, hp)
    # Only the columns a Point holds, as plain tuples fetched at once: --repo R reads 20,000.
    picked = select(hp.c.verdict_id, hp.c.campaign_key, *POINT_COLUMNS).where(
        mine, of_campaign(hp, query)
    )
    # What a verdict's points share, once a verdict rather than once a point.
    shared = {i: (h.ci_commit or "?", h.ci_branch, h.started_at) for i, h in heads.items()}
    for verdict_id, key, *found in connection.execute(
        picked.order_by(hp.c.verdict_id, hp.c.position)
    ).all():
        fixed = shared.get(verdict_id)
        if fixed is not None:
            points[verdict_id].append((key, point_of(fixed, found)))
    waived: dict[int, list[Waived]] = defaultdict(list)
    listed = (
        select(hw).join(hv, of_verdict(hw)).where(chosen).order_by(hw.c.verdict_id, hw.c.position)
    )
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


POINT_COLUMNS = (hp.c.outcome, hp.c.value, hp.c.bar, hp.c.runs, hp.c.tools)


def point_of(shared: tuple[str, str | None, str], row: Sequence[Any]) -> Point:
    """The point of a row of POINT_COLUMNS in a verdict of (commit or "?", branch, start)."""
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
