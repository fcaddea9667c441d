"""CI detection per vendor, with every pitfall of CI-FORMATS.md §A as a case."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from gate_runner.ci import detect, slug_from_url
from gate_runner.verdict import CIContext


class FakeGit:
    """Answers git commands from a table; anything else fails like git would (None)."""

    def __init__(self, answers: dict[str, str] | None = None) -> None:
        self.answers = answers or {}
        self.calls: list[str] = []

    def __call__(self, args: Sequence[str]) -> str | None:
        key = " ".join(args)
        self.calls.append(key)
        return self.answers.get(key)


NO_GIT = FakeGit()


def _event(tmp_path: Path, data: object) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


GITHUB = {
    "GITHUB_ACTIONS": "true",
    "CI": "true",
    "GITHUB_REPOSITORY": "acme/agent",
    "GITHUB_SHA": "merge000",
    "GITHUB_REF_NAME": "42/merge",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_RUN_ID": "99",
}


def test_github_pull_request_uses_head_sha_not_the_merge_commit(tmp_path: Path) -> None:
    env = {
        **GITHUB,
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_HEAD_REF": "feature/x",
        "GITHUB_EVENT_PATH": _event(
            tmp_path, {"pull_request": {"number": 42, "head": {"sha": "head111"}}}
        ),
    }
    assert detect(env, run_git=NO_GIT) == CIContext(
        vendor="github",
        repository="acme/agent",
        commit="head111",
        branch="feature/x",
        pull_request=42,
        build_url="https://github.com/acme/agent/actions/runs/99",
    )


def test_github_pull_request_target_reads_the_same_fields(tmp_path: Path) -> None:
    env = {
        **GITHUB,
        "GITHUB_EVENT_NAME": "pull_request_target",
        "GITHUB_EVENT_PATH": _event(
            tmp_path, {"pull_request": {"number": 7, "head": {"sha": "h7"}}}
        ),
    }
    ctx = detect(env, run_git=NO_GIT)
    assert (ctx.pull_request, ctx.commit) == (7, "h7")


def test_github_issue_comment_only_counts_on_a_pull_request(tmp_path: Path) -> None:
    on_pr = {"issue": {"number": 5, "pull_request": {"url": "https://api.github.com/x"}}}
    on_issue = {"issue": {"number": 6}}
    env = {**GITHUB, "GITHUB_EVENT_NAME": "issue_comment"}
    assert (
        detect({**env, "GITHUB_EVENT_PATH": _event(tmp_path, on_pr)}, run_git=NO_GIT).pull_request
        == 5
    )
    assert (
        detect(
            {**env, "GITHUB_EVENT_PATH": _event(tmp_path, on_issue)}, run_git=NO_GIT
        ).pull_request
        is None
    )


def test_github_workflow_run_pull_requests_may_be_empty_for_forks(tmp_path: Path) -> None:
    env = {**GITHUB, "GITHUB_EVENT_NAME": "workflow_run"}
    with_pr = {
        "workflow_run": {"pull_requests": [{"number": 9}], "head_sha": "wr1", "head_branch": "b"}
    }
    fork = {"workflow_run": {"pull_requests": [], "head_sha": "wr2"}}
    ctx = detect({**env, "GITHUB_EVENT_PATH": _event(tmp_path, with_pr)}, run_git=NO_GIT)
    assert (ctx.pull_request, ctx.commit, ctx.branch) == (9, "wr1", "b")
    ctx = detect({**env, "GITHUB_EVENT_PATH": _event(tmp_path, fork)}, run_git=NO_GIT)
    assert (ctx.pull_request, ctx.commit) == (None, "wr2")


def test_github_push_has_no_head_ref_and_no_pr(tmp_path: Path) -> None:
    env = {**GITHUB, "GITHUB_EVENT_NAME": "push", "GITHUB_REF_NAME": "main", "GITHUB_SHA": "push1"}
    env["GITHUB_EVENT_PATH"] = _event(tmp_path, {"ref": "refs/heads/main"})
    ctx = detect(env, run_git=NO_GIT)
    assert (ctx.branch, ctx.commit, ctx.pull_request) == ("main", "push1", None)


def test_github_unreadable_event_file_is_not_fatal(tmp_path: Path) -> None:
    broken = tmp_path / "event.json"
    broken.write_text("{not json", encoding="utf-8")
    for path in (str(broken), str(tmp_path / "missing.json")):
        ctx = detect({**GITHUB, "GITHUB_EVENT_PATH": path}, run_git=NO_GIT)
        assert (ctx.pull_request, ctx.commit) == (None, "merge000")


def test_github_enterprise_server_url() -> None:
    env = {**GITHUB, "GITHUB_SERVER_URL": "https://ghe.example.com/"}
    assert (
        detect(env, run_git=NO_GIT).build_url
        == "https://ghe.example.com/acme/agent/actions/runs/99"
    )


GITLAB = {
    "GITLAB_CI": "true",
    "CI": "true",
    "CI_PROJECT_PATH": "group/sub/proj",
    "CI_COMMIT_SHA": "gl1",
    "CI_JOB_URL": "https://gitlab.com/group/sub/proj/-/jobs/5",
    "CI_PIPELINE_URL": "https://gitlab.com/group/sub/proj/-/pipelines/4",
}


def test_gitlab_fork_merge_request_pairs_the_target_project_with_the_mr_number() -> None:
    # In a fork's MR pipeline CI_PROJECT_PATH is the fork; the MR (and its IID) belongs to
    # CI_MERGE_REQUEST_PROJECT_PATH (https://docs.gitlab.com/ci/variables/predefined_variables/).
    env = {
        **GITLAB,
        "CI_PROJECT_PATH": "someone/proj",
        "CI_MERGE_REQUEST_PROJECT_PATH": "group/sub/proj",
        "CI_MERGE_REQUEST_SOURCE_PROJECT_PATH": "someone/proj",
        "CI_MERGE_REQUEST_IID": "12",
    }
    ctx = detect(env, run_git=NO_GIT)
    assert (ctx.repository, ctx.pull_request) == ("group/sub/proj", 12)


def test_gitlab_merge_request_pipeline_with_subgroups() -> None:
    env = {
        **GITLAB,
        "CI_MERGE_REQUEST_IID": "333",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feat",
        "CI_COMMIT_REF_NAME": "feat",
    }
    assert detect(env, run_git=NO_GIT) == CIContext(
        vendor="gitlab",
        repository="group/sub/proj",
        commit="gl1",
        branch="feat",
        pull_request=333,
        build_url="https://gitlab.com/group/sub/proj/-/jobs/5",
    )


def test_gitlab_merged_results_pipeline_reports_the_source_head() -> None:
    env = {**GITLAB, "CI_MERGE_REQUEST_IID": "1", "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": "src9"}
    assert detect(env, run_git=NO_GIT).commit == "src9"
    # In a plain MR pipeline the variable exists but is empty.
    env["CI_MERGE_REQUEST_SOURCE_BRANCH_SHA"] = ""
    assert detect(env, run_git=NO_GIT).commit == "gl1"


def test_gitlab_branch_pipeline_reads_open_merge_requests() -> None:
    env = {
        **GITLAB,
        "CI_COMMIT_BRANCH": "feat",
        "CI_OPEN_MERGE_REQUESTS": "other/proj!12,group/sub/proj!333",
    }
    ctx = detect(env, run_git=NO_GIT)
    assert (ctx.branch, ctx.pull_request) == ("feat", 333)


def test_gitlab_tag_pipeline_has_no_branch() -> None:
    env = {**GITLAB, "CI_COMMIT_TAG": "v1.0", "CI_COMMIT_REF_NAME": "v1.0"}
    assert detect(env, run_git=NO_GIT).branch is None
    without_job = {k: v for k, v in GITLAB.items() if k != "CI_JOB_URL"}
    assert detect(without_job, run_git=NO_GIT).build_url == GITLAB["CI_PIPELINE_URL"]


CIRCLE = {
    "CIRCLECI": "true",
    "CI": "true",
    "CIRCLE_PROJECT_USERNAME": "acme",
    "CIRCLE_PROJECT_REPONAME": "agent",
    "CIRCLE_SHA1": "cc1",
    "CIRCLE_BRANCH": "feat",
    "CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/agent/12",
}


def test_circleci_pull_request_url() -> None:
    env = {**CIRCLE, "CIRCLE_PULL_REQUEST": "https://github.com/acme/agent/pull/123"}
    assert detect(env, run_git=NO_GIT) == CIContext(
        "circleci", "acme/agent", "cc1", "feat", 123, "https://circleci.com/gh/acme/agent/12"
    )


def test_circleci_several_pull_requests_pick_a_stable_one() -> None:
    env = {
        **CIRCLE,
        "CIRCLE_PULL_REQUEST": "https://github.com/acme/agent/pull/31",
        "CIRCLE_PULL_REQUESTS": "https://github.com/acme/agent/pull/31,https://github.com/acme/agent/pull/8",
    }
    assert detect(env, run_git=NO_GIT).pull_request == 8


def test_circleci_forked_pr_number_and_missing_pr_variables() -> None:
    assert detect({**CIRCLE, "CIRCLE_PR_NUMBER": "77"}, run_git=NO_GIT).pull_request == 77
    assert detect(CIRCLE, run_git=NO_GIT).pull_request is None  # GitLab / GitHub App integrations


JENKINS = {
    "JENKINS_URL": "https://ci.example.com/",
    "GIT_URL": "https://github.com/acme/agent.git",
    "GIT_COMMIT": "merge77",
    "BUILD_URL": "https://ci.example.com/job/agent/PR-123/4/",
}


# The PR head commit on Jenkins is tested against real git repositories in test_ci_jenkins.py.


def test_jenkins_branch_build_and_plugins() -> None:
    ctx = detect({**JENKINS, "GIT_BRANCH": "origin/main"}, run_git=NO_GIT)
    assert (ctx.branch, ctx.commit, ctx.pull_request) == ("main", "merge77", None)
    ghprb = {**JENKINS, "ghprbPullId": "9", "ghprbActualCommit": "act9", "ghprbSourceBranch": "f"}
    ctx = detect(ghprb, run_git=NO_GIT)
    assert (ctx.pull_request, ctx.commit, ctx.branch) == (9, "act9", "f")
    # No root URL configured: BUILD_URL is missing; CHANGE_URL gives the slug without GIT_URL.
    bare = {
        "JENKINS_URL": "x",
        "CHANGE_ID": "4",
        "CHANGE_URL": "https://github.com/acme/agent/pull/4",
    }
    ctx = detect(bare, run_git=NO_GIT)
    assert (ctx.repository, ctx.build_url, ctx.pull_request) == ("acme/agent", None, 4)


BUILDKITE = {
    "BUILDKITE": "true",
    "CI": "true",
    "BUILDKITE_REPO": "git@github.com:acme/agent.git",
    "BUILDKITE_COMMIT": "bk1",
    "BUILDKITE_BRANCH": "feat",
    "BUILDKITE_PULL_REQUEST": "false",
    "BUILDKITE_PIPELINE_SLUG": "not-the-repo",
    "BUILDKITE_BUILD_URL": "https://buildkite.com/acme/agent/builds/3",
}


def test_buildkite_branch_build() -> None:
    assert detect(BUILDKITE, run_git=NO_GIT) == CIContext(
        "buildkite", "acme/agent", "bk1", "feat", None, "https://buildkite.com/acme/agent/builds/3"
    )


def test_buildkite_head_commit_is_resolved_with_git_and_fork_branches_are_stripped() -> None:
    env = {
        **BUILDKITE,
        "BUILDKITE_COMMIT": "HEAD",
        "BUILDKITE_BRANCH": "someone:fix",
        "BUILDKITE_PULL_REQUEST": "15",
    }
    ctx = detect(env, run_git=FakeGit({"rev-parse HEAD": "resolved1"}))
    assert (ctx.commit, ctx.branch, ctx.pull_request) == ("resolved1", "fix", 15)


AZURE = {
    "TF_BUILD": "True",
    "BUILD_REPOSITORY_NAME": "acme/agent",
    "BUILD_SOURCEVERSION": "azmerge",
    "BUILD_SOURCEBRANCH": "refs/heads/main",
    "SYSTEM_COLLECTIONURI": "https://dev.azure.com/acme/",
    "SYSTEM_TEAMPROJECT": "Agent Project",
    "BUILD_BUILDID": "321",
}


def test_azure_is_detected_without_ci_and_builds_the_url() -> None:
    assert detect(AZURE, run_git=NO_GIT) == CIContext(
        "azure",
        "acme/agent",
        "azmerge",
        "main",
        None,
        "https://dev.azure.com/acme/Agent%20Project/_build/results?buildId=321",
    )


def test_azure_pr_build_reports_the_source_commit_and_number() -> None:
    env = {
        **AZURE,
        "BUILD_SOURCEBRANCH": "refs/pull/17/merge",
        "SYSTEM_PULLREQUEST_SOURCEBRANCH": "refs/heads/feat",
        "SYSTEM_PULLREQUEST_SOURCECOMMITID": "azhead",
        "SYSTEM_PULLREQUEST_PULLREQUESTNUMBER": "17",
        "SYSTEM_PULLREQUEST_PULLREQUESTID": "4400",
    }
    ctx = detect(env, run_git=NO_GIT)
    assert (ctx.commit, ctx.branch, ctx.pull_request) == ("azhead", "feat", 17)
    azure_repos = {k: v for k, v in env.items() if k != "SYSTEM_PULLREQUEST_PULLREQUESTNUMBER"}
    assert detect(azure_repos, run_git=NO_GIT).pull_request == 4400


BITBUCKET = {
    "CI": "true",
    "BITBUCKET_BUILD_NUMBER": "8",
    "BITBUCKET_REPO_FULL_NAME": "acme/agent",
    "BITBUCKET_COMMIT": "bb1",
    "BITBUCKET_BRANCH": "feat",
}


def test_bitbucket_pull_request_and_tag_pipelines() -> None:
    ctx = detect({**BITBUCKET, "BITBUCKET_PR_ID": "21"}, run_git=NO_GIT)
    assert ctx == CIContext(
        "bitbucket",
        "acme/agent",
        "bb1",
        "feat",
        21,
        "https://bitbucket.org/acme/agent/pipelines/results/8",
    )
    tag = {k: v for k, v in BITBUCKET.items() if k != "BITBUCKET_BRANCH"}
    ctx = detect({**tag, "BITBUCKET_TAG": "v1"}, run_git=NO_GIT)
    assert (ctx.branch, ctx.pull_request) == (None, None)


GIT = FakeGit(
    {
        "config --get remote.origin.url": "https://user:secret@gitlab.example.com/group/proj.git",
        "rev-parse HEAD": "local1",
        "rev-parse --abbrev-ref HEAD": "topic",
    }
)


def test_generic_ci_falls_back_to_git_and_never_keeps_credentials() -> None:
    assert detect({"CI": "true"}, run_git=GIT) == CIContext(
        "generic", "group/proj", "local1", "topic"
    )
    assert detect({"TEAMCITY_VERSION": "2024.1"}, run_git=GIT).vendor == "generic"


def test_local_run_and_detached_head() -> None:
    detached = FakeGit({"rev-parse HEAD": "d1", "rev-parse --abbrev-ref HEAD": "HEAD"})
    assert detect({}, run_git=detached) == CIContext("local", None, "d1", None)
    assert detect({"CI": "false"}, run_git=NO_GIT) == CIContext("local")


def test_vendor_fields_win_over_git_which_only_fills_gaps() -> None:
    ctx = detect({**BITBUCKET, "BITBUCKET_COMMIT": ""}, run_git=GIT)
    assert (ctx.commit, ctx.repository, ctx.branch) == ("local1", "acme/agent", "feat")


def test_specific_vendors_are_checked_before_plain_ci() -> None:
    assert detect({**GITLAB, "JENKINS_URL": ""}, run_git=NO_GIT).vendor == "gitlab"
    assert detect({"CI": "true", "TF_BUILD": "True"}, run_git=NO_GIT).vendor == "azure"


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        ("https://github.com/acme/agent.git", "acme/agent"),
        ("git@github.com:acme/agent.git", "acme/agent"),
        ("ssh://git@gitlab.com:2222/g/s/p.git", "g/s/p"),
        ("https://x-token:abc@gitlab.com/g/p", "g/p"),
        ("https://dev.azure.com/org/proj/_git/repo", "repo"),
        ("https://github.com/acme/agent/pull/4", "acme/agent"),
        ("not a url", None),
        ("", None),
    ],
)
def test_slug_from_url(url: str, slug: str | None) -> None:
    assert slug_from_url(url) == slug


def test_real_git_is_called_with_a_timeout_and_failures_are_none(tmp_path: Path) -> None:
    # Outside a repository every git call fails: the context is still built.
    assert detect({}, cwd=tmp_path) == CIContext("local")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(tmp_path),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ],
        check=True,
    )
    subprocess.run(
        ["git", "-C", str(tmp_path), "remote", "add", "origin", "git@github.com:acme/agent.git"],
        check=True,
    )
    ctx = detect({}, cwd=tmp_path)
    assert ctx.repository == "acme/agent"
    assert ctx.commit is not None and len(ctx.commit) == 40
    assert ctx.branch is not None


def test_mask_lines_per_vendor() -> None:
    from gate_runner.ci import mask_lines

    secrets = ["tok%en\nsecond", "tok%en"]
    assert mask_lines({"GITHUB_ACTIONS": "true"}, secrets) == (
        "::add-mask::tok%25en\n::add-mask::second\n"
    )
    # Azure: ##vso[task.setsecret], data escaped with %AZP25 (CI-FORMATS.md B5;
    # https://learn.microsoft.com/azure/devops/pipelines/scripts/logging-commands#setsecret).
    assert mask_lines({"TF_BUILD": "True"}, secrets) == (
        "##vso[task.setsecret]tok%AZP25en\n##vso[task.setsecret]second\n"
    )
    assert mask_lines({"GITLAB_CI": "true"}, secrets) == ""
    assert mask_lines({"GITHUB_ACTIONS": "true"}, []) == ""
