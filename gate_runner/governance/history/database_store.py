"""A verdict store on SQLite or PostgreSQL: verdicts by repository, commit, branch and policy."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, delete, func, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from gate_runner import channel
from gate_runner.ci import detect
from gate_runner.ci.git import GitRunner, git_runner
from gate_runner.errors import UsageError
from gate_runner.governance.history.database import (
    HISTORY_TABLES,
    PASSWORD_VARIABLE,
    campaigns,
    checks,
    describe,
    engine_for,
    history_verdicts,
    migrate,
    reuse_records,
    runs,
    transaction,
    verdicts,
)
from gate_runner.governance.history.history_rows import file_history
from gate_runner.governance.history.store import UnreadableEntry
from gate_runner.safe_text import terminal
from gate_runner.untrusted_json import MAX_FILE_BYTES, loads
from gate_runner.verdict import Verdict
from gate_runner.verdict_json import verdict_from_dict

# Names the default branch where the CI does not (GitLab's CI_DEFAULT_BRANCH does).
DEFAULT_BRANCH_VARIABLE = "GATE_RUNNER_DEFAULT_BRANCH"
# Verdicts streamed from the database this many at a time (replay over 100,000 rows).
BATCH = 500


@dataclass(frozen=True)
class Scope:
    """Whose verdicts: a repository's (baselines, record), or every one a role may read."""

    repository: str | None  # None: every repository (replay, prune)
    branch: str | None = None  # the checkout's, for a verdict that names none
    default_branch: str | None = None  # verdicts on it are the ones baselines come from
    pull_request: int | None = None  # the checkout's CI job is this pull request's

    @property
    def on_default(self) -> bool:
        """This job runs on the default branch (not a pull request, not a merge queue)."""
        on = self.branch is not None and self.branch == self.default_branch
        return on and self.pull_request is None


