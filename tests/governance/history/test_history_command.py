"""`gate-runner history` as a user runs it over a directory store: text, JSON, filters, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..cli import run
from .stored_verdicts import sha, stored

AS_OF = ("--as-of", "2026-11-30")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """acme/agent: steady, then a new failure; acme/chat: chronic, flaky, one expiring waiver."""
    folder = tmp_path / "verdicts"
    folder.mkdir()
    texts = [stored("acme/agent", i, 0.9, day=i + 1) for i in range(4)]
    texts.append(stored("acme/agent", 4, 0.6, day=10, tools=("search",)))
    texts += [
        stored("acme/chat", i, 0.5, day=i + 1, runs=[(10, 50), (45, 50), (30, 50)])
        for i in range(3)
    ]
    texts.append(
        stored("acme/chat", 3, 0.5, day=20, waiver_until="2026-12-03", baseline=sha(0, "acme/chat"))
    )
    for text in texts:
        commit = json.loads(text)["ci"]["commit"]
        (folder / f"{commit}.json").write_text(text, encoding="utf-8")
    (folder / ("f" * 40 + ".json")).write_text("{not a verdict", encoding="utf-8")
    return folder


@pytest.mark.slow
def test_text_names_each_repository_and_campaigns_trend(store: Path) -> None:
    done = run(store.parent, "history", "--store", "verdicts", "--stale", "10", *AS_OF)
    assert done.code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "history of 9 verdicts in 2 repositories (as of 2026-11-30)"
    assert lines[2] == "acme/agent: 5 verdicts; waivers 0 live, 0 expiring, 0 expired"
    assert lines[3] == (
        "  core: 5 commits, mean 0.840, latest 0.600, bar 0.8: met 4 of 5 (fail 1 pass 4); "
        "NEW failure; new tools search"
    )
    assert lines[5] == "acme/chat: 4 verdicts; waivers 0 live, 1 expiring, 0 expired"
    assert lines[6] == f"  baseline {sha(0, 'acme/chat')[:12]}: 19 days older STALE (over 10 days)"
    assert lines[7].startswith("  core: 4 commits, mean 0.500, latest 0.500, bar 0.8: met 0 of 4")
    assert "FLAKY (χ² " in lines[7] and "CHRONIC failure" in lines[7]
    assert lines[8] == "  waiver core/threshold:min_pass_rate until 2026-12-03: expiring"
    assert lines[9] == f"skipped verdicts:{'f' * 40}: not valid JSON (Expecting property name " + (
        "enclosed in double quotes: line 1 column 2 (char 1))"
    )
    assert len(lines) == 10


@pytest.mark.slow
def test_json_and_the_filters(store: Path) -> None:
    args = ("history", "--store", "verdicts", "--format", "json", *AS_OF)
    data = json.loads(run(store.parent, *args, "--repo", "acme/chat").stdout)
    assert [r["repository"] for r in data["repositories"]] == ["acme/chat"]
    chat = data["repositories"][0]
    assert chat["waiver_debt"] == {"live": 0, "expiring": 1, "expired": 0}
    core = chat["campaigns"][0]
    assert (core["commits"], core["met_bar"], core["failing"]) == (4, 0, "chronic")
    assert core["flaky"]["flaky"] is True and core["flaky"]["df"] == 6
    assert data["query"]["repo"] == "acme/chat"
    later = json.loads(run(store.parent, *args, "--since", "2026-11-05").stdout)
    assert later["verdicts"] == 2
    assert json.loads(run(store.parent, *args, "--branch", "dev").stdout)["verdicts"] == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "history needs --store"),
        (("--store", "missing"), "--store missing: no such directory of verdicts"),
        (("--store", "verdicts", "--since", "last week"), "--since 'last week': expected a date"),
        (("--store", "verdicts", "--stale", "-1"), "--stale -1: give a number of days"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(store: Path, args: tuple[str, ...], says: str) -> None:
    done = run(store.parent, "history", *args)
    assert done.code == 2
    assert says in done.stderr
    assert done.stdout == ""


@pytest.mark.slow
def test_a_crafted_repository_name_stays_on_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "verdicts"
    folder.mkdir()
    text = stored("evil\nhistory of 0 verdicts\x1b[2J", 0, 0.9)
    (folder / f"{json.loads(text)['ci']['commit']}.json").write_text(text, encoding="utf-8")
    done = run(tmp_path, "history", "--store", "verdicts", *AS_OF)
    assert done.code == 0, done.stderr
    assert len(done.stdout.splitlines()) == 4
    assert "\x1b" not in done.stdout


@pytest.mark.slow
def test_git_notes_are_a_store_like_any_other(tmp_path: Path) -> None:
    from ..gitrepo import Repo

    repo = Repo.init(tmp_path / "repo")
    for index, rate in enumerate((0.9, 0.6)):
        commit = repo.commit(f"c{index}", {"f.txt": str(index)})
        data = json.loads(stored("acme/agent", index, rate))
        data["ci"]["commit"] = commit
        path = tmp_path / f"v{index}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        assert run(repo.path, "record", str(path), "--store", "git-notes").code == 0
    done = run(repo.path, "history", "--store", "git-notes", "--format", "json", *AS_OF)
    assert done.code == 0, done.stderr
    core = json.loads(done.stdout)["repositories"][0]["campaigns"][0]
    assert [p["pass_rate"] for p in core["points"]] == [0.9, 0.6]
    assert core["failing"] == "new"
