"""`check` with gate.reuse as a process over real git repositories, a store and the sandbox:
a commit that changed nothing under `paths` calls no API; every change that matters runs
again; a stored record is hostile input (issue 21)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from support import validate_verdict

from gate_runner.sandbox import Sandbox, Scenario
from gate_runner.untrusted_json import MAX_FILE_BYTES

from ..cli import Done, run
from ..gitrepo import Repo
from .stored import count, query

TOKEN = "sandbox-reuse-token"
SCENARIO: dict[str, Any] = {
    "token": TOKEN,
    "campaigns": [
        {
            "name": name,
            "duration": 0,
            "metrics": {"pass_rate": rate, "unsafe_attempts": 0, "reliability_score": 90},
        }
        for name, rate in (("core", 0.8), ("extra", 0.95))
    ],
}
POLICY = """
version: 1
extends: [platform.yml]
gate:
  reuse:
    paths: [agent/, "prompts/*.md"]
    max_age: 12h
enforcement: {mode: hard}
thresholds: {min_pass_rate: 0.7}
campaigns:
  core: {campaign: core}
  extra: {campaign: extra}
"""
PLATFORM = "version: 1\n# the platform team's file\n"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(Scenario.from_dict(SCENARIO)) as running:
        yield running


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo.init(tmp_path / "repo")
    repo.commit(
        "the agent",
        {
            "sepurux.yml": POLICY,
            "platform.yml": PLATFORM,
            "agent/main.py": "print('refund')\n",
            "prompts/system.md": "Be helpful.\n",
            "README.md": "# agent\n",
            ".gitignore": "gate-runner-verdict.json\nout/\n",
        },
    )
    return repo


def check(repo: Repo, sandbox: Sandbox, *args: str, env: dict[str, str] | None = None) -> Done:
    return run(
        repo.path,
        "check",
        "--api-url",
        sandbox.url,
        "--store",
        str(repo.path.parent / "store"),
        *args,
        env={"SEPURUX_API_KEY": TOKEN, **(env or {})},
    )


def verdict(repo: Repo) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((repo.path / "gate-runner-verdict.json").read_text())
    validate_verdict(data)
    return data


def reused(repo: Repo) -> dict[str, Any]:
    return {c["key"]: c.get("reused") for c in verdict(repo)["campaigns"]}


def records(repo: Repo) -> list[Path]:
    return sorted((repo.path.parent / "store" / "reuse").glob("*.json"))


def judged_then(repo: Repo, sandbox: Sandbox) -> tuple[str, int]:
    """A first check that runs and files both campaigns: (its commit, the API's count)."""
    done = check(repo, sandbox)
    assert done.code == 0, done.stderr
    assert reused(repo) == {"core": None, "extra": None}
    assert len(records(repo)) == 2
    return repo.head(), sandbox.total_requests()


@pytest.mark.slow
def test_a_commit_that_changed_nothing_under_paths_calls_no_api(
    repo: Repo, sandbox: Sandbox
) -> None:
    first, requests = judged_then(repo, sandbox)
    repo.commit("docs only", {"README.md": "# agent\nmore words\n"})
    done = check(
        repo,
        sandbox,
        "--report",
        "junit=out/junit.xml",
        "--report",
        "sarif=out/sarif.json",
        "--report",
        "markdown=out/comment.md",
        "--report",
        "html=out/report.html",
        "--report",
        "github",
    )
    assert done.code == 0, done.stderr
    assert sandbox.total_requests() == requests  # not one call: no resolve, no create, no poll
    found = reused(repo)
    for key in ("core", "extra"):
        assert found[key]["commit"] == first
        assert found[key]["branch"] == "main"
        assert 0 <= found[key]["age"] < 3600
        assert len(found[key]["key"]) == 64
    # "just now" under a minute; a loaded machine may take longer between the two checks.
    (age,) = re.findall(rf"reused from {first[:7]} \((just now|\d+ min ago)\)", done.stdout)[:1]
    line = f"reused from {first[:7]} ({age})"
    # (SARIF holds findings only: a passing campaign has none; the golden files show it.)
    for name in ("junit.xml", "comment.md", "report.html"):
        assert line in (repo.path / "out" / name).read_text(encoding="utf-8"), name
    assert "::notice file=sepurux.yml" in done.stdout
    # Re-judged, not copied: the outcome and checks are today's judgement of the payload.
    core = next(c for c in verdict(repo)["campaigns"] if c["key"] == "core")
    assert core["outcome"] == "pass" and core["payload"]["pass_rate"] == 0.8
    # A reused result is not filed again: its age keeps counting from the run.
    assert len(records(repo)) == 2


@pytest.mark.slow
@pytest.mark.parametrize(
    ("change", "files"),
    [
        ("paths", {"agent/main.py": "print('refund v2')\n"}),
        ("a glob of paths", {"prompts/system.md": "Be terse.\n"}),
        ("the policy", {"sepurux.yml": POLICY.replace("0.7", "0.75")}),
        ("the pins (an extended file)", {"platform.yml": PLATFORM + "# moved\n"}),
        (
            "the campaign's Sepurux settings",
            {"sepurux.yml": POLICY.replace("{campaign: core}", "{campaign: core, trace_id: t-2}")},
        ),
    ],
)
def test_a_change_that_matters_runs_again(
    repo: Repo, sandbox: Sandbox, change: str, files: dict[str, str]
) -> None:
    _, requests = judged_then(repo, sandbox)
    repo.commit(f"change {change}", files)
    done = check(repo, sandbox)
    assert done.code in (0, 1), done.stderr
    assert sandbox.total_requests() > requests, change
    assert reused(repo)["core"] is None, change


@pytest.mark.slow
def test_fresh_another_api_base_and_a_dirty_tree_run_again(repo: Repo, sandbox: Sandbox) -> None:
    _, requests = judged_then(repo, sandbox)
    assert check(repo, sandbox, "--fresh").code == 0
    assert sandbox.total_requests() > requests
    assert reused(repo) == {"core": None, "extra": None}
    with Sandbox(Scenario.from_dict(SCENARIO)) as other:
        assert check(repo, other).code == 0
        assert other.total_requests() > 0  # another API base: another key
    (repo.path / "agent" / "main.py").write_text("print('edited, not committed')\n")
    before = sandbox.total_requests()
    assert check(repo, sandbox).code == 0
    assert sandbox.total_requests() > before
    assert any("changes under gate.reuse.paths" in n for n in verdict(repo)["notes"])


@pytest.mark.slow
def test_an_old_record_runs_again_and_today_s_waivers_and_dates_judge_a_reused_one(
    repo: Repo, sandbox: Sandbox
) -> None:
    strict = POLICY.replace("0.7", "0.9") + (
        "waivers:\n  - {campaign: core, check: min_pass_rate, until: 2030-01-31, reason: AG-1}\n"
    )
    repo.commit("a waived bar", {"sepurux.yml": strict})
    assert check(repo, sandbox, "--as-of", "2030-01-01").code == 0  # waived: passes
    requests = sandbox.total_requests()
    # The same result, judged on a day after the waiver ran out: it now fails, still unrun.
    done = check(repo, sandbox, "--as-of", "2030-02-01")
    assert done.code == 1, done.stderr
    assert sandbox.total_requests() == requests
    core = next(c for c in verdict(repo)["campaigns"] if c["key"] == "core")
    assert core["reused"] is not None and core["outcome"] == "fail"
    # Older than max_age (12h): run again.
    for path in records(repo):
        data = json.loads(path.read_text())
        then = datetime.now(timezone.utc) - timedelta(hours=13)
        data["filed_at"] = then.isoformat(timespec="seconds").replace("+00:00", "Z")
        path.write_text(json.dumps(data))
    assert check(repo, sandbox, "--as-of", "2030-01-01").code == 0
    assert sandbox.total_requests() > requests
    assert reused(repo) == {"core": None, "extra": None}


def _crafted(path: Path, data: dict[str, Any], how: str) -> None:
    if how == "garbage":
        path.write_text("{not json")
    elif how == "symlink":
        target = path.with_suffix(".real")
        path.rename(target)
        os.symlink(target, path)
    elif how == "another key":
        path.write_text(json.dumps({**data, "key": "f" * 64}))
    elif how == "the future":
        path.write_text(json.dumps({**data, "filed_at": "2999-01-01T00:00:00Z"}))
    elif how == "huge":
        path.write_text(json.dumps({**data, "pad": "x" * (MAX_FILE_BYTES + 1)}))
    elif how == "runs not payloads":
        path.write_text(json.dumps({**data, "runs": [{"payload": "pass"}]}))


@pytest.mark.slow
@pytest.mark.parametrize(
    "how", ["garbage", "symlink", "another key", "the future", "huge", "runs not payloads"]
)
def test_a_crafted_record_is_not_reused(repo: Repo, sandbox: Sandbox, how: str) -> None:
    _, requests = judged_then(repo, sandbox)
    for path in records(repo):
        _crafted(path, json.loads(path.read_text()), how)
    done = check(repo, sandbox)
    assert done.code == 0, done.stderr
    assert sandbox.total_requests() > requests, how
    assert reused(repo) == {"core": None, "extra": None}
    assert any("gate.reuse" in note for note in verdict(repo)["notes"]), how


@pytest.mark.slow
def test_git_notes_store_reuses(repo: Repo, sandbox: Sandbox) -> None:
    env = {"SEPURUX_API_KEY": TOKEN}
    base = ("check", "--api-url", sandbox.url, "--store", "git-notes")
    assert run(repo.path, *base, env=env).code == 0
    first, requests = repo.head(), sandbox.total_requests()
    assert repo.git("notes", "--ref=refs/notes/gate-runner-reuse", "list")
    repo.commit("docs only", {"README.md": "# agent v2\n"})
    assert run(repo.path, *base, env=env).code == 0
    assert sandbox.total_requests() == requests
    assert reused(repo)["core"]["commit"] == first


@pytest.mark.slow
def test_without_store_nothing_is_reused_and_the_verdict_says_so(
    repo: Repo, sandbox: Sandbox
) -> None:
    env = {"SEPURUX_API_KEY": TOKEN}
    done = run(repo.path, "check", "--api-url", sandbox.url, env=env)
    assert done.code == 0, done.stderr
    assert "gate.reuse: nothing is reused or filed without --store" in verdict(repo)["notes"]


def _github(repo: Repo, name: str, event: dict[str, Any], sha: str) -> dict[str, str]:
    path = repo.path.parent / f"{name}.json"
    path.write_text(json.dumps(event))
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": name,
        "GITHUB_EVENT_PATH": str(path),
        "GITHUB_REPOSITORY": "acme/agent",
        "GITHUB_SHA": sha,
        "GITHUB_RUN_ID": "31",
    }


