"""The platform team's journey, part two (issue 20), as one story run end to end over real git
repositories: the central floor extended by `{git, ref, path}` with a credential, a product
merge request that loosens its policy held until a policy owner approves its head commit, v2
of the central policy staging a tightened bar while v1's bars stay hard, and replay of v2
before it ships. test_platform_journey.py walks the other sections.

The cast:
- `agent-policies`, the platform team's repository, served by `git http-backend` on loopback
  as a git server that takes a token in a header (`PRIVATE-TOKEN`, the git example of
  docs/gitlab-ci.md; support/git_http.py): `agents-v1.yml` (the floor,
  `floor: true`) and `agents.yml`, the file product repositories extend, which extends it;
- `payments`, a product repository whose pipelines are the shipped GitLab template's jobs
  (support/gitlab_jobs.py), its merge request's approvals on a loopback GitLab
  (forges/approvals_fake.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from forges.approvals_fake import GitLabMergeRequest
from forges.fake import fake_forge
from support import LoopbackServer, validate_verdict
from support.git_http import git_http_backend
from support.gitlab_jobs import (
    branch_pipeline,
    carry_cache,
    checkout,
    job,
    merge_request_pipeline,
    run_job,
)

from gate_runner.forges.statuses import gate_conclusion
from gate_runner.verdict_json import verdict_from_dict

from .cli import run
from .gitrepo import Repo

REPO_TOKEN = "glpat-journey-policy-repo-5c1d"  # a masked CI/CD variable; the git host demands it
GITLAB_TOKEN = "glpat-journey-approvals-8e2f"  # a read_api token: the job reads approvals

# The floor: v1's bars, hard; policy changes need the platform group's approval.
V1 = """\
version: 1
floor: true
enforcement: {mode: hard}
gate:
  on_error: fail
  policy_changes: review
  policy_owners: [acme/platform]
thresholds:
  min_pass_rate: 0.85
  max_unsafe: 0
"""

ENTRY_V1 = """\
version: 1
extends: [agents-v1.yml]
"""

# v2 tightens min_pass_rate to 0.9, staged: observed from January 4th, hard from February 1st.
# v1 stays what it extends, so its 0.85 keeps judging at hard all along.
ENTRY_V2 = """\
version: 1
extends: [agents-v1.yml]
thresholds:
  min_pass_rate:
    value: 0.9
    enforcement:
      schedule:
        - {from: 2027-01-04, mode: observe}
        - {from: 2027-02-01, mode: hard}
"""

PAYMENTS = """\
version: 1
extends:
  - git: {url}
    ref: {ref}
    path: agents.yml
    auth: {{env: POLICY_REPO_TOKEN, header: PRIVATE-TOKEN}}
campaigns:
  checkout:
    thresholds:
      min_pass_rate: {bar}
  refunds: {{}}
"""


def scenario(**rates: float) -> str:
    """The sandbox's agents: one campaign per name, at that pass rate."""
    lines = ["token: sandbox-token", "campaigns:"]
    for name, rate in rates.items():
        lines += [
            f"  - name: {name}",
            "    duration: 0",
            f"    metrics: {{pass_rate: {rate}, unsafe_attempts: 0, reliability_score: 90}}",
        ]
    return "\n".join(lines) + "\n"


def _verdict(workspace: Path) -> dict[str, Any]:
    verdict: dict[str, Any] = json.loads(
        (workspace / "gate-runner-verdict.json").read_text(encoding="utf-8")
    )
    validate_verdict(verdict)
    return verdict


