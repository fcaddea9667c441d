"""Blobs a repository controls are size-checked before they are read.

A policy read at a git ref and a verdict filed as a git note were read whole (a 100 MB blob
cost 435 MB of memory). Now `git cat-file -s` is asked first and the read is capped.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from governance.cli import run
from governance.conftest import verdict_json
from governance.gitrepo import Repo, git_env

from gate_runner.config.fetch import MAX_BYTES
from gate_runner.untrusted_json import MAX_FILE_BYTES

POLICY = """version: 1
enforcement: {mode: hard}
thresholds: {min_pass_rate: 0.5}
campaigns:
  core: {}
"""

SCENARIO = "token: t\ncampaigns:\n  - {name: core, duration: 0, metrics: {pass_rate: 0.8}}\n"


@pytest.mark.slow
def test_a_policy_at_the_ref_over_the_cap_is_refused_unread(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "repo")
    # Valid YAML throughout (a comment), so only the size can refuse it.
    huge = POLICY + "#" + "x" * MAX_BYTES + "\n"
    repo.commit("huge base policy", {"sepurux.yml": huge, "scenario.yml": SCENARIO})
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit("small policy", {"sepurux.yml": POLICY})
    done = run(repo.path, "check", "--sandbox", "scenario.yml", "--policy-ref", "main")
    assert done.code == 2, done.stderr
    assert f"cannot read the policy: larger than {MAX_BYTES} bytes; refusing" in done.stderr


def _note(repo: Repo, commit: str, path: Path) -> None:
    blob = repo.git("hash-object", "-w", str(path))
    repo.git("notes", "--ref=refs/notes/gate-runner", "add", "-f", "-C", blob, commit)


@pytest.mark.slow
def test_a_git_note_over_the_cap_is_skipped_with_a_note(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "repo")
    c0 = repo.commit("gate", {"sepurux.yml": POLICY, "scenario.yml": SCENARIO})
    c1 = repo.commit("work", {"app.txt": "1\n"})
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit("feature", {"app.txt": "pr\n"})
    good = tmp_path / "good.json"
    good.write_text(verdict_json(c0), encoding="utf-8")
    _note(repo, c0, good)
    big = tmp_path / "big.json"
    with big.open("wb") as handle:  # sparse on disk; git compresses the zeros to ~70 KB
        handle.truncate(MAX_FILE_BYTES + 1)
    _note(repo, c1, big)
    big.unlink()
    args = ["check", "--sandbox", "scenario.yml", "--baseline", "auto", "--store", "git-notes"]
    done = run(repo.path, *args, env={"GITHUB_BASE_REF": "main"})
    assert done.code == 0, done.stderr
    verdict = json.loads((repo.path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    assert verdict["baseline"]["commit"] == c0
    assert (
        f"skipped 1 unreadable entry: refs/notes/gate-runner note on {c1[:12]}: " in
        verdict["baseline"]["note"]
    )  # fmt: skip
    assert f"more than the {MAX_FILE_BYTES:,} allowed" in verdict["baseline"]["note"]
    done = run(repo.path, "replay", "--policy", "sepurux.yml", "--store", "git-notes")
    assert done.code == 0, done.stderr
    assert "of the last 1 merge " in done.stdout
    assert (
        f"skipped git-notes:{c1}: refs/notes/gate-runner note on {c1[:12]}: "
        f"{MAX_FILE_BYTES + 1:,} bytes, more than the {MAX_FILE_BYTES:,} allowed"
    ) in done.stdout
    # The note is still there for whoever wants to look at it: nothing was deleted.
    listed = subprocess.run(
        ["git", "notes", "--ref=refs/notes/gate-runner", "list", c1],
        cwd=repo.path, env=git_env(), capture_output=True, check=True,
    )  # fmt: skip
    assert listed.stdout.strip()
