"""A pull request cannot swap the trace `--policy-ref` judges with: it is read at the ref.

The base's trace is one the API accepts; the pull request's is one it refuses (422), so the
verdict shows which was uploaded: before the fix the working tree's trace went up and the
run failed on it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from governance.cli import run
from support import validate_verdict

from gate_runner.sandbox import Sandbox
from gate_runner.sandbox.scenario import Scenario

from .prrepo import pull_request

SCENARIO = {
    "token": "sandbox-token",
    "campaigns": [{"name": "core", "duration": 0, "metrics": {"pass_rate": 0.95, "failures": 0}}],
}
POLICY = """
version: 1
thresholds: {min_pass_rate: 0.9}
campaigns:
  core: {trace_file: traces/core.json}
"""
BASE_TRACE = json.dumps({"task": {"name": "base"}, "events": []})
SWAPPED = json.dumps({"task": {"name": "swapped"}, "events": "not a list"})


def _check(repo: Path) -> tuple[Any, dict[str, Any]]:
    with Sandbox(Scenario.from_dict(SCENARIO)) as sandbox:
        done = run(repo, "check", "--policy-ref", "main", "--api-url", sandbox.url,
                   env={"SEPURUX_API_KEY": sandbox.token})  # fmt: skip
    verdict = json.loads((repo / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    validate_verdict(verdict)
    return done, verdict


@pytest.mark.slow
def test_a_trace_swapped_in_the_working_tree_is_not_what_is_uploaded(tmp_path: Path) -> None:
    base = {"sepurux.yml": POLICY, "traces/core.json": BASE_TRACE}
    repo = pull_request(tmp_path, base, {"traces/core.json": SWAPPED})
    done, verdict = _check(repo.path)
    assert done.code == 0, done.stdout + done.stderr
    core = verdict["campaigns"][0]
    assert core["error"] is None and core["outcome"] == "pass"


@pytest.mark.slow
def test_a_trace_folder_swapped_for_a_symlink_is_not_followed(tmp_path: Path) -> None:
    base = {"sepurux.yml": POLICY, "traces/core.json": BASE_TRACE}
    repo = pull_request(tmp_path, base, {"lax/core.json": SWAPPED})
    repo.git("rm", "-q", "-r", "traces")
    os.symlink("lax", repo.path / "traces")
    repo.commit("traces -> lax")
    done, verdict = _check(repo.path)
    assert done.code == 0, done.stdout + done.stderr
    assert verdict["campaigns"][0]["error"] is None


@pytest.mark.slow
def test_dry_run_names_the_trace_at_the_ref(tmp_path: Path) -> None:
    base = {"sepurux.yml": POLICY, "traces/core.json": BASE_TRACE}
    repo = pull_request(tmp_path, base, {"traces/core.json": SWAPPED})
    done = run(repo.path, "check", "--policy-ref", "main", "--dry-run",
               env={"SEPURUX_API_KEY": "tok-dry-run-1234"})  # fmt: skip
    assert done.code == 0, done.stdout + done.stderr
    assert "uploading main:traces/core.json" in done.stdout
