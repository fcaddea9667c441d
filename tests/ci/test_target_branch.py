"""`auto`: the pull request's target branch, per CI vendor (documented variable names)."""

from __future__ import annotations

import pytest

from gate_runner.ci import no_target_branch_message, target_branch


# Variable names from each vendor's documentation of predefined variables:
# GitHub "Variables reference", GitLab "Predefined CI/CD variables", Azure "Predefined
# variables" (System.PullRequest.TargetBranch), Bitbucket "Variables and secrets",
# Jenkins multibranch "CHANGE_TARGET", Buildkite "Environment variables".
@pytest.mark.parametrize(
    ("env", "branch"),
    [
        ({"GITHUB_BASE_REF": "main"}, "main"),
        ({"GITHUB_BASE_REF": ""}, None),  # a push build
        ({"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "develop"}, "develop"),
        ({"SYSTEM_PULLREQUEST_TARGETBRANCH": "refs/heads/release/2"}, "release/2"),
        ({"BITBUCKET_PR_DESTINATION_BRANCH": "main"}, "main"),
        ({"CHANGE_TARGET": "trunk"}, "trunk"),
        ({"BUILDKITE_PULL_REQUEST_BASE_BRANCH": "main", "BUILDKITE_PULL_REQUEST": "12"}, "main"),
        ({"BUILDKITE_PULL_REQUEST_BASE_BRANCH": "", "BUILDKITE_PULL_REQUEST": "false"}, None),
        ({"CIRCLECI": "true", "CIRCLE_BRANCH": "feature"}, None),
        # In a recognised CI only that vendor's variable counts.
        ({"GITHUB_ACTIONS": "true", "GITHUB_BASE_REF": "main", "CHANGE_TARGET": "x"}, "main"),
        ({"GITHUB_ACTIONS": "true", "CHANGE_TARGET": "trunk"}, None),
        ({"TF_BUILD": "True", "SYSTEM_PULLREQUEST_TARGETBRANCH": "refs/heads/main"}, "main"),
    ],
)
def test_target_branch(env: dict[str, str], branch: str | None) -> None:
    assert target_branch(env) == branch


def test_the_message_says_what_to_pass() -> None:
    assert no_target_branch_message({}).startswith(
        "cannot tell the target branch: this is not a pull request build (none of GITHUB_BASE_REF"
    )
    assert no_target_branch_message({}).endswith("name the ref instead, e.g. origin/main")


def test_the_message_names_the_vendor() -> None:
    assert "circleci does not expose" in no_target_branch_message({"CIRCLECI": "true"})
    github = no_target_branch_message({"GITHUB_ACTIONS": "true"})
    assert "(GITHUB_BASE_REF is not set)" in github
