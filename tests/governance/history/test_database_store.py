"""`--store sqlite:PATH` and `--store postgresql://…` as a user meets them: record from fifty jobs
at once, `check --baseline auto` from default-branch verdicts only, replay, prune, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import support
from sqlalchemy import event

from gate_runner.governance.history.database import SCHEMA_VERSION
from gate_runner.governance.history.database_store import open_database

from ..cli import run
from ..gitrepo import GIT_ENV, Repo
from .stored import count, query, verdict_text

CONCURRENT = 50
# Only so a hung job cannot hang the suite: fifty processes took 220 s at a load average of 70.
JOB_TIMEOUT_S = 900.0


def _record(cwd: Path, store: str, text: str, name: str = "v.json", **env: str) -> str:
    path = cwd / name
    path.write_text(text, encoding="utf-8")
    done = run(cwd, "record", str(path), "--store", store, env=env)
    assert done.code == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_fifty_concurrent_records_store_each_verdict_once(store_spec: str, tmp_path: Path) -> None:
    # 25 commits, each recorded by two jobs at once (a re-run racing the first run), into a
    # database nobody has used yet: every job also races to create the schema.
    commits = [f"{i:040x}" for i in range(1, CONCURRENT // 2 + 1)]
    env = support.clean_env(GIT_ENV, token=None)
    jobs = []
    for n in range(CONCURRENT):
        path = tmp_path / f"v{n}.json"
        path.write_text(verdict_text(commits[n % len(commits)]), encoding="utf-8")
        args = ["record", str(path), "--store", store_spec]
        jobs.append(support.start_gate(args, cwd=tmp_path, env=env))
    finished = [(job.wait(timeout=JOB_TIMEOUT_S), *job.communicate()) for job in jobs]
    assert [code for code, _out, _err in finished] == [0] * CONCURRENT, finished
    assert all("Traceback" not in err for _code, _out, err in finished)
    assert sorted(c for (c,) in query(store_spec, "SELECT commit_sha FROM verdicts")) == commits
    # Each verdict's rows once: one campaign, one run and two checks each.
    assert [count(store_spec, t) for t in ("campaigns", "runs", "checks")] == [25, 25, 50]
    assert query(store_spec, "SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]


def _history(tmp_path: Path, store: str) -> tuple[Repo, list[str]]:
    """main: c0 (recorded on main), c1 (a planted row), c2 (recorded from a feature branch)."""
    repo = Repo.init(tmp_path / "repo")
    repo.git("remote", "add", "origin", "https://git.example.invalid/acme/agent.git")
    c0 = repo.commit("the gate", {"sepurux.yml": POLICY, "scenario.yml": SCENARIO})
    _record(repo.path, store, verdict_text(c0, branch=None))  # the checkout's branch: main
    c1 = repo.commit("work")
    c2 = repo.commit("more work")
    # A pull request's job recorded c2 too: on its branch, so not a baseline.
    _record(repo.path, store, verdict_text(c2, branch="feature", pull_request=7, pass_rate=0.5))
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit("feature", {"app.txt": "x\n"})
    return repo, [c0, c1, c2]


POLICY = """
version: 1
thresholds: {min_pass_rate: 0.8}
campaigns:
  core: {}
"""

SCENARIO = """
token: sandbox-token
campaigns:
  - name: core
    duration: 0
    metrics: {pass_rate: 0.85, unsafe_attempts: 0, failures: 1, reliability_score: 90}
