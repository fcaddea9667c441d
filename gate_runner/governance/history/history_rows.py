"""The rows `history` reads, filed with each verdict in a database (schema version 3)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from gate_runner.governance.history.database import (
    HISTORY_TABLES,
    history_points,
    history_tools,
    history_verdicts,
    history_waivers,
    verdicts,
)
from gate_runner.governance.history.trends_filed import filed, parse_stored
from gate_runner.statistics.robust import dispersion_parts
from gate_runner.untrusted_json import MAX_FILE_BYTES

# Past any two dates' distance (date.max − date.min is 3,652,058 days): a larger warn_days
# judges every waiver alike, and the clamped value fits an INTEGER column.
WARN_DAYS_CAP = 4_000_000
# Verdicts parsed per batch when a pre-v3 store is migrated.
BACKFILL_BATCH = 1_000


def history_rows(text: str, verdict_id: int, repository: str) -> dict[Table, list[dict[str, Any]]]:
    """The history rows of the verdict `text` filed as `verdict_id` under `repository`."""
    mine = {"verdict_id": verdict_id, "repository": repository}
    found: dict[Table, list[dict[str, Any]]] = {t: [] for t in HISTORY_TABLES}
    verdict = parse_stored(text)
    if isinstance(verdict, str):
        found[history_verdicts].append(
            {**mine, "ci_repository": None, "ci_branch": None, "ci_commit": None,
             "started_at": None, "day": None, "warn_days": None, "baseline_commit": None,
             "skipped": verdict}
        )  # fmt: skip
        return found
    summary = filed(verdict)
    warn = summary.warn_days
    day = summary.day.isoformat() if summary.day else None
    window = {"ci_repository": summary.repository, "ci_branch": summary.branch, "day": day}
    found[history_verdicts].append(
        {**mine, **window, "ci_commit": summary.commit, "started_at": summary.started_at,
         "warn_days": None if warn is None else max(-WARN_DAYS_CAP, min(warn, WARN_DAYS_CAP)),
         "baseline_commit": summary.baseline_commit, "skipped": None}
    )  # fmt: skip
    for position, (key, point) in enumerate(summary.points):
        chi2, df, between, within, within_df, n0_sum = dispersion_parts(point.runs)
        found[history_points].append(
            {**mine, **window, "position": position, "campaign_key": key,
             "outcome": point.outcome,
             "value": point.value, "bar": point.bar, "runs": json.dumps(point.runs),
             "tools": None if point.tools is None else json.dumps(point.tools),
             "chi2": chi2, "df": df, "between_ss": between, "within_ss": within,
             "within_df": float(within_df), "n0_sum": n0_sum}
        )  # fmt: skip
        found[history_tools] += [
            {**mine, **window, "position": position, "campaign_key": key, "tool": tool}
            for tool in sorted(set(point.tools or ()))
        ]
    found[history_waivers] += [
        {**mine, "position": position, "campaign_key": w.campaign, "check_id": w.check,
         "until": w.until, "expired": w.expired}
        for position, w in enumerate(summary.waivers)
    ]  # fmt: skip
    return found


def file_history(connection: Connection, text: str, verdict_id: int, repository: str) -> None:
    """Insert `text`'s history rows (the caller deleted any earlier ones of `verdict_id`)."""
    for table, rows in history_rows(text, verdict_id, repository).items():
        if rows:
            connection.execute(table.insert(), rows)


def backfill(connection: Connection) -> int:
    """File the history rows of every verdict recorded before version 3, a batch at a time.

    A row whose text is not text, or over the size cap, gets none: `history` reads such a row
    from its JSON and lists why it skipped it, as for any row without history rows.
    """
    last, filed_count = -1, 0
    while True:
        batch = connection.execute(
            select(verdicts.c.id, verdicts.c.repository, verdicts.c.verdict)
            .where(verdicts.c.id > last)
            .order_by(verdicts.c.id)
            .limit(BACKFILL_BATCH)
        ).all()
        if not batch:
            return filed_count
        rows: dict[Table, list[dict[str, Any]]] = {t: [] for t in HISTORY_TABLES}
        for verdict_id, repository, text in batch:
            if isinstance(text, str) and len(text) <= MAX_FILE_BYTES:
                for table, found in history_rows(text, verdict_id, repository).items():
                    rows[table] += found
                filed_count += 1
        for table, found in rows.items():
            if found:
                connection.execute(table.insert(), found)
        last = batch[-1][0]