@dataclass
class DatabaseStore:
    """The VerdictStore on a database; `get` and `commits` see only default-branch verdicts."""

    spec: str
    engine: Engine
    scope: Scope

    @property
    def name(self) -> str:
        return describe(self.spec)

    def put(self, commit: str, text: str) -> str:
        verdict = verdict_from_dict(loads(text))  # record checked it: it is a verdict
        repository = verdict.ci.repository or self.scope.repository
        if not repository:
            raise UsageError(
                "a database store files a verdict under its repository: the verdict names none "
                "(ci.repository) and this checkout has no CI repository variable or origin remote"
            )
        branch = verdict.ci.branch or self.scope.branch
        on_default = (
            branch is not None
            and branch == self.scope.default_branch
            and verdict.ci.pull_request is None
        )
        row = {
            "repository": repository,
            "commit_sha": commit,
            "branch": branch,
            "default_branch": on_default,
            "policy_digest": verdict.policy.digest,
            "recorded_at": datetime.now(timezone.utc),
            "started_at": verdict.timings.started_at,
            "outcome": verdict.outcome,
            "blocking": verdict.blocking,
            "verdict": text,
        }
        with transaction(self.engine, f"{self.name}: recording {commit[:12]}") as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            upsert = dialect.insert(verdicts).values(**row)
            replaced = {k: upsert.excluded[k] for k in row if k not in _KEY}
            upsert = upsert.on_conflict_do_update(index_elements=list(_KEY), set_=replaced)
            verdict_id = connection.execute(upsert.returning(verdicts.c.id)).scalar_one()
            # A re-recorded verdict's rows are replaced with it, in the same transaction.
            for table in (campaigns, runs, checks, *HISTORY_TABLES):
                connection.execute(delete(table).where(table.c.verdict_id == verdict_id))
            for table, rows in _children(verdict, verdict_id, repository).items():
                if rows:
                    connection.execute(table.insert(), rows)
            file_history(connection, text, verdict_id, repository)
        where = "the default branch" if on_default else "not the default branch"
        shown = f"branch {branch}" if branch else "no branch"
        # The repository and branch came from the verdict file: escaped onto one line.
        return terminal(f"{self.name} ({repository}, {shown}: {where})")

    def get(self, commit: str) -> str | None:
        """The newest verdict of `commit` recorded on the default branch (any policy)."""
        query = (
            select(verdicts.c.verdict)
            .where(self._baselines(), verdicts.c.commit_sha == commit)
            .order_by(verdicts.c.recorded_at.desc(), verdicts.c.id.desc())
            .limit(1)
        )
        with transaction(self.engine, f"{self.name}: reading {commit[:12]}") as connection:
            text = connection.execute(query).scalar()
        if text is None:
            return None
        return _checked(text, f"{self.name}:{commit[:12]}")

    def commits(self) -> set[str]:
        query = select(verdicts.c.commit_sha).where(self._baselines()).distinct()
        with transaction(self.engine, f"{self.name}: listing commits") as connection:
            return set(connection.execute(query).scalars())

    def entries(self) -> Iterator[tuple[str, str | UnreadableEntry]]:
        """Every verdict in scope, oldest first, keyed `repository@commit`, streamed."""
        return self._entries(None)

    def newest(self, count: int) -> Iterator[tuple[str, str | UnreadableEntry]]:
        """The `count` most recently recorded verdicts in scope, oldest first, streamed.

        The limit is in the query: replay --last 100 over a million rows reads 100 of them.
        """
        return self._entries(count)

    def _entries(self, count: int | None) -> Iterator[tuple[str, str | UnreadableEntry]]:
        chosen: Any = verdicts
        if count is not None:
            # The newest `count` by the verdicts_by_time index; the outer query turns them around.
            newest = select(verdicts).where(self._in_scope())
            newest = newest.order_by(verdicts.c.recorded_at.desc(), verdicts.c.id.desc())
            chosen = newest.limit(count).subquery()
        query = select(chosen.c.repository, chosen.c.commit_sha, chosen.c.verdict)
        if count is None:
            query = query.where(self._in_scope())
        query = query.order_by(chosen.c.recorded_at, chosen.c.id)
        name = self.name  # it parses the URL: once, not once a row (replay reads 100,000)
        with transaction(self.engine, f"{name}: reading verdicts") as connection:
            result = connection.execution_options(yield_per=BATCH).execute(query)
            # PostgreSQL's rows stream while replay judges them (100,000 verdicts are gigabytes
            # of text; its reading blocks no writer). A SQLite transaction holds the write lock
            # (BEGIN IMMEDIATE): its rows are read at once, so no `record` waits on a replay.
            if self.engine.dialect.name == "postgresql":
                yield from _entry_rows(result, name)
                return
            rows = result.all()
        yield from _entry_rows(rows, name)

    def unfiled(
        self, connection: Connection, repository: str | None
    ) -> Iterator[tuple[Any, str, str | UnreadableEntry]]:
        """Rows without history rows (written by other means than `record`), oldest first:
        (their order, `repository@commit`, the text or why unreadable). `history` reads these
        from their JSON, in its own transaction (one connection, not one each);
        `repository` narrows them to that repository's rows."""
        query = (
            select(verdicts.c.recorded_at, verdicts.c.id, verdicts.c.repository,
                   verdicts.c.commit_sha, verdicts.c.verdict)
            .outerjoin(history_verdicts, history_verdicts.c.verdict_id == verdicts.c.id)
            .where(history_verdicts.c.verdict_id.is_(None))
            .order_by(verdicts.c.recorded_at, verdicts.c.id)
        )  # fmt: skip
        counts = [select(func.count()).select_from(t) for t in (verdicts, history_verdicts)]
        if repository is not None:
            query = query.where(verdicts.c.repository == repository)
        # Every row has its history row when the counts agree (at most one each, by key):
        # two index counts instead of an anti-join over every verdict.
        if repository is None and len({connection.execute(c).scalar() for c in counts}) == 1:
            return
        rows = connection.execute(query).all()
        # Each row's key and text checked as entries() checks them (_entry_rows, one owner).
        checked = _entry_rows((row[2:] for row in rows), self.name)
        for (recorded_at, verdict_id, *_), (key, found) in zip(rows, checked, strict=True):
            yield (recorded_at, verdict_id), key, found

    def prune(self, older_than: timedelta, *, now: datetime | None = None) -> int:
        """Delete verdicts recorded before now - older_than, but never a branch's newest one."""
        cutoff = (now or datetime.now(timezone.utc)) - older_than
        newest = func.row_number().over(
            partition_by=(verdicts.c.repository, verdicts.c.branch),
            order_by=(verdicts.c.recorded_at.desc(), verdicts.c.id.desc()),
        )
        ranked = select(verdicts.c.id, newest.label("rank")).subquery()
        kept = select(ranked.c.id).where(ranked.c.rank == 1)
        old = and_(verdicts.c.recorded_at < cutoff, verdicts.c.id.not_in(kept))
        if self.scope.repository is not None:
            old = and_(old, verdicts.c.repository == self.scope.repository)
        with transaction(self.engine, f"{self.name}: pruning") as connection:
            gone = select(verdicts.c.id).where(old).scalar_subquery()
            # Explicitly, not by ON DELETE CASCADE alone: SQLite enforces it per connection only.
            for table in (campaigns, runs, checks, *HISTORY_TABLES):
                connection.execute(delete(table).where(table.c.verdict_id.in_(gone)))
            return int(connection.execute(delete(verdicts).where(old)).rowcount)

    def scoped(self, repository: str) -> DatabaseStore:
        """The same store, over one repository's verdicts only."""
        return replace(self, scope=replace(self.scope, repository=repository))

    def _in_scope(self) -> Any:
        if self.scope.repository is None:
            return true()
        return verdicts.c.repository == self.scope.repository

    def _baselines(self) -> Any:
        if self.scope.repository is None:
            raise UsageError("a baseline from a database store needs the repository it is for")
        return and_(
            verdicts.c.repository == self.scope.repository, verdicts.c.default_branch.is_(True)
        )


