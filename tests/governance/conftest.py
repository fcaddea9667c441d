"""Fixtures: a repository whose main branch has a policy and a PR branch that loosens it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .gitrepo import Repo

BASE_PLATFORM = """
version: 1
thresholds:
  min_pass_rate: 0.85
  max_unsafe: 0
assertions:
  - name: refund-tool-stable
    expr: "length(top_failing_tools[?tool=='payments.refund']) == `0`"
"""

BASE_POLICY = """
version: 1
extends:
  - ../platform/baseline.yml
project: my-agent
gate: {on_error: fail}
enforcement:
  mode: hard
campaigns:
  core:
    campaign: core-reliability
    thresholds: {min_pass_rate: 0.9}
  extra:
    campaign: extra
waivers:
  - {campaign: core, check: max_unsafe, until: 2026-12-31, reason: AGENT-1 fix}
"""

# The PR: soft mode, a lower bar, a removed campaign, a longer waiver, on_error: pass,
# and (in the extended file) an assertion downgraded to warn.
PR_POLICY = """
version: 1
extends:
  - ../platform/baseline.yml
project: my-agent
gate: {on_error: pass}
enforcement:
  mode: soft
campaigns:
  core:
    campaign: core-reliability
    thresholds: {min_pass_rate: 0.7}
waivers:
  - {campaign: core, check: max_unsafe, until: 2027-06-30, reason: AGENT-1 fix}
"""

PR_PLATFORM = """
version: 1
thresholds:
  min_pass_rate: 0.85
  max_unsafe: 0
assertions:
  - name: refund-tool-stable
    expr: "length(top_failing_tools[?tool=='payments.refund']) == `0`"
    level: warn
"""


@pytest.fixture
def pr_repo(tmp_path: Path) -> Repo:
    """main: the base policy; branch `pr` (checked out): the loosened one."""
    repo = Repo.init(tmp_path / "origin")
    repo.commit(
        "base policy",
        {"svc/sepurux.yml": BASE_POLICY, "platform/baseline.yml": BASE_PLATFORM},
    )
    repo.git("checkout", "-q", "-b", "pr")
    repo.commit(
        "loosen the gate",
        {"svc/sepurux.yml": PR_POLICY, "platform/baseline.yml": PR_PLATFORM},
    )
    return repo


SIMPLE_POLICY = """
version: 1
thresholds: {min_pass_rate: 0.8}
campaigns:
  core: {}
"""


def verdict_json(commit: str | None, *, pass_rate: float = 0.9, tools: tuple[str, ...] = ()) -> str:
    """A real verdict, judged by the runner from a payload, filed under `commit`."""
    import tempfile
    from datetime import date

    from gate_runner.config import load_policy
    from gate_runner.runner import GateOptions, evaluate_payloads
    from gate_runner.verdict import CIContext

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "sepurux.yml"
        path.write_text(SIMPLE_POLICY.lstrip(), encoding="utf-8")
        # Loaded from the repository's root, as CI runs it: the verdict records "sepurux.yml".
        here = Path.cwd()
        os.chdir(scratch)
        try:
            policy = load_policy(Path("sepurux.yml"), env={})
        finally:
            os.chdir(here)
    payload = {
        "decision": "pass" if pass_rate >= 0.8 else "fail",
        "pass_rate": pass_rate,
        "run_id": f"run-{commit}",
        "top_failing_tools": [{"tool": t, "count": 2} for t in tools],
    }
    verdict = evaluate_payloads(
        policy,
        {"core": payload},
        GateOptions(campaign_keys=("core",)),
        ci=CIContext("local", repository="acme/agent", commit=commit),
        today=date(2026, 11, 29),
    )
    return verdict.to_json()
