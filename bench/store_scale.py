"""Organisation-scale store benchmark: a million verdicts in PostgreSQL, whole processes timed.

Fill: one real verdict (CAMPAIGNS campaigns, as `check` writes it) is filed through the store,
then copied server-side (INSERT … SELECT over generate_series, in batches) into N verdicts over
REPOSITORIES repositories, each under its own repository, commit and time, one minute apart,
with its campaigns, runs and checks rows copied the same way. Then, timed from outside as a
user runs it: `gate-runner replay --store URL --policy P --last L --format json` (the target:
under 60 s over the last 100,000 of 1,000,000).

PostgreSQL: --postgres URL (a role that may create databases; password in PGPASSWORD), or
GATE_RUNNER_TEST_POSTGRES as .ci/run sets it. The database is dropped afterwards unless --keep
(its name is printed). --database NAME measures a database on that server already filled
(by an earlier --keep): nothing is filled, written or dropped, only the replays are timed.

Run: .venv/bin/python bench/store_scale.py [--verdicts 1000000] [--last 100000] [--keep]
     .venv/bin/python bench/store_scale.py --database scale1m [--last 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path

from _common import GATE_RUNNER, clean_env, machine, table
from store import database_url, postgres_database

from gate_runner.config import load_policy
from gate_runner.governance.history.database import campaigns, checks, runs
from gate_runner.governance.history.database_store import open_database
from gate_runner.runner import GateOptions, evaluate_payloads
from gate_runner.verdict import CIContext

TEMPLATE_COMMIT = "0" * 40
TEMPLATE_REPOSITORY = "org/template"
# Rows copied per INSERT … SELECT: one transaction each, so a full WAL never holds the fill.
BATCH = 100_000


def policy_text(campaign_count: int, bar: float) -> str:
    keys = "".join(f"  c{n}: {{}}\n" for n in range(campaign_count))
    return f"version: 1\nthresholds: {{min_pass_rate: {bar}}}\ncampaigns:\n{keys}"


def template(campaign_count: int, scratch: Path) -> str:
    """One real verdict of `campaign_count` campaigns, judged from sepurux.yml in `scratch`."""
    path = scratch / "sepurux.yml"
    path.write_text(policy_text(campaign_count, 0.8), encoding="utf-8")
    policy = load_policy(path, env={})
    keys = tuple(f"c{n}" for n in range(campaign_count))
    payloads = {
        key: {"decision": "pass", "pass_rate": 0.9, "run_id": f"run-{key}", "top_failing_tools": []}
        for key in keys
    }
    verdict = evaluate_payloads(
        policy, payloads, GateOptions(campaign_keys=keys),
        ci=CIContext("github", repository=TEMPLATE_REPOSITORY, commit=TEMPLATE_COMMIT,
                     branch="main"),
        today=date(2026, 12, 1),
    )  # fmt: skip
    return verdict.to_json()


def fill(spec: str, text: str, count: int, repositories: int, scratch: Path) -> float:
    """Seconds to file `count` copies of `text` (and their rows) server-side."""
    import psycopg

    os.environ.setdefault("GATE_RUNNER_DEFAULT_BRANCH", "main")
    store = open_database(spec, env=os.environ, cwd=scratch, every_repository=True)
    store.put(TEMPLATE_COMMIT, text)
    started = time.monotonic()
    with psycopg.connect(spec, autocommit=True) as c:
        (template_id,) = c.execute("SELECT id FROM verdicts").fetchone() or (0,)
        repository = f"'org/repo-' || lpad((g %% {repositories})::text, 4, '0')"
        commit = "lpad(to_hex(g), 40, '0')"
        for first in range(1, count + 1, BATCH):
            last = min(first + BATCH - 1, count)
            c.execute(
                "INSERT INTO verdicts (repository, commit_sha, branch, default_branch, "
                "policy_digest, recorded_at, started_at, outcome, blocking, verdict) "
                f"SELECT {repository}, {commit}, v.branch, v.default_branch, v.policy_digest, "
                f"timestamptz '2026-01-01' + g * interval '1 minute', v.started_at, v.outcome, "
                f"v.blocking, replace(replace(v.verdict, %s, {commit}), %s, {repository}) "
                "FROM verdicts v, generate_series(%s::int, %s::int) AS g WHERE v.id = %s",
                (TEMPLATE_COMMIT, TEMPLATE_REPOSITORY, first, last, template_id),
            )
            for child in (campaigns, runs, checks):
                columns = [
                    c.name for c in child.columns if c.name not in ("verdict_id", "repository")
                ]
                listed = ", ".join(columns)
                picked = ", ".join(f"t.{name}" for name in columns)
                c.execute(
                    f"INSERT INTO {child.name} (verdict_id, repository, {listed}) "
                    f"SELECT v.id, v.repository, {picked} FROM verdicts v "
                    f"JOIN {child.name} t ON t.verdict_id = %s "
                    "WHERE v.id BETWEEN %s AND %s",
                    (template_id, template_id + first, template_id + last),
                )
            print(f"  filled {last:,} of {count:,} ({time.monotonic() - started:.0f} s)",
                  file=sys.stderr)  # fmt: skip
        for child in (campaigns, runs, checks):
            c.execute(f"DELETE FROM {child.name} WHERE verdict_id = %s", (template_id,))
        c.execute("DELETE FROM verdicts WHERE id = %s", (template_id,))
        c.execute("VACUUM ANALYZE")
    return time.monotonic() - started


def footprint(spec: str) -> tuple[int, int, int]:
    """(verdicts, repositories, bytes of the store's tables with their indexes and TOAST)."""
    import psycopg

    with psycopg.connect(spec, autocommit=True) as c:
        rows, repositories = c.execute(
            "SELECT count(*), count(DISTINCT repository) FROM verdicts"
        ).fetchone() or (0, 0)
        (size,) = c.execute(
            "SELECT sum(pg_total_relation_size(t)) FROM unnest(ARRAY['verdicts', "
            "'campaigns', 'runs', 'checks', 'schema_version']::regclass[]) AS t"
        ).fetchone() or (0,)
    return int(rows), int(repositories), int(size)


def timed(args: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds (its workers' too) of one whole gate-runner process, and its
    stdout; it must exit 0. The CPU follows the machine's load far less than the wall time."""
    before = _children_cpu()
    started = time.monotonic()
    done = subprocess.run(
        [GATE_RUNNER, *args], cwd=cwd, env=clean_env(), capture_output=True, text=True, check=False
    )
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(
            f"gate-runner {' '.join(args[:3])}…: exit {done.returncode}: {done.stderr}"
        )
    return elapsed, _children_cpu() - before, done.stdout


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verdicts", type=int, default=1_000_000)
    parser.add_argument("--repositories", type=int, default=500)
    parser.add_argument("--campaigns", type=int, default=10)
    parser.add_argument("--last", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("GATE_RUNNER_TEST_POSTGRES"))
    parser.add_argument("--database", help="measure this filled database: no fill, no drop")
    parser.add_argument("--keep", action="store_true", help="keep the filled database")
    args = parser.parse_args()
    if not args.postgres:
        raise SystemExit("--postgres URL (or GATE_RUNNER_TEST_POSTGRES) names the server")
    with tempfile.TemporaryDirectory() as scratch_name, ExitStack() as stack:
        scratch = Path(scratch_name)
        if args.database:
            spec, filled = database_url(args.postgres, args.database), "not filled here"
        else:
            spec = stack.enter_context(postgres_database(args.postgres, keep=args.keep))
            text = template(args.campaigns, scratch)
            seconds = fill(spec, text, args.verdicts, args.repositories, scratch)
            filled = f"{seconds:.0f} s"
        rows, repositories, size = footprint(spec)
        candidate = scratch / "candidate" / "sepurux.yml"
        candidate.parent.mkdir()
        candidate.write_text(policy_text(args.campaigns, 0.95), encoding="utf-8")
        replay = ["replay", "--store", spec, "--policy", str(candidate), "--format", "json"]
        # A few, then the target: a store-size-independent read shows the limit is in the query.
        measured = []
        for last in sorted({100, args.last}):
            seconds, cpu, out = timed([*replay, "--last", str(last)], scratch)
            report = json.loads(out)
            if report["verdicts"] != min(last, rows):
                raise SystemExit(f"replay judged {report['verdicts']} verdicts, not {last}")
            # The largest process so far (replay's own, its workers are smaller), in MiB.
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            measured.append(
                [f"replay --store --last {last:,}", f"{seconds:.1f} s, CPU {cpu:.1f} s "
                 f"({report['verdicts']:,} judged, {report['blocked']:,} blocked; "
                 f"{len(out) / 2**20:,.0f} MiB of JSON; peak memory {peak:,.0f} MiB; "
                 f"load average {os.getloadavg()[0]:.1f} after)"]
            )  # fmt: skip
        print(machine())
        print(
            table(
                ["measure", "value"],
                [
                    ["verdicts in PostgreSQL", f"{rows:,} ({repositories} repositories, "
                     f"{args.campaigns} campaigns each)"],
                    ["fill (server-side copy)", filled],
                    ["footprint per verdict", f"{size / rows / 1024:.1f} KiB"],
                    *measured,
                ],
            )
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