"""


@pytest.mark.slow
def test_baseline_auto_takes_only_default_branch_verdicts_and_skips_a_forged_row(
    store_spec: str, tmp_path: Path
) -> None:
    repo, (c0, c1, c2) = _history(tmp_path, store_spec)
    # Someone with write access planted a default-branch row for c1 that is no verdict.
    query(
        store_spec,
        "INSERT INTO verdicts (repository, commit_sha, branch, default_branch, policy_digest, "
        "recorded_at, outcome, blocking, verdict) VALUES (%s, %s, 'main', true, 'x', "
        "CURRENT_TIMESTAMP, 'pass', false, %s)",
        "acme/agent", c1, '["\\u001b[31mnot a verdict"]',
    )  # fmt: skip
    done = run(
        repo.path, "check", "--sandbox", "scenario.yml", "--baseline", "auto",
        "--store", store_spec, env={"GITHUB_BASE_REF": "main"},
    )  # fmt: skip
    assert done.code == 0, done.stderr
    baseline = json.loads((repo.path / "gate-runner-verdict.json").read_text())["baseline"]
    assert (baseline["commit"], baseline["commits_back"], baseline["merge_base"]) == (c0, 2, c2)
    assert baseline["note"].endswith(
        f"; skipped 1 unreadable entry: {store_spec}:{c1[:12]}: not a gate-runner verdict"
    ), baseline["note"]
    assert "\x1b" not in done.stdout + done.stderr


@pytest.mark.slow
def test_replay_reads_every_repositorys_verdicts(store_spec: str, tmp_path: Path) -> None:
    for n, repository in enumerate(("acme/agent", "acme/billing", "other/agent")):
        _record(tmp_path, store_spec, verdict_text(f"{n + 1:040x}", repository=repository))
    query(store_spec, "UPDATE verdicts SET verdict = %s WHERE repository = 'other/agent'", "{")
    # Named as the verdicts' policy file is ("sepurux.yml"): replay puts it in that file's place.
    (tmp_path / "strict").mkdir()
    strict = tmp_path / "strict" / "sepurux.yml"
    strict.write_text("version: 1\nthresholds: {min_pass_rate: 0.95}\ncampaigns:\n  core: {}\n")
    args = ["replay", "--store", store_spec, "--policy", str(strict), "--format", "json"]
    done = run(tmp_path, *args)
    assert done.code == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["verdicts"], report["blocked"]) == (2, 2)
    assert sorted(item["repository"] for item in report["changed"]) == [
        "acme/agent",
        "acme/billing",
    ]
    assert len(report["skipped"]) == 1
    assert report["skipped"][0].startswith(f"{store_spec}:other/agent@{3:040x}: ")


@pytest.mark.slow
def test_prune_keeps_each_branchs_newest_verdict(store_spec: str, tmp_path: Path) -> None:
    ages = {"a": ("main", 100), "b": ("main", 60), "c": ("main", 40), "d": ("feature", 90)}
    for name, (branch, _age) in ages.items():
        _record(tmp_path, store_spec, verdict_text(name * 40, branch=branch))
    for name, (_branch, age) in ages.items():
        query(
            store_spec,
            "UPDATE verdicts SET recorded_at = %s WHERE commit_sha = %s",
            _days_ago(age, store_spec), name * 40,
        )  # fmt: skip
    done = run(tmp_path, "history", "prune", "--store", store_spec, "--older-than", "30")
    assert (done.code, done.stdout) == (
        0,
        f"pruned 2 verdicts recorded more than 30 days ago from {store_spec} "
        "(each branch's newest kept)\n",
    )
    # c: main's newest (40 days old); d: the feature branch's only one (90 days old).
    assert sorted(c for (c,) in query(store_spec, "SELECT commit_sha FROM verdicts")) == [
        "c" * 40,
        "d" * 40,
    ]
    assert [count(store_spec, t) for t in ("campaigns", "runs", "checks")] == [2, 2, 4]
    again = run(tmp_path, "history", "prune", "--store", store_spec, "--older-than", "0")
    assert again.stdout.startswith("pruned 0 verdicts"), again.stdout


def _days_ago(days: int, spec: str) -> str:
    from datetime import datetime, timedelta, timezone

    when = datetime.now(timezone.utc) - timedelta(days=days)
    # SQLAlchemy keeps SQLite's timestamps as text in its own form, without the zone.
    return when.strftime("%Y-%m-%d %H:%M:%S.%f") if spec.startswith("sqlite:") else when.isoformat()


@pytest.mark.slow
def test_prune_refuses_a_directory_store_and_a_negative_age(tmp_path: Path) -> None:
    done = run(tmp_path, "history", "prune", "--store", "dir", "--older-than", "3")
    assert done.code == 2
    assert "history prune works on a database store (sqlite:PATH or postgresql://…)" in done.stderr
    done = run(tmp_path, "history", "prune", "--store", "sqlite:x.db", "--older-than", "-1")
    assert (done.code, done.stderr) == (
        2,
        "gate-runner: error: --older-than -1: give a number of days, 0 or more\n",
    )


@pytest.mark.slow
def test_a_password_in_the_url_is_refused_and_never_printed(tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    path.write_text(verdict_text("a" * 40), encoding="utf-8")
    url = "postgresql://ci:hunter2-in-url@127.0.0.1:1/verdicts"
    done = run(tmp_path, "record", str(path), "--store", url)
    assert done.code == 2
    assert "the URL holds a password; give it in the PGPASSWORD environment variable" in (
        done.stderr
    )
    assert "hunter2" not in done.stdout + done.stderr


@pytest.mark.slow
def test_an_unreachable_database_is_an_error_for_record_and_a_note_for_check(
    tmp_path: Path,
) -> None:
    repo = Repo.init(tmp_path / "repo")
    repo.git("remote", "add", "origin", "https://git.example.invalid/acme/agent.git")
    c0 = repo.commit("the gate", {"sepurux.yml": POLICY, "scenario.yml": SCENARIO})
    url = "postgresql://ci@127.0.0.1:1/verdicts"  # nothing listens on port 1
    secret = {"PGPASSWORD": "s3cret-pg-password"}
    (repo.path / "v.json").write_text(verdict_text(c0), encoding="utf-8")
    done = run(repo.path, "record", "v.json", "--store", url, env=secret)
    assert done.code == 2
    assert done.stderr.startswith(
        "gate-runner: error: postgresql://ci@127.0.0.1:1/verdicts: reading the schema version: "
    ), done.stderr
    args = ("check", "--sandbox", "scenario.yml", "--baseline", "auto", "--store", url)
    checked = run(repo.path, *args, env={**secret, "GITHUB_BASE_REF": "main"})
    assert checked.code == 0, checked.stderr
    baseline = json.loads((repo.path / "gate-runner-verdict.json").read_text())["baseline"]
    assert baseline["commit"] is None
    assert baseline["note"].startswith("no baseline: postgresql://ci@127.0.0.1:1/verdicts: ")
    assert "s3cret" not in done.stderr + checked.stdout + checked.stderr


@pytest.mark.slow
def test_a_sqlite_store_names_a_file(tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    path.write_text(verdict_text("a" * 40), encoding="utf-8")
    (tmp_path / "folder").mkdir()
    for spec, why in (
        ("sqlite:", "--store sqlite:PATH: name the database file (sqlite:verdicts.db)"),
        (f"sqlite:{tmp_path / 'folder'}", "that is a directory, not a database file"),
        (f"sqlite:{path}/x.db", f"cannot create its folder {path}: File exists"),
    ):
        done = run(tmp_path, "record", str(path), "--store", spec)
        assert done.code == 2 and why in done.stderr, done.stderr
    # A path with URL syntax in it is a file name all the same.
    odd = tmp_path / "we?ird#name" / "v.db"
    assert run(tmp_path, "record", str(path), "--store", f"sqlite:{odd}").code == 0
    assert query(f"sqlite:{odd}", "SELECT count(*) FROM verdicts") == [(1,)]


@pytest.mark.slow
def test_record_shows_a_crafted_repository_name_on_one_line(tmp_path: Path) -> None:
    spec = f"sqlite:{tmp_path / 'v.db'}"
    crafted = "acme/agent\n::error::forged\x1b[2J"
    out = _record(tmp_path, spec, verdict_text("f" * 40, repository=crafted))
    assert out.count("\n") == 1 and "\x1b" not in out, out
    assert "acme/agent\\n::error::forged" in out
    assert query(spec, "SELECT repository FROM verdicts") == [(crafted,)]


@pytest.mark.slow
def test_replay_last_reads_only_the_newest_verdicts(store_spec: str, tmp_path: Path) -> None:
    # Recorded a..e in that order, but their times say b and d are the newest two.
    ages = {"a": 5, "b": 1, "c": 4, "d": 2, "e": 3}
    store = open_database(store_spec, env={}, cwd=tmp_path, every_repository=True)
    for name in ages:
        store.put(name * 40, verdict_text(name * 40, repository=f"acme/{name}"))
    for name, age in ages.items():
        query(
            store_spec,
            "UPDATE verdicts SET recorded_at = %s WHERE commit_sha = %s",
            _days_ago(age, store_spec), name * 40,
        )  # fmt: skip
    sent: list[tuple[str, Any]] = []

    def _sent(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", _sent)
    assert [key for key, _text in store.newest(2)] == [f"acme/d@{'d' * 40}", f"acme/b@{'b' * 40}"]
    # One query, and the database, not Python, keeps the two: LIMIT 2 is in it.
    [(statement, parameters)] = [(s, p) for s, p in sent if "FROM verdicts" in s]
    values = parameters.values() if isinstance(parameters, dict) else parameters
    assert "LIMIT" in statement.upper() and 2 in values, (statement, parameters)

    # Named as the verdicts' policy file is ("sepurux.yml"): replay puts it in that file's place.
    (tmp_path / "strict").mkdir()
    strict = tmp_path / "strict" / "sepurux.yml"
    strict.write_text("version: 1\nthresholds: {min_pass_rate: 0.95}\ncampaigns:\n  core: {}\n")
    args = ["replay", "--store", store_spec, "--policy", str(strict), "--last", "2"]
    done = run(tmp_path, *args, "--format", "json")
    assert done.code == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["verdicts"], report["blocked"], report["skipped"]) == (2, 2, [])
    assert sorted(item["repository"] for item in report["changed"]) == ["acme/b", "acme/d"]
