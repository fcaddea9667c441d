"""A base branch with a strict policy and a pull request checked out over it, as CI clones it."""

from __future__ import annotations

from pathlib import Path

from governance.gitrepo import Repo, shallow_clone

STRICT = """
version: 1
project: my-agent
gate: {on_error: fail}
enforcement: {mode: hard}
thresholds: {min_pass_rate: 0.9}
campaigns:
  core: {campaign: core-reliability}
"""

LAX = """
version: 1
project: my-agent
gate: {on_error: fail}
enforcement: {mode: observe}
thresholds: {min_pass_rate: 0.1}
campaigns:
  core: {campaign: core-reliability}
"""


def pull_request(tmp_path: Path, base: dict[str, str], change: dict[str, str]) -> Repo:
    """An origin whose main holds `base`, and a clone of it on branch `pr` with `change`.

    The clone has `origin/main` as a remote-tracking ref, as a CI checkout that fetched the
    base branch has.
    """
    origin = Repo.init(tmp_path / "origin")
    origin.commit("base policy", base)
    clone = Repo(tmp_path / "clone")
    origin.git("clone", "-q", str(origin.path), str(clone.path))
    clone.git("config", "commit.gpgsign", "false")
    clone.git("checkout", "-q", "-b", "pr")
    clone.commit("the pull request", change)
    return clone


def shallow_pull_request(tmp_path: Path, base: dict[str, str], change: dict[str, str]) -> Repo:
    """As CI checks out a pull request: one commit of its branch, the base branch not fetched."""
    origin = Repo.init(tmp_path / "origin")
    origin.commit("base policy", base)
    origin.git("checkout", "-q", "-b", "pr")
    origin.commit("the pull request", change)
    return shallow_clone(origin, tmp_path / "clone", "pr")
