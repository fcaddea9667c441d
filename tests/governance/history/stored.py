"""What a database store holds, read with the databases' own drivers (not the code under test)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from typing import Any

from ..conftest import verdict_json

SQLITE = "sqlite:"


def query(spec: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of `sql` (written with %s placeholders) on the store `spec` names."""
    if spec.startswith(SQLITE):
        with closing(sqlite3.connect(spec[len(SQLITE) :])) as connection:
            rows = connection.execute(sql.replace("%s", "?"), params).fetchall()
            connection.commit()
            return rows
    import psycopg

    with psycopg.connect(spec, autocommit=True) as connection:
        cursor = connection.execute(sql, params)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


def count(spec: str, table: str) -> int:
    return int(query(spec, f"SELECT count(*) FROM {table}")[0][0])


_TEMPLATE: dict[str, Any] = {}


def verdict_text(
    commit: str,
    *,
    repository: str = "acme/agent",
    branch: str | None = "main",
    pull_request: int | None = None,
    pass_rate: float = 0.9,
) -> str:
    """A real verdict (judged once, then re-addressed) for `commit` in `repository`."""
    if pass_rate not in _TEMPLATE:
        _TEMPLATE[pass_rate] = json.loads(verdict_json("0" * 40, pass_rate=pass_rate))
    data = json.loads(json.dumps(_TEMPLATE[pass_rate]).replace("0" * 40, commit))
    data["ci"].update(repository=repository, branch=branch, pull_request=pull_request)
    return json.dumps(data, indent=2)
