"""Azure Pipelines: the PR's source commit (not the merge), the build's results URL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from gate_runner.ci.git import GitRunner
from gate_runner.ci.variables import branch_from_ref, get, integer
from gate_runner.ci.vendor import Vendor
from gate_runner.verdict import CIContext


def mask_lines(secrets: Sequence[str]) -> str:
    """`##vso[task.setsecret]` for every line of every secret: the agent masks it in the log."""
    parts = dict.fromkeys(p for s in secrets for p in s.splitlines() if p.strip())
    # Logging-command data escapes: % first, then CR and LF (none are left after splitlines).
    return "".join(f"##vso[task.setsecret]{p.replace('%', '%AZP25')}\n" for p in parts)


def context(env: Mapping[str, str], git: GitRunner) -> CIContext:
    collection, project = get(env, "SYSTEM_COLLECTIONURI"), get(env, "SYSTEM_TEAMPROJECT")
    build_id = get(env, "BUILD_BUILDID")
    build_url = None
    if collection and project and build_id:
        base = collection if collection.endswith("/") else collection + "/"
        build_url = f"{base}{quote(project)}/_build/results?buildId={quote(build_id)}"
    return CIContext(
        vendor="azure",
        repository=get(env, "BUILD_REPOSITORY_NAME"),
        commit=get(env, "SYSTEM_PULLREQUEST_SOURCECOMMITID", "BUILD_SOURCEVERSION"),
        branch=branch_from_ref(get(env, "SYSTEM_PULLREQUEST_SOURCEBRANCH", "BUILD_SOURCEBRANCH")),
        pull_request=integer(
            get(env, "SYSTEM_PULLREQUEST_PULLREQUESTNUMBER", "SYSTEM_PULLREQUEST_PULLREQUESTID")
        ),
        build_url=build_url,
    )


def target_branch(env: Mapping[str, str]) -> str | None:
    """The branch the pull request merges into (Azure gives refs/heads/main), or None."""
    return branch_from_ref(get(env, "SYSTEM_PULLREQUEST_TARGETBRANCH"))


VENDOR = Vendor(
    name="azure",
    # Azure sets TF_BUILD=True, not CI.
    applies=lambda env: env.get("TF_BUILD", "").lower() == "true",
    context=context,
    workspace_variables=("BUILD_SOURCESDIRECTORY",),
    mask_lines=mask_lines,
    target_branch=target_branch,
    target_branch_variable="SYSTEM_PULLREQUEST_TARGETBRANCH",
)
