"""Bitbucket Pipelines: repository, commit, PR id and the pipeline's results URL."""

from __future__ import annotations

from collections.abc import Mapping

from gate_runner.ci.git import GitRunner
from gate_runner.ci.variables import get, integer
from gate_runner.ci.vendor import Vendor
from gate_runner.verdict import CIContext


def context(env: Mapping[str, str], git: GitRunner) -> CIContext:
    repository, number = get(env, "BITBUCKET_REPO_FULL_NAME"), get(env, "BITBUCKET_BUILD_NUMBER")
    return CIContext(
        vendor="bitbucket",
        repository=repository,
        commit=get(env, "BITBUCKET_COMMIT"),
        branch=get(env, "BITBUCKET_BRANCH"),
        pull_request=integer(get(env, "BITBUCKET_PR_ID")),
        build_url=(
            f"https://bitbucket.org/{repository}/pipelines/results/{number}"
            if repository and number
            else None
        ),
    )


def target_branch(env: Mapping[str, str]) -> str | None:
    """The branch the pull request merges into (Bitbucket: pull request pipelines only), or None."""
    return get(env, "BITBUCKET_PR_DESTINATION_BRANCH")


VENDOR = Vendor(
    name="bitbucket",
    applies=lambda env: bool(env.get("BITBUCKET_BUILD_NUMBER")),
    context=context,
    workspace_variables=("BITBUCKET_CLONE_DIR",),
    target_branch=target_branch,
    target_branch_variable="BITBUCKET_PR_DESTINATION_BRANCH",
)
