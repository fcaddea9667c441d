"""Merge queues (issue 21): GitHub's `merge_group` event and GitLab's merge trains are
detected with the entry's head as the commit judged, its branch and its pull request.

The GitHub payload is the documented example of the `merge_group` webhook
(tests/vendor/github-merge-group-checks-requested.json: octokit/webhooks,
payload-examples/api.github.com/merge_group/checks_requested.payload.json, the repository
object trimmed); the GitLab variables are the predefined ones a merge train
pipeline sets (https://docs.gitlab.com/ci/variables/predefined_variables/).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

from support import validate_verdict

from gate_runner.ci import detect, target_branch
from gate_runner.verdict import MergeQueue
from gate_runner.verdict_json import verdict_from_dict

EVENT = Path(__file__).parents[1] / "vendor" / "github-merge-group-checks-requested.json"
GROUP_HEAD = "2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d"
GROUP_REF = "gh-readonly-queue/main/pr-104-929f8209d40f77f4abc622a499c93a83babdbe64"


def _no_git(args: object) -> None:
    return None


def github_merge_group(tmp_path: Path) -> dict[str, str]:
    """What Actions sets for a `merge_group` run, with the documented payload as its event."""
    event = tmp_path / "event.json"
    shutil.copy(EVENT, event)
    return {
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_EVENT_NAME": "merge_group",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "octo-org/octo-repo",
        "GITHUB_SHA": GROUP_HEAD,
        "GITHUB_REF": f"refs/heads/{GROUP_REF}",
        "GITHUB_REF_NAME": GROUP_REF,
        "GITHUB_RUN_ID": "7",
    }


def test_github_merge_group_judges_the_group_head_and_names_its_pull_request(
    tmp_path: Path,
) -> None:
    env = github_merge_group(tmp_path)
    ctx = detect(env, run_git=_no_git)
    assert ctx.commit == GROUP_HEAD
    assert ctx.branch == GROUP_REF
    assert ctx.pull_request == 104
    assert ctx.merge_queue == MergeQueue(
        kind="merge_group",
        head_sha=GROUP_HEAD,
        base_sha="380387fbc80638b734a49e1be1c4dfec1c01b33c",
        base_ref="main",
        head_ref=f"refs/heads/{GROUP_REF}",
        pull_requests=(104,),
    )
    # --policy-ref auto judges a queue entry by the policy of the branch it merges into.
    assert target_branch(env) == "main"


def test_github_merge_group_without_the_pr_in_its_ref_still_judges_its_head(
    tmp_path: Path,
) -> None:
    env = github_merge_group(tmp_path)
    data = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text())
    data["merge_group"]["head_ref"] = "refs/heads/gh-readonly-queue/main/pr-x"
    data["merge_group"]["head_sha"] = ["not", "a", "sha"]
    Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps(data))
    ctx = detect(env, run_git=_no_git)
    assert ctx.commit == GROUP_HEAD  # GITHUB_SHA: the payload's head is not a string
    assert ctx.pull_request is None
    assert ctx.merge_queue is not None and ctx.merge_queue.pull_requests == ()


def test_a_pull_request_event_is_no_merge_queue(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 3, "head": {"sha": "h" * 40}}}))
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
    }
    assert detect(env, run_git=_no_git).merge_queue is None


GITLAB_TRAIN = {
    "GITLAB_CI": "true",
    "CI": "true",
    "CI_PROJECT_PATH": "group/proj",
    "CI_MERGE_REQUEST_PROJECT_PATH": "group/proj",
    "CI_MERGE_REQUEST_EVENT_TYPE": "merge_train",
    "CI_MERGE_REQUEST_IID": "17",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feat",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": "a" * 40,
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
    "CI_MERGE_REQUEST_TARGET_BRANCH_SHA": "b" * 40,
    "CI_COMMIT_SHA": "c" * 40,
    "CI_COMMIT_REF_NAME": "refs/merge-requests/17/train",
    "CI_JOB_URL": "https://gitlab.com/group/proj/-/jobs/5",
}


def test_gitlab_merge_train_judges_the_train_commit_not_the_source_head() -> None:
    ctx = detect(GITLAB_TRAIN, run_git=_no_git)
    assert ctx.commit == "c" * 40
    assert ctx.pull_request == 17
    assert ctx.merge_queue == MergeQueue(
        kind="merge_train",
        head_sha="c" * 40,
        base_sha="b" * 40,
        base_ref="main",
        head_ref="refs/merge-requests/17/train",
        pull_requests=(17,),
    )
    # A merged-results pipeline (no train) still names the source head, as before.
    merged = {**GITLAB_TRAIN, "CI_MERGE_REQUEST_EVENT_TYPE": "merged_result"}
    assert detect(merged, run_git=_no_git).commit == "a" * 40
    assert detect(merged, run_git=_no_git).merge_queue is None


def test_the_queue_is_in_the_verdict_and_survives_its_json_round_trip(tmp_path: Path) -> None:
    golden = Path(__file__).parents[1] / "report" / "golden" / "pass.json"
    data = json.loads(golden.read_text(encoding="utf-8"))
    assert "merge_queue" not in data["ci"]  # outside a queue a verdict keeps its shape
    queue = detect(github_merge_group(tmp_path), run_git=_no_git).merge_queue
    verdict = replace(
        verdict_from_dict(data), ci=replace(verdict_from_dict(data).ci, merge_queue=queue)
    )
    document = verdict.to_dict()
    validate_verdict(document)
    assert document["ci"]["merge_queue"]["pull_requests"] == [104]
    assert verdict_from_dict(json.loads(verdict.to_json())) == verdict
