"""`gate-runner check` over several policies, as a process against the sandbox."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from forges.fake import Answer, Request, fake_forge
from support import REPO, Done, clean_env, run_gate, validate_verdict

SANDBOX = REPO / "examples" / "sandbox"
TOKEN = "ghs_monorepo_token_5521"
HEAD = "fedcba9876543210fedcba9876543210fedcba98"

# Both services declare `core-reliability`: the names must still be unique everywhere.
POLICY = """\
version: 1
enforcement:
  mode: {mode}
thresholds:
  min_pass_rate: 0.85
campaigns:
  core-reliability: {{}}
"""


def _repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for service, mode in (("api", "hard"), ("web", "observe")):
        folder = tmp_path / "services" / service
        folder.mkdir(parents=True)
        (folder / "sepurux.yml").write_text(POLICY.format(mode=mode), encoding="utf-8")
    ignored = tmp_path / "vendor" / "lib"
    ignored.mkdir(parents=True)
    (ignored / "sepurux.yml").write_text("not: a policy of ours\n", encoding="utf-8")
    (tmp_path / ".gitignore").write_text("vendor/\n", encoding="utf-8")
    return tmp_path


def _check(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Done:
    return run_gate(
        [
            "check",
            "--sandbox",
            str(SANDBOX / "failing.yml"),
            *args,
        ],
        cwd=cwd,
        env=env or clean_env(token=None),
        timeout=180,
    )


def _verdict(cwd: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (cwd / "gate-runner-verdict.json").read_text(encoding="utf-8")
    )
    return data


@pytest.mark.slow
def test_discover_judges_each_policy_and_merges_them(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    done = _check(root, "--discover", "--report", "junit=j.xml", "--report", "sarif=s.sarif")
    assert done.returncode == 1, done.stderr  # services/api is hard and below its bar
    verdict = _verdict(root)
    validate_verdict(verdict)
    assert [c["key"] for c in verdict["campaigns"]] == [
        "services/api/core-reliability",
        "services/web/core-reliability",
    ]
    assert [(p["path"], p["outcome"], p["exit_code"]) for p in verdict["policies"]] == [
        ("services/api/sepurux.yml", "fail", 1),
        ("services/web/sepurux.yml", "fail", 0),  # observe: reported, never blocking
    ]
    assert (verdict["outcome"], verdict["blocking"], verdict["exit_code"]) == ("fail", True, 1)
    suites = [s.get("name") for s in ET.parse(root / "j.xml").getroot().iter("testsuite")]
    assert len(suites) == len(set(suites)) == 2
    results = json.loads((root / "s.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    prints = [r["partialFingerprints"]["gateRunnerCheck/v1"] for r in results]
    assert len(prints) == len(set(prints))
    assert {r["properties"]["campaign"] for r in results} == {
        "services/api/core-reliability",
        "services/web/core-reliability",
    }


@pytest.mark.slow
def test_one_comment_and_a_status_per_policy_and_campaign(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"pull_request": {"number": 7, "head": {"sha": HEAD}}}), encoding="utf-8"
    )

    def github(request: Request) -> Answer:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        if request.method == "GET" and request.target.startswith(
            "/repos/acme/mono/issues/7/comments"
        ):
            # https://docs.github.com/en/rest/issues/comments#list-issue-comments : a list.
            return Answer(200, [])
        if request.method == "POST" and request.target == "/repos/acme/mono/issues/7/comments":
            # https://docs.github.com/en/rest/issues/comments#create-an-issue-comment : 201.
            return Answer(201, {"id": 1, "body": request.body["body"]})
        if request.method == "POST" and request.target == "/repos/acme/mono/check-runs":
            # https://docs.github.com/en/rest/checks/runs#create-a-check-run : 201, the run.
            return Answer(201, {"id": 2, "name": request.body["name"]})
        return Answer(404, {"message": "Not Found"})

    with fake_forge(github) as fake:
        env = clean_env(
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_EVENT_NAME": "pull_request",
                "GITHUB_EVENT_PATH": str(event),
                "GITHUB_REPOSITORY": "acme/mono",
                "GITHUB_TOKEN": TOKEN,
                "GITHUB_API_URL": fake.url,
            },
            token=None,
        )
        done = _check(
            root,
            "--config",
            "services/api/sepurux.yml",
            "--config",
            "services/web/sepurux.yml",
            "--comment",
            "--publish",
            env=env,
        )
    assert done.returncode == 1, done.stderr
    assert "warning" not in done.stderr
    comments = [r for r in fake.calls("POST") if r.target.endswith("/comments")]
    assert len(comments) == 1  # one sticky comment for both policies
    body = comments[0].body["body"]
    assert "services/api/core-reliability" in body and "services/web/core-reliability" in body
    assert "```mermaid" in body
    runs = [
        (r.body["name"], r.body["conclusion"])
        for r in fake.calls("POST")
        if "check-runs" in r.target
    ]
    assert runs == [
        ("gate-runner / services/api/core-reliability", "failure"),
        ("gate-runner / services/web/core-reliability", "neutral"),
        ("gate-runner", "failure"),
    ]


@pytest.mark.slow
def test_campaign_named_with_its_prefix_runs_only_there(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    done = _check(root, "--discover", "--campaign", "services/web/core-reliability")
    assert done.returncode == 0, done.stderr  # only the observe policy ran
    verdict = _verdict(root)
    assert [c["key"] for c in verdict["campaigns"]] == ["services/web/core-reliability"]
    unknown = _check(root, "--discover", "--campaign", "services/x/core-reliability")
    assert unknown.returncode == 2
    assert "services/api/core-reliability" in unknown.stderr  # the known names are listed


def test_discover_and_config_together_is_a_usage_error(tmp_path: Path) -> None:
    done = _check(_repo(tmp_path), "--discover", "--config", "services/api/sepurux.yml")
    assert done.returncode == 2
    assert "--discover finds the policies itself" in done.stderr
