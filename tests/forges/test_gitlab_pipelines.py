"""`gate-runner check --publish` in each kind of GitLab pipeline: the statuses land on it.

GitLab CI's predefined variables (https://docs.gitlab.com/ci/variables/predefined_variables/)
differ by pipeline: a merge request pipeline's CI_COMMIT_REF_NAME is the source branch while
the pipeline's ref is `refs/merge-requests/<iid>/head`; in merged-results pipelines and merge
trains CI_COMMIT_SHA is the merge commit and CI_MERGE_REQUEST_SOURCE_BRANCH_SHA the source
branch's head. The loopback project (gitlab_fake.py) applies Ci::CreateCommitStatusService's
matching rule, so a status that names the wrong sha or ref is refused (404) or lands on a new
external pipeline instead of the one the merge request shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support import REPO, clean_env, run_gate

from .fake import fake_forge
from .gitlab_fake import Pipeline, Project

TOKEN = "glpat-process-forge-token-5512"
SANDBOX = REPO / "examples" / "sandbox"
SOURCE = "1111111111111111111111111111111111111111"  # the source branch's head
MERGE = "2222222222222222222222222222222222222222"  # the merged-results merge commit
TRAIN = "3333333333333333333333333333333333333333"  # the merge train's merge commit
OTHER = "4444444444444444444444444444444444444444"  # a pipeline on another commit
PIPELINE = 5150
POLICY = """\
version: 1
thresholds:
  min_pass_rate: 0.85
campaigns:
  core-reliability: {}
