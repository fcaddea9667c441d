"""Verdict stores (a directory, git notes), `record`, and baseline discovery over real history."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from gate_runner.git_commands import Git
from gate_runner.governance.history.baseline import find_baseline
from gate_runner.governance.history.store import DirectoryStore, GitNotesStore

from ..cli import run
from ..conftest import verdict_json
from ..gitrepo import Repo, git_env, shallow_clone


@pytest.fixture
def history(tmp_path: Path) -> tuple[Repo, list[str]]:
    """main: c0..c5; the PR branch `pr` starts at c4 and adds one commit (checked out)."""
    repo = Repo.init(tmp_path / "repo")
    commits = [repo.commit(f"c{i}", {"app.txt": f"{i}\n"}) for i in range(6)]
    repo.git("checkout", "-q", "-b", "pr", commits[4])
    repo.commit("pr work", {"app.txt": "pr\n"})
    return repo, commits


def _file(repo: Repo, tmp_path: Path, commit: str, store: str, **kwargs: object) -> None:
    path = tmp_path / f"verdict-{commit[:7]}.json"
    path.write_text(verdict_json(commit, **kwargs), encoding="utf-8")  # type: ignore[arg-type]
    done = run(repo.path, "record", str(path), "--store", store)
    assert done.code == 0, done.stderr


@pytest.mark.slow
@pytest.mark.slow
def test_a_gap_in_the_store_finds_the_nearest_ancestor(
    history: tuple[Repo, list[str]], tmp_path: Path
) -> None:
    repo, c = history
    store_dir = tmp_path / "store"
    for commit in (c[1], c[2]):  # c3 and c4 (the merge base) were never recorded
        _file(repo, tmp_path, commit, str(store_dir))
    assert sorted(p.name for p in store_dir.iterdir()) == sorted([f"{c[1]}.json", f"{c[2]}.json"])
    found = find_baseline(DirectoryStore(store_dir), Git(repo.path), base_ref="main")
    assert (found.commit, found.commits_back, found.merge_base) == (c[2], 2, c[4])
    assert found.verdict is not None and found.verdict["ci"]["commit"] == c[2]
    assert found.payloads()["core"]["run_id"] == f"run-{c[2]}"
    assert found.note == (
        f"baseline: the verdict of {c[2][:12]} (2 commits before the merge base {c[4][:12]})"
        f" from {store_dir}"
    )


@pytest.mark.slow
@pytest.mark.slow
def test_the_merge_base_itself_is_preferred(
    history: tuple[Repo, list[str]], tmp_path: Path
) -> None:
    repo, c = history
    for commit in (c[2], c[4], c[5]):  # c5 is on main after the PR forked: not an ancestor
        _file(repo, tmp_path, commit, str(tmp_path / "store"))
    found = find_baseline(DirectoryStore(tmp_path / "store"), Git(repo.path), base_ref="main")
    assert (found.commit, found.commits_back) == (c[4], 0)


@pytest.mark.slow
def test_no_verdict_within_the_bound_is_a_note(
    history: tuple[Repo, list[str]], tmp_path: Path
) -> None:
    repo, c = history
    _file(repo, tmp_path, c[1], str(tmp_path / "store"))
    found = find_baseline(
        DirectoryStore(tmp_path / "store"), Git(repo.path), base_ref="main", max_commits=2
    )
    assert (found.verdict, found.commit, found.merge_base) == (None, None, c[4])
    assert found.note == (
        f"no baseline: no verdict in {tmp_path / 'store'} for the merge base {c[4][:12]} "
        "and its 1 first-parent ancestors"
    )
    empty = find_baseline(DirectoryStore(tmp_path / "nothing"), Git(repo.path), base_ref="main")
    assert empty.verdict is None and empty.note.startswith("no baseline: no verdict in ")


@pytest.mark.slow
@pytest.mark.slow
def test_git_notes_keep_the_verdict_byte_for_byte(
    history: tuple[Repo, list[str]], tmp_path: Path
) -> None:
    repo, c = history
    path = tmp_path / "v.json"
    path.write_text(verdict_json(c[3]), encoding="utf-8")
    done = run(repo.path, "record", str(path), "--store", "git-notes")
    assert (done.code, done.stdout) == (
        0,
        f"recorded the verdict of {c[3]} in refs/notes/gate-runner (note on {c[3][:12]}; "
        "push it with: git push origin refs/notes/gate-runner)\n",
    )
    store = GitNotesStore(Git(repo.path))
    assert store.commits() == {c[3]}
    assert store.get(c[3]) == path.read_text(encoding="utf-8")
    found = find_baseline(store, Git(repo.path), base_ref="main")
    assert (found.commit, found.commits_back) == (c[3], 1)
    # Filing again replaces the note (a re-run of the default-branch job).
    path.write_text(verdict_json(c[3], pass_rate=0.5), encoding="utf-8")
    assert run(repo.path, "record", str(path), "--store", "git-notes").code == 0
    assert json.loads(store.get(c[3]) or "")["outcome"] == "fail"


@pytest.mark.slow
@pytest.mark.slow
def test_record_works_without_a_git_identity(
    history: tuple[Repo, list[str]], tmp_path: Path
) -> None:
    repo, c = history
    path = tmp_path / "v.json"
    path.write_text(verdict_json(c[0]), encoding="utf-8")
    repo.git("config", "user.useConfigOnly", "true")  # git must not guess one from the host
    home = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    drop = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
            "EMAIL")  # fmt: skip
    done = run(repo.path, "record", str(path), "--store", "git-notes", env=home, drop=drop)
    assert done.code == 0, done.stderr
    assert GitNotesStore(Git(repo.path)).commits() == {c[0]}


@pytest.mark.slow
@pytest.mark.slow
def test_a_shallow_clone_reads_notes_once_fetched(
    history: tuple[Repo, list[str]], tmp_path: Path
) -> None:
    repo, c = history
    _file(repo, tmp_path, c[2], "git-notes")
    clone = shallow_clone(repo, tmp_path / "ci", "pr")
    env = {"GITHUB_BASE_REF": "main"}
    store = GitNotesStore(Git(clone.path))
    missing = find_baseline(store, Git(clone.path), env=env)
    assert missing.verdict is None
    fix = (
        "git fetch --no-tags --depth=100 origin +refs/heads/main:refs/remotes/origin/main "
        + clone.head()
    )
    assert missing.note == (
        "no baseline: origin/main is not in this repository (this clone is shallow and lacks "
        f"it); fetch it with: {fix}"
    )
    # The fetch the note names (the one --policy-ref names too), then the notes, as
    # docs/governance.md tells CI to run before `check --baseline auto`.
    for command in (
        fix.split(),
        ["git", "fetch", "origin", "refs/notes/gate-runner:refs/notes/gate-runner"],
    ):
        subprocess.run(command, cwd=clone.path, env=git_env(), check=True, capture_output=True)
    found = find_baseline(store, Git(clone.path), env=env)
    assert (found.commit, found.commits_back) == (c[2], 2), found.note


@pytest.mark.slow
def test_a_search_the_shallow_clone_cut_short_names_by_how_much_to_deepen(
    history: tuple[Repo, list[str]], tmp_path: Path
) -> None:
    repo, c = history
    _file(repo, tmp_path, c[2], "git-notes")
    clone = shallow_clone(repo, tmp_path / "ci", "pr")
    clone.git("fetch", "-q", "--no-tags", "--depth=2", "origin",
              "+refs/heads/main:refs/remotes/origin/main", clone.head())  # fmt: skip
    clone.git("fetch", "-q", "origin", "refs/notes/gate-runner:refs/notes/gate-runner")
    env = {"GITHUB_BASE_REF": "main"}
    store = GitNotesStore(Git(clone.path))
    cut = find_baseline(store, Git(clone.path), env=env)
    assert cut.verdict is None
    # The merge base c4 is there, its history is not: 1 of the 50 commits the search reads.
    fix = "git fetch --no-tags --deepen=49 origin +refs/heads/main:refs/remotes/origin/main"
    assert cut.note.endswith(
        f"(the clone is shallow: 49 more would reach 50; deepen it with: {fix})"
    )
    clone.git(*fix.split()[1:])
    found = find_baseline(store, Git(clone.path), env=env)
    assert (found.commit, found.commits_back) == (c[2], 2), found.note


@pytest.mark.slow
@pytest.mark.slow
def test_record_refuses_what_it_cannot_file(tmp_path: Path) -> None:
    nameless = tmp_path / "nameless.json"
    nameless.write_text(verdict_json(None), encoding="utf-8")
    done = run(tmp_path, "record", str(nameless), "--store", "store")
    assert (done.code, done.stderr) == (
        2,
        f"gate-runner: error: {nameless}: the verdict names no commit (ci.commit); "
        "pass --commit SHA\n",
    )
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}', encoding="utf-8")
    done = run(tmp_path, "record", str(other), "--store", "store")
    assert (done.code, done.stderr) == (
        2,
        f"gate-runner: error: {other}: not a gate-runner verdict\n",
    )
    sha = "a" * 40
    done = run(tmp_path, "record", str(nameless), "--store", "store", "--commit", sha.upper())
    assert done.code == 0, done.stderr
    assert [p.name for p in (tmp_path / "store").iterdir()] == [f"{sha}.json"]


def test_record_names_an_unreadable_file_and_an_unknown_commit(tmp_path: Path) -> None:
    from gate_runner.errors import UsageError
    from gate_runner.governance.history.store import file_verdict

    broken = tmp_path / "broken.json"
    broken.write_text('{"outcome": ', encoding="utf-8")
    with pytest.raises(UsageError, match=r"broken.json: cannot read the verdict: not valid JSON"):
        file_verdict(DirectoryStore(tmp_path / "s"), broken)
    short = tmp_path / "short.json"
    short.write_text(verdict_json("abc123"), encoding="utf-8")
    with pytest.raises(UsageError) as raised:
        file_verdict(DirectoryStore(tmp_path / "s"), short, git=Git(tmp_path))
    assert str(raised.value) == f"{short}: ci.commit abc123: not a commit of this repository"
    assert not (tmp_path / "s").exists()
