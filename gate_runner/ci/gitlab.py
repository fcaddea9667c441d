"""GitLab CI: the merge request (of the target project, also for forks), its head (a merge
train's commit), the workspace."""

from __future__ import annotations

from collections.abc import Mapping

from gate_runner.ci.git import GitRunner
from gate_runner.ci.variables import get, integer
from gate_runner.ci.vendor import Vendor
from gate_runner.verdict import CIContext, MergeQueue


def applies(env: Mapping[str, str]) -> bool:
    return env.get("GITLAB_CI") == "true"


def context(env: Mapping[str, str], git: GitRunner) -> CIContext:
    # An MR lives in its target project. In a fork's MR pipeline CI_PROJECT_PATH is the fork,
    # so the MR's number goes with CI_MERGE_REQUEST_PROJECT_PATH (GitLab's predefined
    # variables: "The path of the project of the merge request").
    project = get(env, "CI_MERGE_REQUEST_PROJECT_PATH", "CI_PROJECT_PATH")
    number = integer(get(env, "CI_MERGE_REQUEST_IID"))
    if number is None:
        # Branch pipelines only list the open MRs ("group/proj!333,other/proj!12").
        for item in (get(env, "CI_OPEN_MERGE_REQUESTS") or "").split(","):
            path, _, iid = item.strip().rpartition("!")
            if iid.isdigit() and (project is None or path == project):
                number = int(iid)
                break
    branch = get(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_BRANCH")
    if branch is None and not get(env, "CI_COMMIT_TAG"):
        branch = get(env, "CI_COMMIT_REF_NAME")
    commit = get(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", "CI_COMMIT_SHA")
    queue = None
    if get(env, "CI_MERGE_REQUEST_EVENT_TYPE") == "merge_train":
        # A train's pipeline tests the merge of the MR onto the train ahead of it: that
        # commit (CI_COMMIT_SHA) is the one judged and the one the train waits on.
        commit = get(env, "CI_COMMIT_SHA")
        queue = MergeQueue(
            kind="merge_train",
            head_sha=commit,
            base_sha=get(env, "CI_MERGE_REQUEST_TARGET_BRANCH_SHA"),
            base_ref=get(env, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
            head_ref=f"refs/merge-requests/{number}/train" if number is not None else None,
            pull_requests=(number,) if number is not None else (),
        )
    return CIContext(
        vendor="gitlab",
        repository=project,
        commit=commit,
        branch=branch,
        pull_request=number,
        build_url=get(env, "CI_JOB_URL", "CI_PIPELINE_URL"),
        merge_queue=queue,
    )


def target_branch(env: Mapping[str, str]) -> str | None:
    """The branch the pull request merges into (GitLab: merge request pipelines only), or None."""
    return get(env, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")


VENDOR = Vendor(
    name="gitlab",
    applies=applies,
    context=context,
    workspace_variables=("CI_PROJECT_DIR",),
    target_branch=target_branch,
    target_branch_variable="CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
)