"""
MR = {
    "CI_PIPELINE_SOURCE": "merge_request_event",
    "CI_MERGE_REQUEST_IID": "7",
    "CI_MERGE_REQUEST_PROJECT_ID": "278964",
    "CI_MERGE_REQUEST_PROJECT_PATH": "acme/agent",
    "CI_MERGE_REQUEST_REF_PATH": "refs/merge-requests/7/head",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature/refunds",
    "CI_COMMIT_REF_NAME": "feature/refunds",  # the source branch, not the pipeline's ref
}


@dataclass(frozen=True)
class Case:
    """One pipeline: the variables GitLab sets in it, and the pipeline it is."""

    variables: dict[str, str]
    sha: str
    ref: str
    others: tuple[Pipeline, ...] = field(default=())


CASES = {
    "branch": Case(
        {
            "CI_PIPELINE_SOURCE": "push",
            "CI_COMMIT_BRANCH": "feature/refunds",
            "CI_COMMIT_REF_NAME": "feature/refunds",
            "CI_COMMIT_SHA": SOURCE,
            "CI_OPEN_MERGE_REQUESTS": "acme/agent!7",
        },
        SOURCE,
        "feature/refunds",
        # The merge request's own pipeline on the same commit: not this one.
        (Pipeline(PIPELINE + 1, SOURCE, "refs/merge-requests/7/head"),),
    ),
    "merge-request": Case(
        {
            **MR,
            "CI_MERGE_REQUEST_EVENT_TYPE": "detached",
            "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": "",  # empty outside merged results
            "CI_COMMIT_SHA": SOURCE,
        },
        SOURCE,
        "refs/merge-requests/7/head",
        # A branch pipeline on the same commit: the status must not land there either.
        (Pipeline(PIPELINE - 1, SOURCE, "feature/refunds"),),
    ),
    "merged-results": Case(
        {
            **MR,
            "CI_MERGE_REQUEST_EVENT_TYPE": "merged_result",
            "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": SOURCE,
            "CI_COMMIT_SHA": MERGE,
        },
        MERGE,
        "refs/merge-requests/7/merge",
        (Pipeline(PIPELINE - 1, SOURCE, "feature/refunds"),),
    ),
    "merge-train": Case(
        {
            **MR,
            "CI_MERGE_REQUEST_EVENT_TYPE": "merge_train",
            "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": SOURCE,
            "CI_COMMIT_SHA": TRAIN,
        },
        TRAIN,
        "refs/merge-requests/7/train",
        (Pipeline(PIPELINE - 1, MERGE, "refs/merge-requests/7/merge"),),
    ),
}


def _project(case: Case) -> Project:
    pipelines = [*case.others, Pipeline(PIPELINE, case.sha, case.ref)]
    return Project(
        278964,
        TOKEN,
        commits={SOURCE, MERGE, TRAIN, OTHER},
        branches={"feature/refunds": SOURCE, "main": OTHER},
        pipelines=pipelines,
    )


def _check(tmp_path: Path, url: str, variables: dict[str, str]):  # type: ignore[no-untyped-def]
    (tmp_path / "sepurux.yml").write_text(POLICY, encoding="utf-8")
    env = clean_env(
        {
            "GITLAB_CI": "true",
            "CI": "true",
            "CI_API_V4_URL": f"{url}/api/v4",
            "CI_PROJECT_ID": "278964",
            "CI_PROJECT_PATH": "acme/agent",
            "CI_PIPELINE_ID": str(PIPELINE),
            "CI_JOB_URL": "https://gitlab.example/acme/agent/-/jobs/99",
            "GITLAB_TOKEN": TOKEN,
            **variables,
        },
        token=None,
    )
    args = ["check", "--sandbox", str(SANDBOX / "failing.yml"), "--publish"]
    return run_gate(args, cwd=tmp_path, env=env, timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(CASES))
def test_the_statuses_land_on_the_running_pipeline(tmp_path: Path, kind: str) -> None:
    case = CASES[kind]
    project = _project(case)
    with fake_forge(project) as fake:
        done = _check(tmp_path, fake.url, case.variables)
    assert done.returncode == 1, done.stderr  # hard mode, below the bar: the verdict's code
    assert "warning" not in done.stderr, done.stderr
    landed = project.pipeline(PIPELINE).statuses
    assert [(s["name"], s["status"], s["sha"], s["ref"]) for s in landed] == [
        ("gate-runner / core-reliability", "failed", case.sha, case.ref),
        ("gate-runner", "failed", case.sha, case.ref),
    ]
    assert project.external() == [] and all(not p.statuses for p in case.others)
    assert len(fake.requests) == 2  # the pipeline's ref was the first one asked


@pytest.mark.slow
def test_a_merged_results_pipeline_labelled_detached_still_gets_its_statuses(
    tmp_path: Path,
) -> None:
    """GitLab has set CI_MERGE_REQUEST_EVENT_TYPE=detached in merged-results pipelines
    (gitlab-org/gitlab#358228): the first ref is refused, the next documented one is tried,
    and the second status goes straight to the ref that matched."""
    case = CASES["merged-results"]
    variables = {**case.variables, "CI_MERGE_REQUEST_EVENT_TYPE": "detached"}
    project = _project(case)
    with fake_forge(project) as fake:
        done = _check(tmp_path, fake.url, variables)
    assert "warning" not in done.stderr, done.stderr
    assert [r.body["ref"] for r in fake.requests] == [
        "refs/merge-requests/7/head",
        "refs/merge-requests/7/merge",
        "refs/merge-requests/7/merge",
    ]
    assert len(project.pipeline(PIPELINE).statuses) == 2 and project.external() == []


@pytest.mark.slow
def test_a_fork_pipeline_on_the_source_branch_gets_its_statuses(tmp_path: Path) -> None:
    """MergeRequests::CreatePipelineService runs a fork's detached pipeline in the fork, on
    the source branch, when it cannot run in the target project."""
    case = CASES["merge-request"]
    project = Project(
        278964,
        TOKEN,
        commits={SOURCE},
        branches={"feature/refunds": SOURCE},
        pipelines=[Pipeline(PIPELINE, SOURCE, "feature/refunds")],
    )
    with fake_forge(project) as fake:
        done = _check(tmp_path, fake.url, case.variables)
    assert "warning" not in done.stderr, done.stderr
    assert len(project.pipeline(PIPELINE).statuses) == 2 and project.external() == []