_KEY = ("repository", "commit_sha", "policy_digest")


def _entry_rows(rows: Iterable[Any], name: str) -> Iterator[tuple[str, str | UnreadableEntry]]:
    for repository, commit, text in rows:
        key = f"{repository}@{commit}"
        try:
            yield key, _checked(text, f"{name}:{key}")
        except UnreadableEntry as error:
            yield key, error


def _checked(text: object, where: str) -> str:
    """A row's verdict text is untrusted (anyone with write access wrote it): only text, capped."""
    if not isinstance(text, str):
        raise UnreadableEntry(f"{where}: not text")
    if len(text) > MAX_FILE_BYTES:
        raise UnreadableEntry(
            f"{where}: {len(text):,} characters, more than the {MAX_FILE_BYTES:,} allowed"
        )
    return text


def _rate(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _children(
    verdict: Verdict, verdict_id: int, repository: str
) -> dict[Any, list[dict[str, Any]]]:
    """The campaigns, runs and checks of a verdict as rows, so they can be queried."""
    found: dict[Any, list[dict[str, Any]]] = {campaigns: [], runs: [], checks: []}
    mine = {"verdict_id": verdict_id, "repository": repository}
    for c in verdict.campaigns:
        rate = _rate((c.payload or {}).get("pass_rate"))
        found[campaigns].append(
            {**mine, "key": c.key, "campaign": c.campaign, "outcome": c.outcome,
             "blocking": c.blocking, "pass_rate": rate, "flaky": c.flaky}
        )  # fmt: skip
        for r in c.runs:
            found[runs].append(
                {**mine, "campaign_key": c.key, "run_id": r.run_id, "outcome": r.outcome,
                 "pass_rate": _rate(r.metrics.get("pass_rate"))}
            )  # fmt: skip
        for k in c.checks:
            found[checks].append(
                {**mine, "campaign_key": c.key, "check_id": k.id, "kind": k.kind,
                 "status": k.status, "waived": k.waiver is not None}
            )  # fmt: skip
    return found


def open_database(
    spec: str, *, env: Mapping[str, str], cwd: Path | None = None, every_repository: bool = False
) -> DatabaseStore:
    """The store `spec` names, its schema migrated forward, scoped to this checkout."""
    # The password is read by the driver from the environment; it is scrubbed from all output.
    channel.current().add_secrets(env.get(PASSWORD_VARIABLE))
    engine = engine_for(spec)
    store = DatabaseStore(spec, engine, _scope(env, cwd, every_repository))
    migrate(engine, store.name)
    return store


def _scope(env: Mapping[str, str], cwd: Path | None, every_repository: bool) -> Scope:
    git = git_runner(cwd)
    ci = detect(env, cwd=cwd, run_git=git)
    branch = ci.branch
    if branch is None:
        current = git(["rev-parse", "--abbrev-ref", "HEAD"])
        branch = current if current and current != "HEAD" else None
    repository = None if every_repository else ci.repository
    return Scope(repository, branch, _default_branch(env, git), ci.pull_request)


def _default_branch(env: Mapping[str, str], git: GitRunner) -> str:
    """Ours, else GitLab's variable, else the remote's HEAD, else main (docs/history.md)."""
    named = env.get(DEFAULT_BRANCH_VARIABLE) or env.get("CI_DEFAULT_BRANCH")
    if named:
        return named
    head = git(["symbolic-ref", "--short", "refs/remotes/origin/HEAD"])
    return head.split("/", 1)[1] if head and "/" in head else "main"


@dataclass
class DatabaseRecords:
    """gate.reuse's records (store.ReuseRecords) on a database, this checkout's repository's only.

    Opened on first use: a policy without gate.reuse never connects, and a database that cannot
    be used costs a note while the campaigns run (reuse.py). A default-branch job reads only
    records default-branch jobs filed (docs/governance.md §9); other jobs read either kind.
    """

    spec: str
    env: Mapping[str, str]
    cwd: Path | None = None

    @property
    def name(self) -> str:
        return describe(self.spec)

    @cached_property
    def _store(self) -> DatabaseStore:
        store = open_database(self.spec, env=self.env, cwd=self.cwd)
        if not store.scope.repository:
            raise UsageError(
                f"{self.name}: reuse records are filed under the repository, and this checkout "
                "has no CI repository variable or origin remote"
            )
        return store

    def put(self, key: str, text: str) -> str:
        store = self._store
        row = {
            "repository": store.scope.repository,
            "key": key,
            "default_branch": store.scope.on_default,
            "record": text,
            "filed_at": datetime.now(timezone.utc),
        }
        with transaction(store.engine, f"{self.name}: filing {key[:12]}") as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            upsert = dialect.insert(reuse_records).values(**row)
            unique = ["repository", "key", "default_branch"]
            replaced = {k: upsert.excluded[k] for k in ("record", "filed_at")}
            connection.execute(upsert.on_conflict_do_update(index_elements=unique, set_=replaced))
        return f"{self.name} ({terminal(str(row['repository']))}, reuse key {key[:12]})"

    def get(self, key: str) -> str | None:
        where = f"{self.name}:{key[:12]}"
        try:
            store = self._store
            mine = and_(
                reuse_records.c.repository == store.scope.repository, reuse_records.c.key == key
            )
            if store.scope.on_default:
                mine = and_(mine, reuse_records.c.default_branch.is_(True))
            query = (
                select(reuse_records.c.record)
                .where(mine)
                .order_by(reuse_records.c.filed_at.desc())
                .limit(1)
            )
            with transaction(store.engine, f"{where}: reading") as connection:
                text = connection.execute(query).scalar()
        except UsageError as error:  # unreachable, refused, no repository, a password URL
            raise UnreadableEntry(str(error)) from None
        return None if text is None else _checked(text, where)
