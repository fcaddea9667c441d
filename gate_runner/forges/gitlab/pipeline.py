"""The GitLab pipeline running this job, as a commit status must name it to land on it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gate_runner.ci.variables import get, integer


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
