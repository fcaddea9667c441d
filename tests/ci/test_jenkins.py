"""Jenkins detection and the PR head commit, against real git repositories built in tmp_path.

How Jenkins checks a PR out (git plugin, MergeWithGitSCMExtension.decorateRevisionToBuild):
check out the PR head, then merge the target's tip into it ("Merging <target> commit X into PR
head commit Y"); when the target is already in the head, nothing is merged. The branch sources
fetch the head to refs/remotes/origin/PR-<n> and the target to refs/remotes/origin/<target>.
Each workspace below is built the same way, with git itself.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import support
from support import run_gate

from gate_runner.ci import detect

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def commit(cwd: Path, name: str) -> str:
    (cwd / name).write_text(name, encoding="utf-8")
    git(cwd, "add", name)
    git(cwd, "commit", "-q", "-m", name)
    return git(cwd, "rev-parse", "HEAD")


class Server:
    """The forge's repository: main, and a PR branch `feat` started from main's first commit."""

    def __init__(self, root: Path, *, head_is_a_merge: bool = False, target_moves: bool = True):
        self.path = root / "server"
        self.path.mkdir()
        git(self.path, "init", "-q")
        self.base = commit(self.path, "base")
        git(self.path, "checkout", "-q", "-b", "feat")
        commit(self.path, "feature")
        if head_is_a_merge:
            # The PR head is itself a merge (of a side branch into feat).
            git(self.path, "checkout", "-q", "-b", "side", self.base)
            commit(self.path, "side")
            git(self.path, "checkout", "-q", "feat")
            git(self.path, "merge", "-q", "--no-ff", "--no-edit", "side")
        self.head = git(self.path, "rev-parse", "feat")
        git(self.path, "checkout", "-q", "main")
        self.target = commit(self.path, "target-moved") if target_moves else self.base


def agent_checkout(root: Path, server: Server, *, merge: bool, head_ref: str = "PR-123") -> Path:
    """The workspace Jenkins' git plugin leaves behind; GIT_COMMIT is its HEAD."""
    ws = root / "workspace"
    ws.mkdir()
    git(ws, "init", "-q")
    git(ws, "remote", "add", "origin", str(server.path))
    # Only what the branch source asks for: the PR head under its own name, and the target.
    git(ws, "config", "remote.origin.fetch", f"+refs/heads/feat:refs/remotes/origin/{head_ref}")
    git(ws, "config", "--add", "remote.origin.fetch", "+refs/heads/main:refs/remotes/origin/main")
    git(ws, "fetch", "-q", "origin")
    assert git(ws, "for-each-ref", "--format=%(refname)", "refs/remotes").split() == sorted(
        [f"refs/remotes/origin/{head_ref}", "refs/remotes/origin/main"]
    )
    git(ws, "checkout", "-q", "--detach", server.head)
    if merge:
        git(ws, "merge", "-q", "--no-edit", "refs/remotes/origin/main")
    return ws


PR_ENV = {
    "JENKINS_URL": "https://ci.example.com/",
    "GIT_URL": "https://github.com/acme/agent.git",
    "BRANCH_NAME": "PR-123",
    "CHANGE_ID": "123",
    "CHANGE_BRANCH": "feat",
    "CHANGE_TARGET": "main",
}


def jenkins_env(ws: Path, **extra: str) -> dict[str, str]:
    return {**PR_ENV, "GIT_COMMIT": git(ws, "rev-parse", "HEAD"), **extra}


def test_merge_strategy_reports_the_pr_head_not_the_target_or_the_agent_merge(
    tmp_path: Path,
) -> None:
    server = Server(tmp_path)
    ws = agent_checkout(tmp_path, server, merge=True)
    env = jenkins_env(ws)
    assert env["GIT_COMMIT"] not in (server.head, server.target)  # a merge made on the agent
    ctx = detect(env, cwd=ws)
    assert (ctx.vendor, ctx.commit, ctx.pull_request) == ("jenkins", server.head, 123)


def test_head_strategy_when_the_head_is_itself_a_merge(tmp_path: Path) -> None:
    server = Server(tmp_path, head_is_a_merge=True)
    ws = agent_checkout(tmp_path, server, merge=False)
    assert detect(jenkins_env(ws), cwd=ws).commit == server.head


@pytest.mark.slow
def test_merge_strategy_with_a_head_that_is_a_merge(tmp_path: Path) -> None:
    server = Server(tmp_path, head_is_a_merge=True)
    ws = agent_checkout(tmp_path, server, merge=True)
    assert detect(jenkins_env(ws), cwd=ws).commit == server.head


