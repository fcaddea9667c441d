"""Buildkite: the slug from the repository URL, `HEAD` resolved, fork branches unprefixed."""

from __future__ import annotations

from collections.abc import Mapping

from gate_runner.ci.git import GitRunner
from gate_runner.ci.variables import get, integer, slug_from_url
from gate_runner.ci.vendor import Vendor
from gate_runner.verdict import CIContext


def context(env: Mapping[str, str], git: GitRunner) -> CIContext:
    commit = get(env, "BUILDKITE_COMMIT")
    if commit == "HEAD":
        commit = git(["rev-parse", "HEAD"])
    branch = get(env, "BUILDKITE_BRANCH")
    if branch and ":" in branch:  # fork PRs read "user:branch"
        branch = branch.split(":", 1)[1] or None
    pr = get(env, "BUILDKITE_PULL_REQUEST")
    return CIContext(
        vendor="buildkite",
        repository=slug_from_url(get(env, "BUILDKITE_REPO")),
        commit=commit,
        branch=branch,
        pull_request=None if pr == "false" else integer(pr),
        build_url=get(env, "BUILDKITE_BUILD_URL"),
    )


def target_branch(env: Mapping[str, str]) -> str | None:
    """The branch the pull request merges into (empty on a branch build), or None."""
    return get(env, "BUILDKITE_PULL_REQUEST_BASE_BRANCH")


VENDOR = Vendor(
    name="buildkite",
    applies=lambda env: env.get("BUILDKITE") == "true",
    context=context,
    workspace_variables=("BUILDKITE_BUILD_CHECKOUT_PATH",),
    target_branch=target_branch,
    target_branch_variable="BUILDKITE_PULL_REQUEST_BASE_BRANCH",
)
