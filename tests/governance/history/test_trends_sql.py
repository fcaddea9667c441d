"""`history` over a database: the same answer as from the verdicts' JSON, filters in the query."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from gate_runner.governance.history import trends, trends_sql
from gate_runner.governance.history.database import HISTORY_TABLES, schema_version, verdicts
from gate_runner.governance.history.database_store import DatabaseStore, open_database
from gate_runner.governance.history.trends import HistoryQuery, compute_history
from gate_runner.governance.history.trends_report import history_json, history_text
from gate_runner.report.history_html import history_page

from ..cli import run
from .stored import count, query
from .stored_verdicts import sha, stored

TODAY = date(2026, 11, 30)


def _texts() -> list[str]:
    """Three repositories: steady then a new failure; chronic and flaky with waivers; tools."""
    texts = [stored("acme/agent", i, 0.9, day=i + 1) for i in range(4)]
    texts.append(stored("acme/agent", 4, 0.6, day=10, tools=("search",)))
    texts += [
        stored("acme/chat", i, 0.5, day=i + 1, runs=[(10, 50), (45, 50), (30, 50)])
        for i in range(3)
    ]
    texts.append(
        stored("acme/chat", 3, 0.5, day=20, waiver_until="2026-12-03", baseline=sha(0, "acme/chat"))
    )
    texts += [stored("acme/tools", i, 0.5, day=i + 2, tools=("a", "b")[: i + 1]) for i in range(3)]
    texts.append(stored("acme/tools", 7, 0.9, day=9, branch="feature", runs=[(5, 9), (9, 9)]))
    return texts


def _filled(spec: str, texts: list[str]) -> DatabaseStore:
    store = open_database(spec, env={}, every_repository=True)
    for text in texts:
        store.put(json.loads(text)["ci"]["commit"], text)
    return store


def _entries(store: DatabaseStore) -> list[tuple[str, str | Exception]]:
    return [(f"{store.name}:{name}", text) for name, text in store.entries()]


def _same(store: DatabaseStore, **asked: Any) -> None:
    """The database's answer is byte for byte the JSON's, in text, JSON and the page."""
    wanted = HistoryQuery(today=TODAY, **asked)
    expected = compute_history(_entries(store), wanted)
    found = trends_sql.database_history(store, wanted)
    for render in (history_text, history_json, history_page):
        assert render(found) == render(expected)


QUERIES: list[dict[str, Any]] = [
    {},
    {"repo": "acme/chat"},
    {"repo": "acme/tools", "branch": "main"},
    {"since": date(2026, 11, 3)},
    {"campaign": "core", "stale_days": 5},
    {"repo": "nobody/here"},
]


@pytest.mark.parametrize("asked", QUERIES)
def test_sqlite_answers_as_the_verdicts_json_does(tmp_path: Any, asked: dict[str, Any]) -> None:
    store = _filled(f"sqlite:{tmp_path / 'v.db'}", _texts())
    _same(store, **asked)


@pytest.mark.parametrize("asked", QUERIES[:2] + QUERIES[3:5])
def test_a_roll_up_past_the_limit_is_counted_by_the_database_alike(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, asked: dict[str, Any]
) -> None:
    # Past the limit the database sums each campaign's tally itself: the rules decide the same.
    monkeypatch.setattr(trends, "POINTS_LIMIT", 0)
    monkeypatch.setattr(trends_sql, "POINTS_LIMIT", 0)
    store = _filled(f"sqlite:{tmp_path / 'v.db'}", _texts())
    _same(store, **asked)
    if not asked.get("repo"):
        found = trends_sql.database_history(store, HistoryQuery(today=TODAY, **asked))
        assert all(c.points is None for r in found.repositories for c in r.campaigns)
        assert '"points": null' in history_json(found)


@pytest.mark.slow
def test_postgresql_answers_as_the_verdicts_json_does(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _filled(postgres_url, _texts())
    for asked in QUERIES:
        _same(store, **asked)
    monkeypatch.setattr(trends, "POINTS_LIMIT", 0)
    monkeypatch.setattr(trends_sql, "POINTS_LIMIT", 0)
    for asked in QUERIES:
        _same(store, **asked)


def test_a_row_written_by_hand_is_read_from_its_json(tmp_path: Any) -> None:
    # Rows without history rows (inserted by other means than record): read from their JSON,
    # a bad one listed as skipped, in the store's order.
    spec = f"sqlite:{tmp_path / 'v.db'}"
    store = _filled(spec, _texts()[:3])
    for commit, text in (("c" * 40, stored("acme/agent", 9, 0.2, day=25)), ("d" * 40, "{no")):
        query(
            spec,
            "INSERT INTO verdicts (repository, commit_sha, branch, default_branch, policy_digest,"
            " recorded_at, started_at, outcome, blocking, verdict)"
            " VALUES ('acme/agent', %s, 'main', 1, 'x', '2026-12-01', '', 'fail', 1, %s)",
            commit,
            text,
        )
    _same(store)
    found = trends_sql.database_history(store, HistoryQuery(today=TODAY))
    assert found.verdicts == 4
    assert [s.split(": ")[0] for s in found.skipped] == [f"{store.name}:acme/agent@{'d' * 40}"]


def test_repo_reads_only_that_repositorys_rows(tmp_path: Any) -> None:
    store = _filled(f"sqlite:{tmp_path / 'v.db'}", _texts())
    seen: list[tuple[str, Any]] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def _seen(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    found = trends_sql.database_history(store, HistoryQuery(today=TODAY, repo="acme/chat"))
    assert [r.repository for r in found.repositories] == ["acme/chat"]
    reads = [(s, p) for s, p in seen if s.lstrip().startswith("SELECT")]
    assert reads
    # --repo keeps its points however many: it never asks whether there are over the limit.
    assert not [s for s, _ in reads if "OFFSET" in s]
    for statement, parameters in reads:
        # Every read is narrowed to the repository in its WHERE clause, none reads the JSON of
        # a filed verdict (the only JSON read is of rows without history rows: none here).
        assert "acme/chat" in parameters, statement
        json_read = re.search(r"\bverdicts\.verdict\b", statement)
        assert not json_read or "history_verdicts.verdict_id IS NULL" in statement


def test_history_reads_over_one_connection(tmp_path: Any) -> None:
    # The rows without history rows are read in history's own transaction: each connection a
    # PostgreSQL server forks costs ~12 ms of `history --repo R` (issue 22's target is 1 s).
    spec = f"sqlite:{tmp_path / 'v.db'}"
    store = _filled(spec, _texts()[:3])
    query(
        spec,
        "INSERT INTO verdicts (repository, commit_sha, branch, default_branch, policy_digest,"
        " recorded_at, started_at, outcome, blocking, verdict)"
        " VALUES ('acme/agent', %s, 'main', 1, 'x', '2026-12-01', '', 'fail', 1, %s)",
        "c" * 40,
        stored("acme/agent", 9, 0.2, day=25),
    )
    connections: list[Any] = []
    event.listen(store.engine, "connect", lambda connection, _record: connections.append(1))
    found = trends_sql.database_history(store, HistoryQuery(today=TODAY, repo="acme/agent"))
    assert found.verdicts == 4  # the hand-written row too
    assert len(connections) == 1


def test_a_version_2_store_with_verdicts_is_backfilled_on_first_use(store_spec: str) -> None:
    spec = store_spec
    store = _filled(spec, _texts())
    expected = history_json(trends_sql.database_history(store, HistoryQuery(today=TODAY)))
    # The store as gate-runner's schema version 2 left it: the same verdicts, no history rows.
    with store.engine.begin() as connection:
        for table in reversed(HISTORY_TABLES):
            table.drop(connection)
        connection.execute(schema_version.update().values(version=2))
    assert count(spec, "verdicts") == len(_texts())
    again = open_database(spec, env={}, every_repository=True)  # migrates forward
    assert query(spec, "SELECT version FROM schema_version") == [(3,)]
    assert count(spec, "history_verdicts") == len(_texts())
    assert count(spec, "history_points") == len(_texts())
    found = trends_sql.database_history(again, HistoryQuery(today=TODAY))
    assert history_json(found) == expected
    assert "verdicts" in verdicts.name  # the verdicts themselves were never touched


@pytest.mark.slow
def test_the_command_over_sqlite_prints_what_it_prints_over_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "verdicts"
    folder.mkdir()
    texts = _texts()
    for text in texts:
        (folder / f"{json.loads(text)['ci']['commit']}.json").write_text(text, encoding="utf-8")
    _filled(f"sqlite:{tmp_path / 'v.db'}", texts)
    for asked in ([], ["--repo", "acme/chat"], ["--since", "2026-11-03", "--branch", "main"]):
        for form in ("text", "json"):
            args = ["history", *asked, "--format", form, "--as-of", "2026-11-30"]
            directory = run(tmp_path, *args, "--store", "verdicts")
            database = run(tmp_path, *args, "--store", "sqlite:v.db")
            assert (directory.code, database.code) == (0, 0), database.stderr
            assert database.stdout == directory.stdout
