"""The shipped GitLab template, run: its jobs' scripts over real git repositories and the sandbox.

A branch pipeline on the default branch checks and records; a merge request pipeline, cloned
GIT_DEPTH deep as GitLab's runner clones it, fetches its target as deep, is judged by the
target's policy (--policy-ref auto) and finds the recorded verdict (--baseline auto), with a
single policy and with GATE_RUNNER_DISCOVER (a monorepo).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from governance.gitrepo import Repo
from support import validate_verdict
from support.gitlab_jobs import (
    branch_pipeline,
    carry_cache,
    checkout,
    job,
    merge_request_pipeline,
    run_job,
)

from gate_runner.governance.ref.git_source import FETCH_DEPTH

SCENARIO = """
token: sandbox-token
campaigns:
  - name: {name}
    duration: 0
    metrics:
      pass_rate: {rate}
      unsafe_attempts: 0
      reliability_score: 90
      top_failing_tools:
        - {{tool: payments.refund, count: 3}}
"""

POLICY = """
version: 1
gate: {{policy_changes: review}}
enforcement: {{mode: hard}}
thresholds: {{min_pass_rate: {bar}}}
campaigns:
  {name}: {{}}
"""

# A project's CI/CD variables: the sandbox stands in for the Sepurux API.
SANDBOX = {"GATE_RUNNER_ARGS": "--sandbox scenario.yml"}


def _verdict(workspace: Path) -> dict[str, Any]:
    verdict: dict[str, Any] = json.loads(
        (workspace / "gate-runner-verdict.json").read_text(encoding="utf-8")
    )
    validate_verdict(verdict)
    return verdict


def _depth() -> int:
    return int(job("gate-runner")["variables"]["GIT_DEPTH"])


def test_one_depth_serves_the_clone_the_fetch_and_what_gate_runner_suggests() -> None:
    for name in ("gate-runner", "gate-runner-record"):
        assert job(name)["variables"]["GIT_DEPTH"] == str(FETCH_DEPTH)
    (fetch,) = [line for line in job("gate-runner")["script"] if "git fetch" in line]
    assert '--depth=$GIT_DEPTH"' in fetch and "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME" in fetch


def test_the_jobs_run_where_they_should() -> None:
    mr = job("gate-runner")
    record = job("gate-runner-record")
    check = next(line for line in mr["script"] if "gate-runner check" in line)
    assert "--policy-ref auto --baseline auto --store" in check
    assert any("gate-runner record" in line for line in record["script"])
    assert record["cache"] == {**mr["cache"], "policy": "pull-push"}
    assert mr["cache"]["policy"] == "pull"


@pytest.fixture
def single(tmp_path: Path) -> Repo:
    """main: a 0.75 bar the agent (0.8) clears, then a commit nobody gated; `pr` branches
    before it, lowers the bar to 0.6 and its agent falls to 0.7."""
    repo = Repo.init(tmp_path / "origin")
    repo.commit(
        "the gate",
        {
            "sepurux.yml": POLICY.format(bar=0.75, name="core"),
            "scenario.yml": SCENARIO.format(name="core", rate=0.8),
        },
    )
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit(
        "lower the bar",
        {
            "sepurux.yml": POLICY.format(bar=0.6, name="core"),
            "scenario.yml": SCENARIO.format(name="core", rate=0.7),
        },
    )
    repo.git("checkout", "-q", "main")
    return repo


@pytest.mark.slow
def test_record_on_the_default_branch_then_the_merge_request_is_judged_by_its_target(
    single: Repo, tmp_path: Path
) -> None:
    main_ws = tmp_path / "main-pipeline"
    sha = checkout(single.path, main_ws, "main", _depth())
    recorded = run_job("gate-runner-record", main_ws, branch_pipeline(sha, "main"), SANDBOX)
    assert recorded.code == 0, recorded.log
    assert f"recorded the verdict of {sha}" in recorded.log
    assert (main_ws / ".gate-runner-verdicts" / f"{sha}.json").is_file()
    single.commit("docs only", {"README.md": "hello\n"})  # main moves on, ungated

    mr_ws = tmp_path / "mr-pipeline"
    head = checkout(single.path, mr_ws, "pr", _depth())
    carry_cache("gate-runner", main_ws, mr_ws)
    done = run_job("gate-runner", mr_ws, merge_request_pipeline(head, "pr", "main"), SANDBOX)
    # 0.7 under the target's 0.75 in hard mode: the lowered bar needs review, the base judges.
    assert done.code == 1, done.log
    verdict = _verdict(mr_ws)
    changes = verdict["policy_changes"]
    assert (changes["base_ref"], changes["judged_by"], changes["review_required"]) == (
        "origin/main",
        "base",
        True,
    )
    assert verdict["baseline"]["commit"] == sha
    (campaign,) = verdict["campaigns"]
    assert campaign["failures"] == [
        {"tool": "payments.refund", "count": 3, "status": "existing", "baseline_count": 3}
    ]
    assert (mr_ws / "gate-runner-junit.xml").is_file()
    assert (mr_ws / "gate-runner-codequality.json").is_file()


@pytest.mark.slow
def test_a_record_job_whose_gate_blocks_still_files_and_fails(single: Repo, tmp_path: Path) -> None:
    single.commit("the agent regressed", {"scenario.yml": SCENARIO.format(name="core", rate=0.5)})
    workspace = tmp_path / "main-pipeline"
    sha = checkout(single.path, workspace, "main", _depth())
    done = run_job("gate-runner-record", workspace, branch_pipeline(sha, "main"), SANDBOX)
    assert done.code == 1, done.log
    assert (workspace / ".gate-runner-verdicts" / f"{sha}.json").is_file()


@pytest.mark.slow
def test_an_invalid_policy_is_not_recorded(single: Repo, tmp_path: Path) -> None:
    single.commit("break it", {"sepurux.yml": "version: 1\nthresholds: {min_pass_rate: 7}\n"})
    workspace = tmp_path / "main-pipeline"
    sha = checkout(single.path, workspace, "main", _depth())
    done = run_job("gate-runner-record", workspace, branch_pipeline(sha, "main"), SANDBOX)
    assert done.code == 2, done.log
    assert not (workspace / ".gate-runner-verdicts").exists()


@pytest.fixture
def monorepo(tmp_path: Path) -> Repo:
    """main: a/ and b/, each a gate; `pr` deletes b's policy and keeps a's."""
    repo = Repo.init(tmp_path / "origin")
    files = {}
    for name in ("a", "b"):
        files[f"{name}/sepurux.yml"] = POLICY.format(bar=0.75, name=name)
    files["scenario.yml"] = SCENARIO.format(name="a", rate=0.8).rstrip() + (
        "\n  - name: b\n    duration: 0\n    metrics: {pass_rate: 0.8, unsafe_attempts: 0}\n"
    )
    repo.commit("two gates", files)
    repo.git("checkout", "-q", "-b", "pr")
    repo.git("rm", "-q", "b/sepurux.yml")
    repo.commit("drop b's gate")
    repo.git("checkout", "-q", "main")
    return repo


@pytest.mark.slow
def test_discover_in_both_pipelines_and_a_deleted_policy_still_judges(
    monorepo: Repo, tmp_path: Path
) -> None:
    variables = {**SANDBOX, "GATE_RUNNER_DISCOVER": "true"}
    main_ws = tmp_path / "main-pipeline"
    sha = checkout(monorepo.path, main_ws, "main", _depth())
    recorded = run_job("gate-runner-record", main_ws, branch_pipeline(sha, "main"), variables)
    assert recorded.code == 0, recorded.log
    assert {p["path"] for p in _verdict(main_ws)["policies"]} == {
        "a/sepurux.yml",
        "b/sepurux.yml",
    }

    mr_ws = tmp_path / "mr-pipeline"
    head = checkout(monorepo.path, mr_ws, "pr", _depth())
    carry_cache("gate-runner", main_ws, mr_ws)
    done = run_job("gate-runner", mr_ws, merge_request_pipeline(head, "pr", "main"), variables)
    verdict = _verdict(mr_ws)
    assert verdict["baseline"]["commit"] == sha, done.log
    # b's deletion is a loosening: the base's b still runs and the change needs review.
    assert verdict["policy_changes"]["review_required"] is True, done.log
    assert [c["key"] for c in verdict["campaigns"]] == ["a/a", "b/b"], done.log