def _merge_group(repo: Repo, pr_head: str) -> tuple[str, dict[str, Any]]:
    """GitHub's merge queue: main merged with the PR on gh-readonly-queue/main/pr-7-<head>.

    The event is the documented example (tests/vendor) with this group's commits.
    """
    ref = f"gh-readonly-queue/main/pr-7-{pr_head}"
    repo.git("checkout", "-q", "-b", ref, "main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #7", "pr")
    head = repo.head()
    example = Path(__file__).parents[2] / "vendor" / "github-merge-group-checks-requested.json"
    event = json.loads(example.read_text())
    event["merge_group"].update(
        head_sha=head, base_sha=repo.git("rev-parse", "main"), head_ref=f"refs/heads/{ref}"
    )
    return head, event


@pytest.mark.slow
@pytest.mark.parametrize("main_moved", ["docs", "paths"])
def test_a_queue_entry_whose_paths_equal_the_judged_pr_head_is_not_run_again(
    repo: Repo, sandbox: Sandbox, main_moved: str
) -> None:
    repo.git("checkout", "-q", "-b", "pr")
    pr_head = repo.commit("the PR", {"agent/main.py": "print('refund v2')\n"})
    pull = {"pull_request": {"number": 7, "head": {"sha": pr_head}}}
    assert check(repo, sandbox, env=_github(repo, "pull_request", pull, "0" * 40)).code == 0
    requests = sandbox.total_requests()
    repo.git("checkout", "-q", "main")
    moved = {"docs": "README.md", "paths": "prompts/system.md"}[main_moved]
    repo.commit("main moves on", {moved: "changed on main\n"})
    head, event = _merge_group(repo, pr_head)
    done = check(repo, sandbox, env=_github(repo, "merge_group", event, head))
    assert done.code == 0, done.stderr
    data = verdict(repo)
    assert data["ci"]["commit"] == head
    assert data["ci"]["pull_request"] == 7
    assert data["ci"]["merge_queue"]["pull_requests"] == [7]
    if main_moved == "docs":
        # What the campaigns exercise is what the PR's head had: judged once, not again.
        assert sandbox.total_requests() == requests
        assert {c["reused"]["commit"] for c in data["campaigns"]} == {pr_head}
    else:
        assert sandbox.total_requests() > requests
        assert all("reused" not in c for c in data["campaigns"])