def test_nothing_to_merge_leaves_the_head_checked_out(tmp_path: Path) -> None:
    server = Server(tmp_path, target_moves=False)
    ws = agent_checkout(tmp_path, server, merge=True)
    assert git(ws, "rev-parse", "HEAD") == server.head
    assert detect(jenkins_env(ws), cwd=ws).commit == server.head


@pytest.mark.slow
def test_head_ref_under_another_name_is_found_from_the_target(tmp_path: Path) -> None:
    # GitLab branch source names it MR-123; BRANCH_NAME says so, but even without a name
    # match the merge's second parent is the target's tip, so its first is the head.
    server = Server(tmp_path)
    ws = agent_checkout(tmp_path, server, merge=True, head_ref="pr-head")
    assert detect(jenkins_env(ws), cwd=ws).commit == server.head


@pytest.mark.slow
def test_an_agent_merge_that_cannot_be_explained_is_not_reported(tmp_path: Path) -> None:
    server = Server(tmp_path)
    ws = agent_checkout(tmp_path, server, merge=True)
    git(ws, "update-ref", "-d", "refs/remotes/origin/main")
    git(ws, "update-ref", "-d", "refs/remotes/origin/PR-123")
    ctx = detect(jenkins_env(ws), cwd=ws)
    assert ctx.commit is None and ctx.pull_request == 123


def test_without_git_in_the_image_a_pr_commit_is_unknown_not_the_merge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shipped Jenkinsfile used python:3.12-slim, which has no git.
    server = Server(tmp_path)
    ws = agent_checkout(tmp_path, server, merge=True)
    env = jenkins_env(ws)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    ctx = detect(env, cwd=ws)
    assert ctx.commit is None and ctx.pull_request == 123


def test_branch_build_reports_git_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"JENKINS_URL": "x", "GIT_COMMIT": "c0ffee", "GIT_BRANCH": "origin/main"}
    monkeypatch.setenv("PATH", str(tmp_path))  # no git needed
    ctx = detect(env, cwd=tmp_path)
    assert (ctx.commit, ctx.branch, ctx.pull_request) == ("c0ffee", "main", None)


@pytest.mark.parametrize(
    "markers",
    [
        {"JENKINS_HOME": "/var/jenkins_home"},
        {"BUILD_TAG": "jenkins-agent-PR-4-2"},
        {"BUILD_ID": "2", "JOB_NAME": "agent/PR-4", "EXECUTOR_NUMBER": "0"},
        {"HUDSON_HOME": "/var/lib/hudson"},
    ],
)
def test_detected_without_a_root_url(markers: dict[str, str], tmp_path: Path) -> None:
    # No root URL configured: JENKINS_URL and BUILD_URL are unset, the rest is always there.
    env = {**markers, "CHANGE_ID": "4", "CHANGE_URL": "https://github.com/acme/agent/pull/4"}
    ctx = detect(env, run_git=lambda args: None)
    assert (ctx.vendor, ctx.pull_request, ctx.repository) == ("jenkins", 4, "acme/agent")


def test_other_vendors_are_not_taken_for_jenkins() -> None:
    env = {"GITLAB_CI": "true", "BUILD_ID": "1", "JOB_NAME": "x", "EXECUTOR_NUMBER": "0"}
    assert detect(env, run_git=lambda args: None).vendor == "gitlab"
    assert detect({"BUILD_ID": "1"}, run_git=lambda args: None).vendor == "local"


@pytest.mark.slow
@pytest.mark.slow
def test_check_records_the_pr_head_in_the_verdict(tmp_path: Path) -> None:
    # The whole process, as the shipped Jenkinsfile runs it in the agent's workspace.
    server = Server(tmp_path)
    ws = agent_checkout(tmp_path, server, merge=True)
    (ws / "sepurux.yml").write_text(
        "version: 1\ncampaigns:\n  core-reliability: {}\n", encoding="utf-8"
    )
    scenario = Path(__file__).resolve().parents[2] / "examples" / "sandbox" / "passing.yml"
    env = support.clean_env({**jenkins_env(ws), **GIT_ENV}, token=None)
    done = run_gate(
        ["check", "--sandbox", str(scenario)],
        cwd=ws,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    ci = json.loads((ws / "gate-runner-verdict.json").read_text(encoding="utf-8"))["ci"]
    assert (ci["vendor"], ci["commit"], ci["pull_request"]) == ("jenkins", server.head, 123)
