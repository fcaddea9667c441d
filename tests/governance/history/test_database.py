"""The database schema: versioned, migrated forward once; on PostgreSQL, row-level security
(gate_runner/schemas/postgresql-rls.sql) lets each CI role write only its own repository."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest

from gate_runner.errors import UsageError
from gate_runner.governance.history.database import SCHEMA_VERSION, engine_for, migrate

from ..cli import Done, run
from .conftest import superuser, with_database
from .stored import query, verdict_text


def test_first_use_creates_the_schema_and_a_newer_one_is_refused(tmp_path: Path) -> None:
    spec = f"sqlite:{tmp_path / 'v.db'}"
    migrate(engine_for(spec), spec)
    assert query(spec, "SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
    tables = {t for (t,) in query(spec, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables >= {"schema_version", "verdicts", "campaigns", "runs", "checks", "reuse_records"}
    migrate(engine_for(spec), spec)  # again: nothing to do
    assert query(spec, "SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
    query(spec, "UPDATE schema_version SET version = 99")
    with pytest.raises(UsageError) as raised:
        migrate(engine_for(spec), spec)
    assert str(raised.value) == (
        f"{spec}: the schema is at version 99, newer than this gate-runner's {SCHEMA_VERSION}: "
        "upgrade gate-runner"
    )


RLS = files("gate_runner") / "schemas" / "postgresql-rls.sql"
PASSWORD = "role-password-for-tests"


@pytest.fixture
def roles(postgres_url: str) -> Iterator[dict[str, str]]:
    """The store set up as docs/history.md says, with three CI roles; dropped afterwards.

    ci_a and ci_b: the default-branch jobs of acme/a and acme/b; pr_a: acme/a's pull requests.
    """
    # Step 1: the owner's first use creates the tables (a prune of nothing does).
    done = run(Path("/"), "history", "prune", "--store", postgres_url, "--older-than", "36500")
    assert done.code == 0, done.stderr
    suffix = uuid.uuid4().hex[:10]
    names = {k: f"{k}_{suffix}" for k in ("ci_a", "ci_b", "pr_a")}
    with superuser(postgres_url) as owner:
        owner.execute(RLS.read_text(encoding="utf-8"))  # step 2: the DDL
        for name in names.values():  # step 3: a role per CI identity, and what it may write
            owner.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{PASSWORD}' IN ROLE gate_runner_ci")
        owner.execute(
            "INSERT INTO gate_runner_writers (role_name, repository, default_branch) VALUES "
            "(%s, 'acme/a', true), (%s, 'acme/b', true), (%s, 'acme/a', false)",
            (names["ci_a"], names["ci_b"], names["pr_a"]),
        )
    try:
        yield {k: with_database(postgres_url, postgres_url.rsplit("/", 1)[1], v)
               for k, v in names.items()}  # fmt: skip
    finally:
        with superuser(postgres_url) as owner:
            owner.execute(f"DROP OWNED BY {', '.join(names.values())}")
            owner.execute(f"DROP ROLE {', '.join(names.values())}")


def _record(cwd: Path, url: str, text: str) -> Done:
    """`gate-runner record` as the role `url` names (its password in PGPASSWORD)."""
    (cwd / "v.json").write_text(text, encoding="utf-8")
    return run(cwd, "record", "v.json", "--store", url, env={"PGPASSWORD": PASSWORD})


@pytest.mark.slow
def test_a_repositorys_role_writes_only_its_own_rows(
    roles: dict[str, str], postgres_url: str, tmp_path: Path
) -> None:
    b_commit, a_commit = "b" * 40, "a" * 40
    assert _record(tmp_path, roles["ci_b"], verdict_text(b_commit, repository="acme/b")).code == 0
    assert _record(tmp_path, roles["ci_a"], verdict_text(a_commit, repository="acme/a")).code == 0
    before = query(postgres_url, "SELECT * FROM verdicts WHERE repository = 'acme/b'")
    # A's job files a verdict under B's name: the database refuses it.
    forged = _record(tmp_path, roles["ci_a"], verdict_text("c" * 40, repository="acme/b"))
    assert forged.code == 2
    assert "violates row-level security policy" in forged.stderr, forged.stderr
    # A's role, straight at the database: B's rows are there to read, not to change.
    import psycopg

    with psycopg.connect(roles["ci_a"], password=PASSWORD, autocommit=True) as a:
        assert a.execute("SELECT count(*) FROM verdicts").fetchone() == (2,)
        for statement in (
            "UPDATE verdicts SET outcome = 'fail', default_branch = true "
            "WHERE repository = 'acme/b'",
            "DELETE FROM verdicts WHERE repository = 'acme/b'",
            "UPDATE campaigns SET outcome = 'fail' WHERE repository = 'acme/b'",
            "DELETE FROM checks WHERE repository = 'acme/b'",
            "UPDATE runs SET pass_rate = 0 WHERE repository = 'acme/b'",
            # The history rows (schema version 3): what `history` reports is B's too.
            "UPDATE history_verdicts SET baseline_commit = 'x' WHERE repository = 'acme/b'",
            "UPDATE history_points SET value = 1.0 WHERE repository = 'acme/b'",
            "DELETE FROM history_tools WHERE repository = 'acme/b'",
            "DELETE FROM history_waivers WHERE repository = 'acme/b'",
        ):
            assert a.execute(statement).rowcount == 0, statement
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            a.execute(
                "INSERT INTO checks (verdict_id, repository, campaign_key, check_id, kind, "
                "status, waived) SELECT id, 'acme/b', 'core', 'x', 'decision', 'pass', false "
                "FROM verdicts WHERE repository = 'acme/b'"
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            a.execute(
                "INSERT INTO history_points (verdict_id, repository, position, campaign_key, "
                "outcome, runs, chi2, df, between_ss, within_ss, within_df, n0_sum) "
                "SELECT id, 'acme/b', 9, 'core', 'pass', '[]', 0, 0, 0, 0, 0, 0 "
                "FROM verdicts WHERE repository = 'acme/b'"
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            a.execute("INSERT INTO gate_runner_writers VALUES (current_user, 'acme/b', true)")
    assert query(postgres_url, "SELECT * FROM verdicts WHERE repository = 'acme/b'") == before
    assert query(postgres_url, "SELECT count(*) FROM checks WHERE repository = 'acme/b'") == [(2,)]
    assert query(
        postgres_url, "SELECT count(*), max(value) FROM history_points WHERE repository = 'acme/b'"
    ) == [(1, 0.9)]


@pytest.mark.slow
def test_a_pull_request_role_cannot_plant_a_baseline(
    roles: dict[str, str], postgres_url: str, tmp_path: Path
) -> None:
    on_main = verdict_text("d" * 40, repository="acme/a", branch="main")
    planted = _record(tmp_path, roles["pr_a"], on_main)
    assert planted.code == 2
    assert "violates row-level security policy" in planted.stderr, planted.stderr
    from_pr = verdict_text("e" * 40, repository="acme/a", branch="feature", pull_request=3)
    done = _record(tmp_path, roles["pr_a"], from_pr)
    assert done.code == 0, done.stderr
    assert "(acme/a, branch feature: not the default branch)" in done.stdout
    assert query(postgres_url, "SELECT commit_sha, default_branch FROM verdicts") == [
        ("e" * 40, False)
    ]


@pytest.mark.slow
def test_a_version_1_database_is_migrated_to_reuse_records_keeping_its_verdicts(
    store_spec: str, tmp_path: Path
) -> None:
    from gate_runner.governance.history.database import MIGRATIONS, schema_version

    engine = engine_for(store_spec)
    with engine.begin() as connection:  # a store as gate-runner with schema version 1 left it
        schema_version.create(connection)
        MIGRATIONS[0](connection)
        connection.execute(schema_version.insert().values(version=1))
    (tmp_path / "v.json").write_text(verdict_text("a" * 40), encoding="utf-8")
    # The old schema holds a verdict; the new gate-runner opens it and migrates on first use.
    done = run(tmp_path, "record", "v.json", "--store", store_spec)
    assert done.code == 0, done.stderr
    assert query(store_spec, "SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
    assert query(store_spec, "SELECT count(*) FROM reuse_records") == [(0,)]
    assert query(store_spec, "SELECT commit_sha FROM verdicts") == [("a" * 40,)]


@pytest.mark.slow
def test_a_pull_request_role_files_reuse_records_main_never_reads(
    roles: dict[str, str], postgres_url: str
) -> None:
    import psycopg

    row = (
        "INSERT INTO reuse_records (repository, key, default_branch, record, filed_at) "
        "VALUES (%s, %s, %s, 'text', now())"
    )
    with psycopg.connect(roles["pr_a"], password=PASSWORD, autocommit=True) as pr:
        pr.execute(row, ("acme/a", "1" * 64, False))  # its own pull requests' records
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            pr.execute(row, ("acme/a", "2" * 64, True))  # one main's gate would reuse
    with psycopg.connect(roles["ci_a"], password=PASSWORD, autocommit=True) as a:
        a.execute(row, ("acme/a", "3" * 64, True))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            a.execute(row, ("acme/b", "4" * 64, True))  # B's
    with psycopg.connect(roles["ci_b"], password=PASSWORD, autocommit=True) as b:
        assert b.execute("UPDATE reuse_records SET record = 'forged'").rowcount == 0
        assert b.execute("DELETE FROM reuse_records").rowcount == 0
    assert query(postgres_url, "SELECT key, default_branch FROM reuse_records ORDER BY key") == [
        ("1" * 64, False),
        ("3" * 64, True),
    ]
