"""A `merge_group` run as a process: the statuses land on the group's head commit, where
the merge queue's required checks look for them (issue 21)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import REPO, clean_env, run_gate, validate_verdict

from .fake import Answer, Request, fake_forge
from .schemas import github_request

TOKEN = "ghs_merge_queue_token_5521"
# The documented merge_group example (cited in tests/ci/test_merge_queues.py).
EVENT = REPO / "tests" / "vendor" / "github-merge-group-checks-requested.json"
GROUP_HEAD = "2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d"
POLICY = """\
version: 1
publish: true
enforcement: {mode: hard}
thresholds: {min_pass_rate: 0.85}
campaigns:
  core-reliability: {}
"""


def _github(request: Request) -> Answer:
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    if request.method == "POST" and request.target == "/repos/octo-org/octo-repo/check-runs":
        # https://docs.github.com/en/rest/checks/runs#create-a-check-run : 201, the run.
        github_request("checks/create", request.body)
        return Answer(201, {"id": 7, "name": request.body["name"]})
    return Answer(404, {"message": "Not Found"})


@pytest.mark.slow
def test_merge_group_statuses_land_on_the_group_head(tmp_path: Path) -> None:
    (tmp_path / "sepurux.yml").write_text(POLICY, encoding="utf-8")
    shutil.copy(EVENT, tmp_path / "event.json")
    ref = "gh-readonly-queue/main/pr-104-929f8209d40f77f4abc622a499c93a83babdbe64"
    with fake_forge(_github) as fake:
        env = clean_env(
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_EVENT_NAME": "merge_group",
                "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
                "GITHUB_REPOSITORY": "octo-org/octo-repo",
                "GITHUB_SHA": GROUP_HEAD,
                "GITHUB_REF_NAME": ref,
                "GITHUB_TOKEN": TOKEN,
                "GITHUB_API_URL": fake.url,
            },
            token=None,
        )
        sandbox = REPO / "examples" / "sandbox" / "passing.yml"
        done = run_gate(["check", "--sandbox", str(sandbox)], cwd=tmp_path, env=env)
    assert done.code == 0, done.stderr
    posted = [(r.body["name"], r.body["head_sha"]) for r in fake.calls("POST")]
    assert posted == [
        ("gate-runner / core-reliability", GROUP_HEAD),
        ("gate-runner", GROUP_HEAD),
    ]
    # Nothing is asked of pull request 104 itself: a queue entry's checks are the group's.
    assert all("/pulls/" not in r.target for r in fake.requests)
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    validate_verdict(verdict)
    assert verdict["ci"]["commit"] == GROUP_HEAD
    assert verdict["ci"]["pull_request"] == 104
    assert verdict["ci"]["merge_queue"]["kind"] == "merge_group"
    assert verdict["ci"]["merge_queue"]["pull_requests"] == [104]
