"""A verdict store or replay folder anyone can write to: FIFOs, devices, links, huge files.

A FIFO at DIR/<sha>.json once hung `--baseline auto` for ever, a link to /dev/zero read until
MemoryError (exit 4, no verdict), and `record` wrote through a planted symlink, overwriting
whatever it pointed at. Entries are now read only as regular files under a size cap and
replaced, never written through.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from governance.cli import run
from governance.conftest import verdict_json
from governance.gitrepo import Repo

from gate_runner.untrusted_json import MAX_FILE_BYTES

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")

POLICY = """version: 1
enforcement: {mode: hard}
thresholds: {min_pass_rate: 0.5}
campaigns:
  core: {}
"""

SCENARIO = """token: sandbox-token
campaigns:
  - name: core
    duration: 0
    metrics: {pass_rate: 0.8}
"""


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _huge(path: Path) -> None:
    with path.open("wb") as handle:  # sparse: no disk, no time
        handle.truncate(MAX_FILE_BYTES + 1)


def _folder(path: Path) -> None:
    path.mkdir()


HOSTILE: dict[str, tuple[Callable[[Path], None], str]] = {
    "fifo": (_fifo, "not a regular file (a FIFO)"),
    "dev-zero": (_dev_zero, "not a regular file (a symbolic link)"),
    "huge": (_huge, f"larger than {MAX_FILE_BYTES} bytes"),
    "directory": (_folder, "not a regular file (a directory)"),
}


def _history(tmp_path: Path) -> tuple[Repo, str, str, Path]:
    """main: c0 (filed, a good verdict), c1 (its entry is hostile); the PR branches from c1."""
    repo = Repo.init(tmp_path / "repo")
    c0 = repo.commit("gate", {"sepurux.yml": POLICY, "scenario.yml": SCENARIO})
    c1 = repo.commit("work", {"app.txt": "1\n"})
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit("feature", {"app.txt": "pr\n"})
    store = tmp_path / "store"
    store.mkdir()
    (store / f"{c0}.json").write_text(verdict_json(c0), encoding="utf-8")
    return repo, c0, c1, store


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_baseline_auto_skips_a_hostile_entry_with_a_note(tmp_path: Path, kind: str) -> None:
    repo, c0, c1, store = _history(tmp_path)
    plant, why = HOSTILE[kind]
    plant(store / f"{c1}.json")
    done = run(
        repo.path,
        "check",
        "--sandbox",
        "scenario.yml",
        "--baseline",
        "auto",
        "--store",
        str(store),
        "--timeout",
        "30",
        env={"GITHUB_BASE_REF": "main"},
    )
    assert done.code == 0, done.stderr
    verdict = json.loads((repo.path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    baseline = verdict["baseline"]
    assert (baseline["commit"], baseline["commits_back"]) == (c0, 1)
    assert f"skipped 1 unreadable entry: {store / f'{c1}.json'}: {why}" in baseline["note"]


@pytest.mark.slow
def test_record_replaces_a_planted_symlink_and_leaves_its_target_alone(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "repo")
    commit = repo.commit("c0", {"app.txt": "0\n"})
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    store = tmp_path / "store"
    store.mkdir()
    (store / f"{commit}.json").symlink_to(victim)
    saved = tmp_path / "v.json"
    saved.write_text(verdict_json(commit), encoding="utf-8")
    done = run(repo.path, "record", str(saved), "--store", str(store))
    assert done.code == 0, done.stderr
    assert victim.read_text(encoding="utf-8") == "precious\n"
    entry = store / f"{commit}.json"
    assert not entry.is_symlink()
    assert entry.read_text(encoding="utf-8") == saved.read_text(encoding="utf-8")


@pytest.mark.slow
def test_record_refuses_a_fifo_at_the_entry_and_leaves_it(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "repo")
    commit = repo.commit("c0", {"app.txt": "0\n"})
    store = tmp_path / "store"
    store.mkdir()
    os.mkfifo(store / f"{commit}.json")
    saved = tmp_path / "v.json"
    saved.write_text(verdict_json(commit), encoding="utf-8")
    done = run(repo.path, "record", str(saved), "--store", str(store))
    assert done.code == 2
    assert f"cannot write {store / f'{commit}.json'}: " in done.stderr
    assert "is a FIFO, not a regular file" in done.stderr
    assert (store / f"{commit}.json").is_fifo()


@pytest.mark.slow
def test_replay_skips_fifos_devices_and_huge_files_it_is_given(tmp_path: Path) -> None:
    folder = tmp_path / "verdicts"
    folder.mkdir()
    good = "a" * 40
    (folder / "good.json").write_text(verdict_json(good), encoding="utf-8")
    os.mkfifo(folder / "fifo.json")
    (folder / "zero.json").symlink_to("/dev/zero")  # given as a path, so links are followed
    _huge(folder / "huge.json")
    store = tmp_path / "store"
    store.mkdir()
    os.mkfifo(store / f"{'b' * 40}.json")
    (tmp_path / "candidate.yml").write_text(POLICY, encoding="utf-8")
    done = run(
        tmp_path,
        "replay",
        "--policy",
        "candidate.yml",
        "--replaces",
        "sepurux.yml",
        "verdicts",
        "--store",
        str(store),
    )
    assert done.code == 0, done.stderr
    assert "of the last 1 merge " in done.stdout.splitlines()[0]
    skipped = sorted(line for line in done.stdout.splitlines() if line.startswith("skipped"))
    assert skipped == sorted(
        [
            "skipped verdicts/fifo.json: cannot read: not a regular file (a FIFO); "
            "refusing to read it",
            f"skipped verdicts/huge.json: cannot read: larger than {MAX_FILE_BYTES} bytes; "
            "refusing",
            "skipped verdicts/zero.json: cannot read: not a regular file (a character device); "
            "refusing to read it",
            f"skipped {store}:{'b' * 40}: {store / ('b' * 40 + '.json')}: not a regular file "
            "(a FIFO); refusing to read it",
        ]
    )