@pytest.mark.slow
def test_when_every_campaign_is_reused_no_token_is_needed(repo: Repo, sandbox: Sandbox) -> None:
    _, requests = judged_then(repo, sandbox)
    repo.commit("docs only", {"README.md": "# agent v3\n"})
    store = str(repo.path.parent / "store")
    done = run(repo.path, "check", "--api-url", sandbox.url, "--store", store)  # no token
    assert done.code == 0, done.stderr
    assert sandbox.total_requests() == requests
    assert all(r is not None for r in reused(repo).values())
    # One campaign to run again: then the token is needed, and its absence is the error.
    repo.commit("code", {"agent/main.py": "print('v3')\n"})
    assert run(repo.path, "check", "--api-url", sandbox.url, "--store", store).code == 3


def _in_database(repo: Repo, sandbox: Sandbox, store: str, origin: str = "acme/agent") -> Done:
    url = f"https://git.example.invalid/{origin}.git"
    repo.git("remote", "set-url" if repo.git("remote") else "add", "origin", url)
    args = ("check", "--api-url", sandbox.url, "--store", store)
    return run(repo.path, *args, env={"SEPURUX_API_KEY": TOKEN})


@pytest.mark.slow
def test_a_database_store_reuses_within_its_repository_only(
    repo: Repo, sandbox: Sandbox, store_spec: str
) -> None:
    assert _in_database(repo, sandbox, store_spec).code == 0
    first, requests = repo.head(), sandbox.total_requests()
    rows = query(store_spec, "SELECT repository, key, default_branch FROM reuse_records")
    assert sorted(r[0] for r in rows) == ["acme/agent", "acme/agent"]
    assert all(len(r[1]) == 64 and r[2] for r in rows)  # main's job: a default-branch record
    repo.commit("docs only", {"README.md": "# agent\nmore words\n"})
    done = _in_database(repo, sandbox, store_spec)
    assert done.code == 0, done.stderr
    assert sandbox.total_requests() == requests  # not one API request
    assert {r["commit"] for r in reused(repo).values()} == {first}
    assert f"reused from {first[:7]}" in done.stdout
    # The same tree, policy and server in another repository: A's records are not B's.
    other = _in_database(repo, sandbox, store_spec, origin="acme/other")
    assert other.code == 0, other.stderr
    assert sandbox.total_requests() > requests
    assert reused(repo) == {"core": None, "extra": None}
    assert count(store_spec, "reuse_records") == 4


@pytest.mark.slow
@pytest.mark.parametrize("how", ["another key", "garbage", "huge"])
def test_a_crafted_database_row_is_not_reused(
    repo: Repo, sandbox: Sandbox, store_spec: str, how: str
) -> None:
    assert _in_database(repo, sandbox, store_spec).code == 0
    requests = sandbox.total_requests()
    for key, text in query(store_spec, "SELECT key, record FROM reuse_records"):
        crafted = {
            "another key": text.replace(key, "f" * 64),
            "garbage": "{not json",
            "huge": text[:-2] + ', "pad": "' + "x" * (MAX_FILE_BYTES + 1) + '"}',
        }[how]
        query(store_spec, "UPDATE reuse_records SET record = %s WHERE key = %s", crafted, key)
    done = _in_database(repo, sandbox, store_spec)
    assert done.code == 0, done.stderr
    assert sandbox.total_requests() > requests, how
    assert reused(repo) == {"core": None, "extra": None}
    assert any("gate.reuse: core" in note for note in verdict(repo)["notes"]), how
