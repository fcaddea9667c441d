"""GitLab CI: the merge request (of the target project, also for forks), its head, the MR note."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from gate_runner.ci import sticky
from gate_runner.ci.git import GitRunner
from gate_runner.ci.variables import get, integer
from gate_runner.ci.vendor import Vendor
from gate_runner.verdict import CIContext

COMMENT_LIMIT = 1_000_000
_HINT = "the token needs the `api` scope (CI_JOB_TOKEN cannot post notes)"


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
    return CIContext(
        vendor="gitlab",
        repository=project,
        commit=get(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", "CI_COMMIT_SHA"),
        branch=branch,
        pull_request=number,
        build_url=get(env, "CI_JOB_URL", "CI_PIPELINE_URL"),
    )


@dataclass(frozen=True)
class Pipeline:
    """The pipeline running this job, as a commit status must name it to land on it.

    `refs` are the refs the pipeline can have, the likeliest first; None last means "let
    GitLab take the ref of the pipeline `id` names" (the status API's `ref` is optional).
    """

    id: int | None
    sha: str | None
    refs: tuple[str | None, ...]


def pipeline(env: Mapping[str, str]) -> Pipeline:
    """GitLab's Ci::CreateCommitStatusService finds the pipeline by sha, then `ref`, then
    `pipeline_id`, and answers 404 unless all three match. Its ref is not CI_COMMIT_REF_NAME
    in a merge request pipeline (that variable holds the source branch there):
    MergeRequests::CreatePipelineService runs a detached pipeline on
    `refs/merge-requests/<iid>/head` (or on the source branch, when it has to run in a
    fork), a merged-results pipeline on `refs/merge-requests/<iid>/merge`, and
    MergeTrains::CreatePipelineService a train's on `refs/merge-requests/<iid>/train`; in the
    last two the sha is the merge commit, CI_COMMIT_SHA, not the source branch's head.
    CI_MERGE_REQUEST_EVENT_TYPE says which (detached, merged_result, merge_train) but has
    been seen saying `detached` for merged results (gitlab-org/gitlab#358228), so the others
    follow as fallbacks."""
    refs: list[str | None] = []
    iid = integer(get(env, "CI_MERGE_REQUEST_IID"))
    if iid is not None:
        head = get(env, "CI_MERGE_REQUEST_REF_PATH") or f"refs/merge-requests/{iid}/head"
        merge = f"refs/merge-requests/{iid}/merge"
        train = f"refs/merge-requests/{iid}/train"
        source_sha = get(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA")
        on_merge_commit = source_sha is not None and source_sha != get(env, "CI_COMMIT_SHA")
        first = {"merge_train": train, "merged_result": merge, "detached": head}.get(
            get(env, "CI_MERGE_REQUEST_EVENT_TYPE") or "", merge if on_merge_commit else head
        )
        refs += [first, head, merge, train, get(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")]
    refs.append(get(env, "CI_COMMIT_REF_NAME"))
    named = [ref for ref in dict.fromkeys(refs) if ref is not None]
    return Pipeline(
        id=integer(get(env, "CI_PIPELINE_ID")),
        sha=get(env, "CI_COMMIT_SHA"),
        refs=(*named, None),
    )


def post_comment(ci: CIContext, env: Mapping[str, str], body: str) -> None:
    """One note on the MR, in the MR's (target) project, found again by its marker."""
    token = env.get("GITLAB_TOKEN") or env.get("GATE_RUNNER_GITLAB_TOKEN")
    if not token:
        raise sticky.CommentError(
            "set GITLAB_TOKEN or GATE_RUNNER_GITLAB_TOKEN (a token with `api` scope)"
        )
    base = (env.get("CI_API_V4_URL") or "").rstrip("/")
    if not base:
        raise sticky.CommentError("CI_API_V4_URL is not set")
    # The MR's project and number come as a pair: never the fork's CI_PROJECT_ID.
    iid = get(env, "CI_MERGE_REQUEST_IID")
    project = get(env, "CI_MERGE_REQUEST_PROJECT_ID") if iid else None
    if project is None:
        project = ci.repository
        iid = str(ci.pull_request) if ci.pull_request is not None else None
    if not project or not iid or not iid.isdigit():
        raise sticky.CommentError("this pipeline is not for a merge request")
    notes = f"{base}/projects/{quote(project, safe='')}/merge_requests/{iid}/notes"
    with sticky.session({"PRIVATE-TOKEN": token}) as http:
        existing = sticky.find(
            http,
            base,
            f"{notes}?per_page=100&sort=asc&order_by=created_at",
            lambda n: not n.get("system") and sticky.is_ours(n.get("body"), n, None),
            hint=_HINT,
        )
        text = sticky.fit(body, COMMENT_LIMIT)
        if existing is not None:
            sticky.call(http, "PUT", f"{notes}/{existing}", {"body": text}, hint=_HINT)
        else:
            sticky.call(http, "POST", notes, {"body": text}, hint=_HINT)


def target_branch(env: Mapping[str, str]) -> str | None:
    """The branch the pull request merges into (GitLab: merge request pipelines only), or None."""
    return get(env, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")


VENDOR = Vendor(
    name="gitlab",
    applies=applies,
    context=context,
    workspace_variables=("CI_PROJECT_DIR",),
    token_variables=("GITLAB_TOKEN", "GATE_RUNNER_GITLAB_TOKEN"),
    post_comment=post_comment,
    target_branch=target_branch,
    target_branch_variable="CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
)
