"""The GitLab pipeline a commit status must name: its id, its own sha and its possible refs."""

from __future__ import annotations

import pytest

from gate_runner.forges.gitlab.pipeline import pipeline as gitlab_pipeline

GITLAB = {
    "GITLAB_CI": "true",
    "CI": "true",
    "CI_PROJECT_PATH": "group/sub/proj",
    "CI_COMMIT_SHA": "gl1",
    "CI_JOB_URL": "https://gitlab.com/group/sub/proj/-/jobs/5",
    "CI_PIPELINE_URL": "https://gitlab.com/group/sub/proj/-/pipelines/4",
}


@pytest.mark.parametrize(
    ("event", "source_sha", "first"),
    [
        ("detached", "", "refs/merge-requests/7/head"),
        ("merged_result", "src9", "refs/merge-requests/7/merge"),
        ("merge_train", "src9", "refs/merge-requests/7/train"),
        # No event type (GitLab before 12.3): a source sha unlike the pipeline's is a merge.
        ("", "src9", "refs/merge-requests/7/merge"),
        ("", "", "refs/merge-requests/7/head"),
    ],
)
def test_gitlab_pipeline_refs_of_a_merge_request_pipeline(
    event: str, source_sha: str, first: str
) -> None:
    env = {
        **GITLAB,
        "CI_PIPELINE_ID": "5150",
        "CI_MERGE_REQUEST_IID": "7",
        "CI_MERGE_REQUEST_EVENT_TYPE": event,
        "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": source_sha,
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feat",
        "CI_COMMIT_REF_NAME": "feat",
    }
    running = gitlab_pipeline(env)
    assert (running.id, running.sha) == (5150, "gl1")  # the pipeline's sha, not the source's
    assert running.refs[0] == first
    assert set(running.refs) == {
        "refs/merge-requests/7/head",
        "refs/merge-requests/7/merge",
        "refs/merge-requests/7/train",
        "feat",
        None,
    }
    assert running.refs[-1] is None and len(running.refs) == 5


def test_gitlab_pipeline_refs_of_a_branch_pipeline() -> None:
    env = {**GITLAB, "CI_COMMIT_BRANCH": "main", "CI_COMMIT_REF_NAME": "main"}
    assert gitlab_pipeline(env).refs == ("main", None)
    assert gitlab_pipeline(env).id is None
