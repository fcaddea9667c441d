"""CI vendors: who runs us (repository, commit, branch, PR), the workspace, the mask lines.

One module per vendor; this package only picks the vendor and fills gaps from git. What a
forge's API does (statuses, the comment, reviews) lives in gate_runner/forges/.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from gate_runner.ci.git import GitRunner, git_runner
from gate_runner.ci.variables import slug_from_url
from gate_runner.ci.vendor import Vendor

if TYPE_CHECKING:
    from gate_runner.verdict import CIContext

__all__ = [
    "GitRunner",
    "Vendor",
    "detect",
    "mask_lines",
    "no_target_branch_message",
    "slug_from_url",
    "target_branch",
    "vendor_for",
    "vendors",
]


@functools.cache
def vendors() -> tuple[Vendor, ...]:
    """Every vendor, specific ones first: most also set CI=true, Azure sets TF_BUILD instead."""
    # The channel imports this package, and `validate` (kept near the import floor,
    # bench/startup.py) prints before any vendor is asked: none is loaded until then.
    # late: the vendors (and the verdict's model they build) are not validate's to load
    from gate_runner.ci import (
        azure,
        bitbucket,
        buildkite,
        circleci,
        generic,
        github,
        gitlab,
        jenkins,
    )

    return (
        github.VENDOR,
        gitlab.VENDOR,
        circleci.VENDOR,
        buildkite.VENDOR,
        azure.VENDOR,
        bitbucket.VENDOR,
        jenkins.VENDOR,  # after the others: its fallback variables (JOB_NAME, BUILD_ID) are generic
        generic.VENDOR,
    )


def vendor_for(env: Mapping[str, str]) -> Vendor:
    """The vendor running this process (generic when none is recognised)."""
    return next(v for v in vendors() if v.applies(env))


def detect(
    env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    run_git: GitRunner | None = None,
) -> CIContext:
    """Read the CI context from the environment; git fills what the vendor leaves out."""
    git = run_git if run_git is not None else git_runner(cwd)
    vendor = vendor_for(env)
    ctx = vendor.context(env, git)
    repository = ctx.repository or slug_from_url(git(["config", "--get", "remote.origin.url"]))
    commit = ctx.commit
    if commit is None and vendor.head_is_the_commit:
        commit = git(["rev-parse", "HEAD"])
    return replace(ctx, repository=repository, commit=commit)


def target_branch(env: Mapping[str, str]) -> str | None:
    """The branch the pull request merges into ("main"), as the running vendor tells it.

    Outside a recognised CI (a local run), the first vendor variable that is set counts,
    so `GITHUB_BASE_REF=main gate-runner check --policy-ref auto` works on a laptop.
    """
    vendor = vendor_for(env)
    asked = [vendor] if vendor.target_branch is not None else []
    if vendor.name == "generic":
        asked = [v for v in vendors() if v.target_branch is not None]
    for candidate in asked:
        assert candidate.target_branch is not None
        branch = candidate.target_branch(env)
        if branch:
            return branch
    return None


def no_target_branch_message(env: Mapping[str, str]) -> str:
    """Why the target branch is unknown, and what to pass instead."""
    vendor = vendor_for(env)
    if vendor.name != "generic" and vendor.target_branch_variable is None:
        why = f"{vendor.name} does not expose a pull request's target branch"
    elif vendor.name != "generic":
        why = f"this is not a pull request build ({vendor.target_branch_variable} is not set)"
    else:
        names = ", ".join(v.target_branch_variable for v in vendors() if v.target_branch_variable)
        why = f"this is not a pull request build (none of {names} is set)"
    return f"cannot tell the target branch: {why}; name the ref instead, e.g. origin/main"


def mask_lines(env: Mapping[str, str], secrets: Sequence[str]) -> str:
    """What to print first so the CI hides every secret in its log ("" where it cannot)."""
    vendor = vendor_for(env)
    return vendor.mask_lines(secrets) if vendor.mask_lines is not None and secrets else ""
