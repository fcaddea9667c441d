"""gate.reuse in process (issue 21): the key, the `paths` tree read from git objects, and a
stored record read as hostile input."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gate_runner.config import load_policy
from gate_runner.git_commands import Git
from gate_runner.governance.history.reuse import (
    NoTree,
    paths_tree,
    read_record,
    record_text,
    reuse_key,
)
from gate_runner.governance.history.store import (
    REUSE_NOTES_REF,
    UnreadableEntry,
    open_reuse_records,
)
from gate_runner.policy import Policy, PolicySource
from gate_runner.report.reported_findings import age_text, reused_from
from gate_runner.verdict import CampaignResult, CIContext, Enforcement, Reused

from ..gitrepo import Repo

NOW = datetime(2026, 12, 10, 10, 0, tzinfo=timezone.utc)
KEY = "ab" * 32
POLICY = """
version: 1
gate:
  reuse: {paths: [agent/], max_age: 12h}
thresholds: {min_pass_rate: 0.7}
campaigns:
  core: {campaign: core}
"""


@pytest.fixture
def policy(tmp_path: Path) -> Policy:
    path = tmp_path / "sepurux.yml"
    path.write_text(POLICY)
    return load_policy(path)


def _key(policy: Policy, **changes: object) -> str:
    campaign = replace(policy.campaigns[0], **changes)  # type: ignore[arg-type]
    return reuse_key(policy, campaign, api_base="https://api.example", tree="t" * 64)


def test_max_age_is_read_in_seconds(policy: Policy) -> None:
    assert policy.gate.reuse is not None
    assert policy.gate.reuse.max_age_s == 12 * 3600
    assert replace(policy.gate.reuse, max_age="7d").max_age_s == 7 * 86400


def test_the_key_changes_with_everything_a_result_depends_on(policy: Policy) -> None:
    base = _key(policy)
    assert _key(policy) == base  # the same inputs, the same key
    campaign = policy.campaigns[0]
    others = {
        "another campaign": _key(policy, name_or_id="other"),
        "a trace": _key(policy, trace_id="t-9"),
        "a mutation pack": _key(policy, mutation_pack_id="mp-1"),
        "thresholds": _key(policy, thresholds=()),
        "api": reuse_key(policy, campaign, api_base="https://other.example", tree="t" * 64),
        "tree": reuse_key(policy, campaign, api_base="https://api.example", tree="u" * 64),
        "digest": reuse_key(
            replace(policy, digest="sha256:" + "0" * 64),
            campaign,
            api_base="https://api.example",
            tree="t" * 64,
        ),
        "a pin": reuse_key(
            replace(policy, sources=(*policy.sources, PolicySource("https://x/p.yml", "s"))),
            campaign,
            api_base="https://api.example",
            tree="t" * 64,
        ),
    }
    assert base not in others.values()
    assert len(set(others.values())) == len(others)


def test_the_tree_is_read_from_the_commit_never_the_working_tree(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "repo")
    first = repo.commit("one", {"agent/a.py": "1\n", "README.md": "r\n"})
    git = Git(repo.path)
    tree = paths_tree(git, first, ["agent/"])
    assert isinstance(tree, str) and len(tree) == 64
    second = repo.commit("docs", {"README.md": "r2\n"})
    assert paths_tree(git, second, ["agent/"]) == tree  # nothing under paths changed
    third = repo.commit("code", {"agent/a.py": "2\n"})
    assert paths_tree(git, third, ["agent/"]) != tree
    # An older commit is read from its objects, whatever the working tree holds.
    assert paths_tree(git, first, ["agent/"]) == tree
    # Pathspec magic and globs are git's own.
    assert isinstance(paths_tree(git, third, ["agent/*.py"]), str)
    assert paths_tree(git, third, ["nothing/"]) == NoTree(
        f"gate.reuse.paths match no file at {third[:12]}"
    )
    (repo.path / "agent" / "new.py").write_text("untracked\n")
    dirty = paths_tree(git, third, ["agent/"])
    assert isinstance(dirty, NoTree) and "changes under gate.reuse.paths" in dirty.why
    # An unknown commit falls back to HEAD (a PR's head a shallow clone lacks).
    os.remove(repo.path / "agent" / "new.py")
    assert paths_tree(git, "f" * 40, ["agent/"]) == paths_tree(git, third, ["agent/"])


def _result() -> CampaignResult:
    return CampaignResult(
        key="core",
        campaign="core",
        campaign_id=None,
        run_id="r-1",
        dashboard_url=None,
        status="done",
        outcome="pass",
        blocking=False,
        enforcement=Enforcement("hard", "default", "default"),
        checks=(),
        payload={"decision": "pass", "pass_rate": 0.9},
    )


CI = CIContext("github", commit="c" * 40, branch="main", build_url="https://ci/run/1")


def _record(**changes: object) -> str:
    text = record_text(_result(), key=KEY, ci=CI, now=NOW - timedelta(hours=2))
    assert text is not None
    return json.dumps({**json.loads(text), **changes})


def test_a_record_round_trips_with_its_age_and_origin() -> None:
    reused = read_record(_record(), key=KEY, campaign="core", now=NOW)
    assert reused.reused == Reused(
        commit="c" * 40,
        age=7200,
        key=KEY,
        filed_at="2026-12-10T08:00:00Z",
        branch="main",
        ci_run="https://ci/run/1",
    )
    assert reused.runs == (("r-1", {"decision": "pass", "pass_rate": 0.9}),)


def test_only_a_result_run_to_a_decision_is_filed() -> None:
    def filed(result: CampaignResult, ci: CIContext = CI) -> bool:
        return record_text(result, key=KEY, ci=ci, now=NOW) is not None

    assert filed(_result())
    assert not filed(replace(_result(), status="timeout"))
    assert not filed(replace(_result(), payload=None))
    assert not filed(replace(_result(), reused=Reused("c" * 40, 1, KEY, "x")))
    assert not filed(_result(), CIContext("local"))  # no commit: nothing to tie it to


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{", "Expecting"),
        ("[]", "not a gate-runner reuse record"),
        (_record(key="cd" * 32), "another key"),
        (_record(campaign="other"), "another campaign"),
        (_record(commit="HEAD"), "not a full sha"),
        (_record(filed_at="2027-01-01T00:00:00Z"), "in the future"),
        (_record(filed_at="yesterday"), "not a time"),
        (_record(filed_at="2026-12-10T08:00:00"), "no time zone"),
        (_record(runs=[]), "1 to 20 runs"),
        (_record(runs=[{"payload": 1}] * 21), "1 to 20 runs"),
        (_record(runs=[{"payload": "pass"}]), "without a payload object"),
        (_record(runs=[{"payload": {}, "run_id": 7}]), "without a payload object"),
        ('{"kind": "gate-runner reuse record", "n": NaN}', "NaN"),
    ],
)
def test_a_crafted_record_says_why_it_is_not_used(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        read_record(text, key=KEY, campaign="core", now=NOW)


def test_directory_records_refuse_a_planted_symlink(tmp_path: Path) -> None:
    records = open_reuse_records(str(tmp_path / "store"))
    records.put(KEY, _record())
    assert records.get(KEY) == _record()
    target = tmp_path / "store" / "reuse" / f"{KEY}.json"
    outside = tmp_path / "outside.json"
    outside.write_text(_record())
    target.unlink()
    target.symlink_to(outside)
    with pytest.raises(UnreadableEntry):
        records.get(KEY)
    assert records.get("cd" * 32) is None


def test_git_notes_records_are_notes_on_a_blob_naming_the_key(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "repo")
    repo.commit("one", {"a": "1\n"})
    records = open_reuse_records("git-notes", Git(repo.path))
    assert records.get(KEY) is None
    records.put(KEY, _record())
    assert records.get(KEY) == _record()
    assert records.name == REUSE_NOTES_REF
    assert len(repo.git("notes", f"--ref={REUSE_NOTES_REF}", "list").splitlines()) == 1


def test_reports_say_how_old_in_words() -> None:
    assert [age_text(s) for s in (5, 90, 7205, 47 * 3600, 3 * 86400)] == [
        "just now",
        "1 min ago",
        "2 h ago",
        "47 h ago",
        "3 d ago",
    ]
    crafted = replace(_result(), reused=Reused("<i>abc1234def", 7200, KEY, "x"))
    assert reused_from(crafted) == "reused from abc1234 (2 h ago)"  # hex digits only


def test_the_tree_is_the_same_from_any_folder_of_the_repository(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "repo")
    head = repo.commit("one", {"agent/a.py": "1\n", "svc/sepurux.yml": "version: 1\n"})
    at_root = paths_tree(Git(repo.path), head, ["agent/"])
    assert isinstance(at_root, str)
    assert paths_tree(Git(repo.path / "svc"), head, ["agent/"]) == at_root
    assert paths_tree(Git(tmp_path), None, ["agent/"]) == NoTree(
        "no git clone here has the commit under test"
    )
