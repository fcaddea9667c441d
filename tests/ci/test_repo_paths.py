"""Report locations are relative to the repository root, wherever `gate-runner check` runs from.

SARIF wants `artifactLocation.uri` relative to the repository root (CI-FORMATS.md B4), GitLab
Code Quality `location.path` likewise (B3), GitHub annotations `file=` too (B1). Each case runs
`gate-runner check --sandbox` as a process in a temporary repository and reads all three.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import support
from support import run_gate

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

SCENARIO = REPO / "examples" / "sandbox" / "failing.yml"

CENTRAL = """\
version: 1
thresholds:
  min_pass_rate: 0.9
"""

POLICY = """\
version: 1
extends:
  - {extends}
enforcement:
  mode: hard
campaigns:
  core-reliability: {{}}
  refund-safety:
    thresholds:
      max_unsafe: 0
"""


def _git_init(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True)


def _check(cwd: Path, config: Path, extra: dict[str, str] | None = None) -> set[tuple[str, int]]:
    """(path, line) of every finding, the same in SARIF, Code Quality and GitHub annotations."""
    env = support.clean_env(extra, token=None)
    done = run_gate(
        [
            "check",
            "--config",
            os.path.relpath(config, cwd),
            "--sandbox",
            str(SCENARIO),
            "--report",
            "sarif=out.sarif",
            "--report",
            "gitlab=out.codequality.json",
            "--report",
            "github=out.github.txt",
            "--verdict",
            "out.verdict.json",
        ],
        cwd=cwd,
        env=env,
    )
    assert done.returncode == 1, done.stderr
    sarif = json.loads((cwd / "out.sarif").read_text(encoding="utf-8"))
    from_sarif = {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in sarif["runs"][0]["results"]
    }
    quality = json.loads((cwd / "out.codequality.json").read_text(encoding="utf-8"))
    from_quality = {(q["location"]["path"], q["location"]["lines"]["begin"]) for q in quality}
    annotations = (cwd / "out.github.txt").read_text(encoding="utf-8").splitlines()
    from_github = set()
    for line in annotations:
        if line.startswith("::error ") or line.startswith("::warning "):
            props = dict(p.split("=", 1) for p in line.split(" ", 1)[1].split("::")[0].split(","))
            from_github.add((props["file"], int(props["line"])))
    assert from_sarif == from_quality == from_github, (from_sarif, from_quality, from_github)
    return from_sarif


def _layout(tmp_path: Path, policy_dir: str = "") -> tuple[Path, Path]:
    """A repository with a policy (in policy_dir) that extends a file outside the repository."""
    (tmp_path / "central").mkdir()
    (tmp_path / "central" / "base.yml").write_text(CENTRAL, encoding="utf-8")
    repo = tmp_path / "repo"
    folder = repo / policy_dir
    folder.mkdir(parents=True)
    (repo / "sub" / "deeper").mkdir(parents=True)
    extends = os.path.relpath(tmp_path / "central" / "base.yml", folder)
    policy = folder / "sepurux.yml"
    policy.write_text(POLICY.format(extends=extends), encoding="utf-8")
    return repo, policy


def test_run_from_a_subdirectory_gives_repository_paths(tmp_path: Path) -> None:
    repo, policy = _layout(tmp_path)
    _git_init(repo)
    places = _check(repo / "sub" / "deeper", policy)
    # Campaign lines (7, 8), the campaign's own threshold (10) and, for the threshold set
    # in ../central/base.yml, outside the repository: the extends line that brings it in (3).
    assert places == {
        ("sepurux.yml", 3),
        ("sepurux.yml", 7),
        ("sepurux.yml", 8),
        ("sepurux.yml", 10),
    }


def test_policy_in_a_folder_of_the_repository(tmp_path: Path) -> None:
    repo, policy = _layout(tmp_path, "agents/support")
    _git_init(repo)
    places = _check(repo / "sub", policy)
    assert {path for path, _ in places} == {"agents/support/sepurux.yml"}


def test_without_git_the_ci_workspace_is_the_root(tmp_path: Path) -> None:
    # No repository metadata (a CI image without git, or an exported tree): GitLab's
    # CI_PROJECT_DIR, "the full path the repository is cloned to", is the root.
    repo, policy = _layout(tmp_path, "agents")
    extra = {
        "GITLAB_CI": "true",
        "CI_PROJECT_DIR": str(repo),
        "GIT_CEILING_DIRECTORIES": str(tmp_path),
    }
    places = _check(repo / "sub", policy, extra)
    assert {path for path, _ in places} == {"agents/sepurux.yml"}


REMOTE = """\
version: 1
thresholds:
  min_pass_rate: 0.9
campaigns:
  refund-safety: {}
"""

WITH_REMOTE = """\
version: 1
extends:
  - url: https://policies.example.com/agents/v3.yml
    sha256: {sha}
enforcement:
  mode: hard
campaigns:
  core-reliability: {{}}
"""


def test_a_remote_rule_lands_on_the_campaign_line_else_the_first_line(tmp_path: Path) -> None:
    """What README ("Findings point at…") and docs/forges.md say (issue 17, Messages): a rule
    from a remote policy lands on its campaign's line in the repository's policy, or on the
    policy's first line when the campaign comes from the remote policy too."""
    import hashlib

    sha = hashlib.sha256(REMOTE.encode()).hexdigest()
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / f"{sha}.yml").write_text(REMOTE, encoding="utf-8")  # pinned: read, never fetched
    repo = tmp_path / "repo"
    repo.mkdir()
    _git_init(repo)
    policy = repo / "sepurux.yml"
    policy.write_text(WITH_REMOTE.format(sha=sha), encoding="utf-8")
    found = _check(repo, policy, {"GATE_RUNNER_CACHE_DIR": str(cache)})
    # core-reliability (0.81 < 0.9): its campaign line, 8; refund-safety (remote): line 1.
    assert found == {("sepurux.yml", 8), ("sepurux.yml", 1)}, found
