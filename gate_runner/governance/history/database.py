"""The database behind a `sqlite:` or `postgresql://` store: its tables, connection, migrations.

Imported only when such a store is named (SQLAlchemy and the driver cost a CLI start ~100 ms).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    inspect,
    literal,
    select,
)
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from gate_runner.errors import UsageError
from gate_runner.governance.history.store import DATABASE_PREFIXES, StoreUnavailable
from gate_runner.governance.history.trends import UNKNOWN_REPOSITORY
from gate_runner.safe_text import terminal

SQLITE, POSTGRESQL = DATABASE_PREFIXES
# The variable the password is read from (libpq reads it itself; PGPASSFILE works as well).
PASSWORD_VARIABLE = "PGPASSWORD"  # noqa: S105 (the variable's name, not a password)
# One lock id for "migrating gate-runner's schema", whoever runs it (any 64-bit number).
MIGRATION_LOCK = 0x67617465_72756E  # "gate-run"
# How long a SQLite writer waits for the lock: 50 jobs at once on a loaded machine queue.
SQLITE_BUSY_S = 300.0

metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

# One row per (repository, commit, policy digest): recording it again replaces it, so a re-run
# job or fifty racing ones leave exactly one.
verdicts = Table(
    "verdicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("repository", String(400), nullable=False),
    Column("commit_sha", String(64), nullable=False),
    Column("branch", String(400), nullable=True),
    Column("default_branch", Boolean, nullable=False),
    Column("policy_digest", String(100), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("started_at", String(40), nullable=True),
    Column("outcome", String(20), nullable=False),
    Column("blocking", Boolean, nullable=False),
    Column("verdict", Text, nullable=False),
    UniqueConstraint("repository", "commit_sha", "policy_digest", name="verdicts_one_per_policy"),
    Index("verdicts_by_branch", "repository", "branch", "recorded_at"),
    Index("verdicts_by_time", "recorded_at"),
)

# The rows under a verdict carry its repository too: row-level security reads it directly.
campaigns = Table(
    "campaigns",
    metadata,
    Column("verdict_id", Integer, ForeignKey("verdicts.id", ondelete="CASCADE"), nullable=False),
    Column("repository", String(400), nullable=False),
    Column("key", String(400), nullable=False),
    Column("campaign", String(400), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("blocking", Boolean, nullable=False),
    Column("pass_rate", Float, nullable=True),
    Column("flaky", Boolean, nullable=False),
    Index("campaigns_by_key", "repository", "key"),
    Index("campaigns_of_verdict", "verdict_id"),
)

runs = Table(
    "runs",
    metadata,
    Column("verdict_id", Integer, ForeignKey("verdicts.id", ondelete="CASCADE"), nullable=False),
    Column("repository", String(400), nullable=False),
    Column("campaign_key", String(400), nullable=False),
    Column("run_id", String(400), nullable=True),
    Column("outcome", String(20), nullable=False),
    Column("pass_rate", Float, nullable=True),
    Index("runs_of_verdict", "verdict_id"),
)

checks = Table(
    "checks",
    metadata,
    Column("verdict_id", Integer, ForeignKey("verdicts.id", ondelete="CASCADE"), nullable=False),
    Column("repository", String(400), nullable=False),
    Column("campaign_key", String(400), nullable=False),
    Column("check_id", String(400), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("waived", Boolean, nullable=False),
    Index("checks_of_verdict", "verdict_id"),
    Index("checks_by_id", "repository", "campaign_key", "check_id"),
)


# gate.reuse's records (issue 21), one per (repository, key, default_branch): filed by upsert,
# read only within the repository. default_branch: a default-branch job filed it; such a job
# reads only those (docs/governance.md §9), and RLS lets a pull-request role file only others.
reuse_records = Table(
    "reuse_records",
    metadata,
    Column("repository", String(400), nullable=False),
    Column("key", String(64), nullable=False),
    Column("default_branch", Boolean, nullable=False),
    Column("record", Text, nullable=False),
    Column("filed_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("repository", "key", "default_branch", name="reuse_records_one_per_key"),
)


# Version 3: what `history` reads, filed at record time (governance/history/history_rows.py)
# so a database answers a roll-up by counting rows, never by parsing a million verdicts' JSON.
# Strings a verdict carries are untrusted and of any length: Text, not String(n).
history_verdicts = Table(
    "history_verdicts",
    metadata,
    Column("verdict_id", Integer, ForeignKey("verdicts.id", ondelete="CASCADE"), primary_key=True),
    Column("repository", String(400), nullable=False),  # the row's (row-level security)
    Column("ci_repository", Text, nullable=True),  # the verdict's own ci.repository
    Column("ci_branch", Text, nullable=True),
    Column("ci_commit", Text, nullable=True),
    Column("started_at", Text, nullable=True),
    Column("day", String(10), nullable=True),  # started_at's day (--since), when it parses
    Column("warn_days", Integer, nullable=True),
    Column("baseline_commit", Text, nullable=True),
    Column("skipped", Text, nullable=True),  # why it is no verdict history can read
    Index("history_by_repository", "ci_repository", "day"),
)

history_points = Table(
    "history_points",
    metadata,
    Column("verdict_id", Integer, ForeignKey("verdicts.id", ondelete="CASCADE"), nullable=False),
    Column("repository", String(400), nullable=False),
    Column("position", Integer, nullable=False),  # the campaign's place in the verdict
    # The verdict's, copied: a roll-up filters and groups ten million points without a join.
    Column("ci_repository", Text, nullable=True),
    Column("ci_branch", Text, nullable=True),
    Column("day", String(10), nullable=True),
    Column("campaign_key", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("value", Float, nullable=True),  # the pass rate the gate judged
    Column("bar", Float, nullable=True),
    Column("runs", Text, nullable=False),  # JSON [[successes, trials], ...]
    Column("tools", Text, nullable=True),  # JSON [tool, ...]; null: the payload lists none
    # The commit's share of the flaky test (statistics.robust.dispersion_parts): sums of
    # these over any window are the test over that window.
    Column("chi2", Float, nullable=False),
    Column("df", Integer, nullable=False),
    Column("between_ss", Float, nullable=False),
    Column("within_ss", Float, nullable=False),
    Column("within_df", Float, nullable=False),  # trials − runs: may exceed a 64-bit integer
    Column("n0_sum", Float, nullable=False),
    Index("history_points_of_verdict", "verdict_id", "position"),
    Index("history_points_by_repository", "ci_repository", "campaign_key"),
)

history_tools = Table(
    "history_tools",
    metadata,
    Column("verdict_id", Integer, ForeignKey("verdicts.id", ondelete="CASCADE"), nullable=False),
    Column("repository", String(400), nullable=False),
    Column("position", Integer, nullable=False),
    Column("ci_repository", Text, nullable=True),
    Column("ci_branch", Text, nullable=True),
    Column("day", String(10), nullable=True),
    Column("campaign_key", Text, nullable=False),
    Column("tool", Text, nullable=False),
    Index("history_tools_of_verdict", "verdict_id"),
)

history_waivers = Table(
    "history_waivers",
    metadata,
    Column("verdict_id", Integer, ForeignKey("verdicts.id", ondelete="CASCADE"), nullable=False),
    Column("repository", String(400), nullable=False),
    Column("position", Integer, nullable=False),
    Column("campaign_key", Text, nullable=False),
    Column("check_id", Text, nullable=False),
    Column("until", Text, nullable=False),
    Column("expired", Boolean, nullable=False),
    Index("history_waivers_of_verdict", "verdict_id"),
)


def grouped_repository(table: Table) -> Any:
    """The repository history groups a row under (trends groups verdicts naming none as one);
    the name inline, not a parameter, so PostgreSQL matches the index below."""
    return func.coalesce(table.c.ci_repository, literal(UNKNOWN_REPOSITORY, literal_execute=True))


def commit_or_empty(table: Table) -> Any:
    return func.coalesce(table.c.ci_commit, literal("", literal_execute=True))


# Each repository's newest verdict (history's roll-up) by one index descent per repository:
# start time, then commit, compared byte-wise as Python does (PostgreSQL: COLLATE "C").
Index(
    "history_newest",
    grouped_repository(history_verdicts),
    history_verdicts.c.started_at.collate("C"),
    commit_or_empty(history_verdicts).collate("C"),
).ddl_if(dialect="postgresql")

HISTORY_TABLES = (history_verdicts, history_points, history_tools, history_waivers)


def _version_1(connection: Connection) -> None:
    for table in (verdicts, campaigns, runs, checks):
        table.create(connection, checkfirst=True)


def _version_2(connection: Connection) -> None:
    reuse_records.create(connection, checkfirst=True)


def _version_3(connection: Connection) -> None:
    for table in HISTORY_TABLES:
        table.create(connection, checkfirst=True)
    # late: filing history rows parses verdicts (the trends core), only when migrating to v3
    from gate_runner.governance.history.history_rows import backfill

    backfill(connection)


# Applied in order, each once: migration i brings the schema to version i + 1. A new one is
# appended, never edited (databases out there are at every version).
MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_version_1, _version_2, _version_3)
SCHEMA_VERSION = len(MIGRATIONS)


def engine_for(spec: str) -> Engine:
    """An engine for `sqlite:PATH` or `postgresql://user@host/db` (the password from the env)."""
    if spec.startswith(SQLITE):
        return _sqlite(spec[len(SQLITE) :])
    try:
        url = make_url(spec)
    except ArgumentError:
        raise UsageError("--store postgresql://…: not a database URL") from None
    if url.password is not None:
        # Never echoed: the URL is the secret's carrier here.
        raise UsageError(
            "--store postgresql://…: the URL holds a password; give it in the "
            f"{PASSWORD_VARIABLE} environment variable (or a PGPASSFILE) instead, so it never "
            "shows in a process list, a log or the verdict"
        )
    try:
        import psycopg  # noqa: F401  # late: the driver only for a postgresql:// store
    except ImportError:
        raise UsageError(
            "--store postgresql://… needs the PostgreSQL driver: "
            "pip install 'gate-runner[postgresql]'"
        ) from None
    return create_engine(url.set(drivername="postgresql+psycopg"), poolclass=NullPool)


def _sqlite(name: str) -> Engine:
    if not name:
        raise UsageError("--store sqlite:PATH: name the database file (sqlite:verdicts.db)")
    path = Path(name)
    if path.is_dir():
        raise UsageError(f"--store sqlite:{path}: that is a directory, not a database file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"--store sqlite:{path}: cannot create its folder {path.parent}: "
            f"{error.strerror or error}"
        ) from None
    # URL.create, not a string: a path may hold `?` or `#`, which a URL would read as syntax.
    url = URL.create("sqlite", database=str(path))
    engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": SQLITE_BUSY_S})

    # SQLAlchemy's documented recipe: let SQLAlchemy, not the sqlite3 module, start each
    # transaction, and start it IMMEDIATE: a writer takes the write lock before it reads, so two
    # racing writers queue on the busy timeout instead of one failing mid-transaction.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def describe(spec: str) -> str:
    """The store as a user may see it: the URL without query (which may hold options)."""
    if spec.startswith(SQLITE):
        return spec
    try:
        url = make_url(spec)
    except ArgumentError:
        return "postgresql://…"
    return terminal(url.set(query={}).render_as_string(hide_password=True))


@contextmanager
def transaction(engine: Engine, what: str) -> Iterator[Connection]:
    """One transaction; a database error becomes a UsageError naming the store, never a trace."""
    try:
        with engine.begin() as connection:
            yield connection
    except SQLAlchemyError as error:
        raise DatabaseError(f"{what}: {_reason(error)}") from None


class DatabaseError(StoreUnavailable):
    """The database refused or could not be reached: the message says which and why."""


def _reason(error: SQLAlchemyError) -> str:
    original = getattr(error, "orig", None)
    text = str(original if original is not None else error).strip().splitlines()
    return terminal(text[0] if text else type(error).__name__)


def migrate(engine: Engine, where: str) -> None:
    """Bring the schema to SCHEMA_VERSION, once, however many jobs start at the same moment.

    PostgreSQL: a transaction-scoped advisory lock serialises migrators (its DDL is
    transactional). SQLite: BEGIN IMMEDIATE holds the write lock for the whole migration.
    """
    with transaction(engine, f"{where}: reading the schema version") as connection:
        if _version(connection) == SCHEMA_VERSION:
            return  # the common case: no lock, no DDL (a CI role may not own the tables)
    with transaction(engine, f"{where}: migrating the schema") as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        schema_version.create(connection, checkfirst=True)
        found = _version(connection)
        if found > SCHEMA_VERSION:
            raise UsageError(
                f"{where}: the schema is at version {found}, newer than this gate-runner's "
                f"{SCHEMA_VERSION}: upgrade gate-runner"
            )
        for migration in MIGRATIONS[found:]:
            migration(connection)
        if found == 0:
            connection.execute(schema_version.insert().values(version=SCHEMA_VERSION))
        elif found < SCHEMA_VERSION:
            connection.execute(schema_version.update().values(version=SCHEMA_VERSION))


def _version(connection: Connection) -> int:
    if not inspect(connection).has_table(schema_version.name):
        return 0
    value = connection.execute(select(func.max(schema_version.c.version))).scalar()
    return int(value or 0)
