"""Database store benchmark: bytes per verdict on disk, and fifty `record` jobs at once.

Footprint: N real verdicts (one campaign, one run, two checks, as `check` writes them) filed
through the store into SQLite and PostgreSQL; the SQLite file's size and the sum of
pg_total_relation_size over the store's tables (with indexes and TOAST), divided by N.
Concurrency: 50 `gate-runner record` processes started at once into a fresh database of each
kind (each also racing to create the schema); wall time to the last exit (it follows the
machine's load), CPU time per process (it does not), rows counted.

PostgreSQL: --postgres URL (a role that may create databases; password in PGPASSWORD), or
GATE_RUNNER_TEST_POSTGRES as .ci/run sets it; without either, SQLite only.

Run: .venv/bin/python bench/store.py [--verdicts 2000] [--jobs 50]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from _common import GATE_RUNNER, clean_env, machine, table

from gate_runner.config import load_policy
from gate_runner.governance.history.database_store import open_database
from gate_runner.runner import GateOptions, evaluate_payloads
from gate_runner.verdict import CIContext

POLICY = "version: 1\nthresholds: {min_pass_rate: 0.8}\ncampaigns:\n  core: {}\n"


def verdicts(count: int, scratch: Path) -> Iterator[tuple[str, str]]:
    """(commit, verdict JSON) of `count` commits: one real verdict, re-addressed per commit."""
    path = scratch / "sepurux.yml"
    path.write_text(POLICY, encoding="utf-8")
    policy = load_policy(path, env={})
    payload = {"decision": "pass", "pass_rate": 0.9, "run_id": "run-0", "top_failing_tools": []}
    verdict = evaluate_payloads(
        policy, {"core": payload}, GateOptions(campaign_keys=("core",)),
        ci=CIContext("github", repository="acme/agent", commit="0" * 40, branch="main"),
        today=date(2026, 12, 1),
    )  # fmt: skip
    template = verdict.to_json()
    for n in range(count):
        commit = f"{n + 1:040x}"
        yield commit, template.replace("0" * 40, commit).replace("run-0", f"run-{n}")


@contextmanager
def postgres_database(base: str, *, keep: bool = False) -> Iterator[str]:
    """A new database on `base`'s server, dropped afterwards unless `keep`."""
    import psycopg
    from psycopg import sql

    name = f"gate_runner_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(base, name)
    finally:
        if keep:
            print(f"kept the database {name} (measure it again with --database {name})",
                  file=sys.stderr)  # fmt: skip
        else:
            with psycopg.connect(base, autocommit=True) as c:
                c.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def database_url(base: str, name: str) -> str:
    """`base` (a server URL) naming the database `name` instead."""
    from sqlalchemy.engine import make_url

    return make_url(base).set(database=name).render_as_string(hide_password=False)


def footprint(spec: str, items: list[tuple[str, str]], scratch: Path) -> float:
    store = open_database(spec, env=os.environ, cwd=scratch)
    for commit, text in items:
        store.put(commit, text)
    if spec.startswith("sqlite:"):
        path = Path(spec[len("sqlite:") :])
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    else:
        import psycopg

        with psycopg.connect(spec, autocommit=True) as c:
            c.execute("VACUUM ANALYZE")
            row = c.execute(
                "SELECT sum(pg_total_relation_size(t)) FROM unnest(ARRAY['verdicts', "
                "'campaigns', 'runs', 'checks', 'schema_version', 'history_verdicts', "
                "'history_points', 'history_tools', 'history_waivers']::regclass[]) AS t"
            ).fetchone()
            size = int(row[0]) if row else 0
    return size / len(items)


def concurrent_records(
    spec: str, items: list[tuple[str, str]], scratch: Path
) -> tuple[float, float]:
    """(wall seconds to the last exit, CPU seconds per record process)."""
    env = clean_env()
    files = []
    for n, (_commit, text) in enumerate(items):
        path = scratch / f"job-{n}.json"
        path.write_text(text, encoding="utf-8")
        files.append(path)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    jobs = [
        subprocess.Popen(
            [GATE_RUNNER, "record", str(f), "--store", spec], cwd=scratch, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        for f in files
    ]  # fmt: skip
    failed = [job.communicate()[1] for job in jobs if job.wait() != 0]
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / len(items)
    if failed:
        raise SystemExit(f"{len(failed)} record jobs failed; first: {failed[0]!r}")
    store = open_database(spec, env=os.environ, cwd=scratch)
    stored = len(store.scoped("acme/agent").commits())
    if stored != len(items):
        raise SystemExit(f"{spec}: {stored} verdicts stored of {len(items)} recorded")
    return elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verdicts", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--postgres", default=os.environ.get("GATE_RUNNER_TEST_POSTGRES"))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        items = list(verdicts(args.verdicts, scratch))
        jobs = list(verdicts(args.jobs, scratch))
        json_bytes = sum(len(t.encode()) for _c, t in items) / len(items)
        os.environ.setdefault("GATE_RUNNER_DEFAULT_BRANCH", "main")
        kinds = [("SQLite", lambda: _sqlite(scratch))]
        if args.postgres:
            kinds.append(("PostgreSQL", lambda: postgres_database(args.postgres)))
        for label, database in kinds:
            with database() as spec:
                per = footprint(spec, items, scratch)
            with database() as spec:
                wall, cpu = concurrent_records(spec, jobs, scratch)
            rows.append(
                (label, f"{per:,.0f}", f"{per / json_bytes:.2f}x", f"{wall:.1f} s", f"{cpu:.2f} s")
            )
    print(f"Database store ({machine()}; load average {os.getloadavg()[0]:.1f} at the end)")
    print(f"{args.verdicts:,} verdicts of {json_bytes:,.0f} bytes of JSON each; "
          f"{args.jobs} concurrent record processes, each verdict stored once")  # fmt: skip
    headers = [
        "store", "bytes per verdict", "of its JSON", f"{args.jobs} records at once",
        "CPU per record",
    ]  # fmt: skip
    print(table(headers, rows))
    return 0


@contextmanager
def _sqlite(scratch: Path) -> Iterator[str]:
    yield f"sqlite:{scratch / f'store-{uuid.uuid4().hex[:8]}.db'}"


if __name__ == "__main__":
    sys.exit(main())
