"""Database stores for the tests: a SQLite file, and a fresh database on a real PostgreSQL.

.ci/run starts PostgreSQL and sets GATE_RUNNER_TEST_POSTGRES (a superuser's URL, no password)
and PGPASSWORD. Unset, the PostgreSQL tests FAIL in CI (CI=true) and skip on a laptop.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_VARIABLE = "GATE_RUNNER_TEST_POSTGRES"


def postgres_base() -> str:
    """The server's URL, or the test fails (CI) or skips (elsewhere) saying why."""
    base = os.environ.get(POSTGRES_VARIABLE)
    if base:
        return base
    why = (
        f"{POSTGRES_VARIABLE} is unset: no PostgreSQL to test against "
        "(.ci/run starts one; locally set it to postgresql://USER@HOST:PORT/DB and PGPASSWORD)"
    )
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


def with_database(url: str, name: str, user: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    made = make_url(url).set(database=name)
    if user is not None:
        made = made.set(username=user)
    return made.render_as_string(hide_password=False)


def superuser(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(url, autocommit=True)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty database for this test; dropped after it."""
    from psycopg import sql

    base = postgres_base()
    name = f"gate_runner_test_{uuid.uuid4().hex[:16]}"
    with superuser(base) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(base, name)
    finally:
        with superuser(base) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(params=["sqlite", "postgresql"])
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same tests on each database: `sqlite:PATH`, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:{tmp_path / 'history' / 'verdicts.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