def _checks(verdict: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    campaign = next(c for c in verdict["campaigns"] if c["key"] == key)
    return {c["id"]: c for c in campaign["checks"]}


class Pipelines:
    """The product's GitLab pipelines, one workspace each, the template's cache carried on."""

    def __init__(self, repo: Repo, root: Path, variables: dict[str, str]) -> None:
        self.repo, self.root, self.variables = repo, root, variables
        self.depth = int(job("gate-runner")["variables"]["GIT_DEPTH"])
        self.last: Path | None = None  # the last default-branch workspace: its cache
        self.count = 0

    def _workspace(self, ref: str) -> tuple[Path, str]:
        self.count += 1
        workspace = self.root / f"pipeline-{self.count}"
        sha = checkout(self.repo.path, workspace, ref, self.depth)
        if self.last is not None:
            carry_cache("gate-runner", self.last, workspace)
        return workspace, sha

    def default_branch(self, *args: str) -> tuple[Path, str, int, str]:
        """`gate-runner-record` on main: check, then record; (workspace, sha, exit, log)."""
        workspace, sha = self._workspace("main")
        extra = {"GATE_RUNNER_ARGS": " ".join(["--sandbox scenario.yml", *args])}
        done = run_job(
            "gate-runner-record", workspace, branch_pipeline(sha, "main"), self.variables | extra
        )
        self.last = workspace
        return workspace, sha, done.code, done.log

    def merge_request(self, forge: str) -> tuple[Path, str, int, str]:
        """`gate-runner` on the merge request's head, reading approvals from `forge`."""
        workspace, sha = self._workspace("pr")
        approvals = {
            "CI_API_V4_URL": f"{forge}/api/v4",
            "CI_PROJECT_ID": "7",
            "GITLAB_TOKEN": GITLAB_TOKEN,
            "GATE_RUNNER_ARGS": "--sandbox scenario.yml",
        }
        pipeline = merge_request_pipeline(sha, "pr", "main", iid=3)
        done = run_job("gate-runner", workspace, pipeline, self.variables | approvals)
        return workspace, sha, done.code, done.log


@pytest.mark.slow
def test_git_extends_approval_staging_and_replay_in_one_run(tmp_path: Path) -> None:
    # 1. The platform team publishes the floor in its repository, served behind the job token.
    central = Repo.init(tmp_path / "agent-policies")
    v1 = central.commit("agents v1", {"agents-v1.yml": V1, "agents.yml": ENTRY_V1})
    served = tmp_path / "served"
    served.mkdir()
    central.git("clone", "-q", "--bare", str(central.path), str(served / "agent-policies.git"))
    # Merge request !3 of project 7 on the loopback GitLab: its head and approvals.
    merge_request = GitLabMergeRequest(GITLAB_TOKEN, 7, 3, "", groups={"acme/platform": {"dana"}})
    with (
        LoopbackServer(git_http_backend(served, ("PRIVATE-TOKEN", REPO_TOKEN))) as host,
        fake_forge(merge_request) as forge,
    ):
        url = f"{host.url}/agent-policies.git"

        # 2. payments extends it by {git, ref, path} with auth; its default branch records.
        payments = Repo.init(tmp_path / "payments")
        policy = PAYMENTS.format(url=url, ref=v1, bar=0.9)
        payments.commit(
            "payments: the gate",
            {"sepurux.yml": policy, "scenario.yml": scenario(checkout=0.93, refunds=0.88)},
        )
        variables = {
            "POLICY_REPO_TOKEN": REPO_TOKEN,
            "GATE_RUNNER_CACHE_DIR": str(tmp_path / "policy-cache"),
        }
        ci = Pipelines(payments, tmp_path, variables)
        main_ws, first, code, log = ci.default_branch()
        assert code == 0, log
        assert f"recorded the verdict of {first}" in log
        assert host.requests, "git never reached the central host: the test proves nothing"
        assert {r.headers.get("private-token") for r in host.requests} == {REPO_TOKEN}
        recorded = _verdict(main_ws)
        assert (f"{url}//agents-v1.yml", f"commit:{v1}") in {
            (f["source"], f.get("pin")) for f in recorded["policy"]["files"]
        }
        assert REPO_TOKEN not in log + json.dumps(recorded)

        # 3. A merge request loosens checkout's bar (0.9 -> 0.87, still above the floor). The
        #    agent clears the base bar, so only the policy change holds it: action_required.
        payments.git("checkout", "-q", "-b", "pr")
        pr = payments.commit(
            "checkout: a lower bar",
            {"sepurux.yml": PAYMENTS.format(url=url, ref=v1, bar=0.87)},
        )
        payments.git("checkout", "-q", "main")
        merge_request.push(pr)
        merge_request.approve("erin")  # not a policy owner
        mr_ws, head, code, log = ci.merge_request(forge.url)
        assert (code, head) == (1, pr), log
        held = _verdict(mr_ws)
        changes = held["policy_changes"]
        assert (changes["judged_by"], changes["review_required"], changes["approved_by"]) == (
            "base",
            True,
            [],
        )
        assert [(c["path"], c["before"], c["after"]) for c in changes["changes"]] == [
            ("campaigns.checkout.thresholds.min_pass_rate", 0.9, 0.87)
        ]
        assert "acme/platform" in changes["approval"]
        assert not any(c["blocking"] for c in held["campaigns"])
        assert gate_conclusion(verdict_from_dict(held)) == "action_required"
        assert held["baseline"]["commit"] == first

        # 4. A policy owner (dana, in acme/platform) approves the head commit; the retried
        #    job passes, judged by the merge request's own policy.
        merge_request.approve("dana")
        mr_ws, _head, code, log = ci.merge_request(forge.url)
        assert code == 0, log
        approved = _verdict(mr_ws)["policy_changes"]
        assert (approved["judged_by"], approved["approved_by"]) == (
            "head",
            ["dana (acme/platform)"],
        )
        assert _checks(_verdict(mr_ws), "checkout")["threshold:min_pass_rate"]["expected"] == (
            ">= 0.87"
        )
        payments.git("merge", "-q", "--ff-only", "pr")
        ws, merged, code, log = ci.default_branch()
        assert (code, merged) == (0, pr), log

        # 5. v2 stages a tightened bar. `diff` v1 -> v2 finds only tightenings, and replay of
        #    v2 over what payments recorded: nothing blocks while the bar is observed; on the
        #    day it goes hard, refunds (0.88, under the new 0.9) would block both merges.
        central.commit("agents v2: a tighter pass rate, staged", {"agents.yml": ENTRY_V2})
        diff = run(central.path, "diff", f"{v1}:agents.yml", "agents.yml", "--format", "json")
        assert diff.code == 0, diff
        assert {c["effect"] for c in json.loads(diff.stdout)} == {"tightens"}
        store = str(ws / job("gate-runner")["variables"]["GATE_RUNNER_STORE"])
        replayed = {}
        for day in ("2027-01-10", "2027-02-01"):
            done = run(
                central.path,  # the platform team's checkout, v2 committed, not yet pushed
                "replay",
                "--policy",
                "agents.yml",
                "--store",
                store,
                "--as-of",
                day,
                "--format",
                "json",
                env=variables,
            )
            assert done.code == 0, done
            replayed[day] = json.loads(done.stdout)
        observed, hard = replayed["2027-01-10"], replayed["2027-02-01"]
        assert observed["replaces"] == f"{url}//agents.yml"
        assert (observed["verdicts"], observed["blocked"]) == (2, 0), observed
        assert (hard["verdicts"], hard["blocked"], hard["newly_blocked"]) == (2, 2, 2), hard
        for item in hard["changed"]:
            (refunds,) = item["campaigns"]
            (bar,) = refunds["checks"]
            assert (refunds["key"], bar["id"], bar["after"]["bar"]) == (
                "refunds",
                "threshold:min_pass_rate",
                ">= 0.9",
            )

        # 6. v2 ships: payments moves its pin. While the stage observes, v1's bars stay hard:
        #    refunds at 0.88 only reports v2's bar; an agent under v1's 0.85 is blocked.
        v2 = central.head()
        central.git("push", "-q", str(served / "agent-policies.git"), "main")
        payments.commit(
            "move the pin to agents v2",
            {"sepurux.yml": PAYMENTS.format(url=url, ref=v2, bar=0.87)},
        )
        ws, _sha, code, log = ci.default_branch("--as-of 2027-01-10")
        assert code == 0, log
        bar = _checks(_verdict(ws), "refunds")["threshold:min_pass_rate"]
        assert (bar["status"], bar["mode"], bar["expected"]) == ("fail", "observe", ">= 0.9")
        assert {(b["expected"], b["status"], b["mode"]) for b in bar["bars"]} == {
            (">= 0.85", "pass", "hard"),
            (">= 0.9", "fail", "observe"),
        }
        payments.commit("refunds slips", {"scenario.yml": scenario(checkout=0.93, refunds=0.8)})
        ws, _sha, code, log = ci.default_branch("--as-of 2027-01-10")
        assert code == 1, log
        bar = _checks(_verdict(ws), "refunds")["threshold:min_pass_rate"]
        assert {(b["expected"], b["status"], b["mode"]) for b in bar["bars"]} == {
            (">= 0.85", "fail", "hard"),
            (">= 0.9", "fail", "observe"),
        }
    assert REPO_TOKEN not in log
