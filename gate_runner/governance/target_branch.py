"""The pull request's target branch, read from each CI vendor's environment (one place)."""

from __future__ import annotations

from collections.abc import Mapping

# Vendor, variable. Each is set only on a pull/merge request build. CircleCI exposes
# no target branch at all (CIRCLE_BRANCH is the source), so it is not in the list.
TARGET_BRANCH_VARIABLES: tuple[tuple[str, str], ...] = (
    ("github", "GITHUB_BASE_REF"),
    ("gitlab", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
    ("azure", "SYSTEM_PULLREQUEST_TARGETBRANCH"),
    ("bitbucket", "BITBUCKET_PR_DESTINATION_BRANCH"),
    ("jenkins", "CHANGE_TARGET"),
    ("buildkite", "BUILDKITE_PULL_REQUEST_BASE_BRANCH"),
)


def target_branch(env: Mapping[str, str]) -> str | None:
    """The branch a pull request merges into, as a plain name ("main"), or None."""
    for _vendor, name in TARGET_BRANCH_VARIABLES:
        value = env.get(name, "").strip()
        if value:  # GitHub and Buildkite set an empty value on a branch build
            # Azure gives "refs/heads/main"; the others give "main".
            return value.removeprefix("refs/heads/")
    return None


def no_target_branch_message(env: Mapping[str, str]) -> str:
    """Why `auto` found nothing, and what to pass instead."""
    if env.get("CIRCLECI"):
        why = "CircleCI does not expose a pull request's target branch"
    else:
        why = (
            "this is not a pull request build (none of "
            + ", ".join(name for _vendor, name in TARGET_BRANCH_VARIABLES)
            + " is set)"
        )
    return f"cannot tell the target branch: {why}; name the ref instead, e.g. origin/main"
