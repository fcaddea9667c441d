"""The official `sepurux` CLI (the SDK Sepurux's docs tell users to run) against the sandbox.

Each shipped scenario's campaigns go through `sepurux run campaign` as a process over
loopback: trace upload, create (the SDK reads `batch_id`), batch polling, reliability and
failures for the batch's first member run, and the CLI's own "Quality gate" line.
"""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support import REPO, clean_env

from gate_runner.sandbox import Sandbox, load_scenario

SCENARIOS = sorted((REPO / "examples" / "sandbox").glob("*.yml"))
SEPURUX = Path(sys.executable).with_name("sepurux")
GATE_LINE = re.compile(r"^Quality gate (PASSED|FAILED): ([0-9.]+)%", re.MULTILINE)
# flaky.yml's faults (one create 500, two poll 429s, one reset) each end one attempt of a
# client without retries; the fourth attempt after them meets none.
MAX_ATTEMPTS = 6

pytestmark = pytest.mark.slow


def run_official_cli(sandbox: Sandbox, campaign: str) -> subprocess.CompletedProcess[str]:
    if not SEPURUX.exists():
        pytest.fail(f"{SEPURUX} is missing: install the dev extra (pip install -e '.[dev]')")
    return subprocess.run(
        [
            str(SEPURUX),
            "run",
            "campaign",
            "--campaign",
            campaign,
            "--base-url",
            sandbox.url,
            "--api-key",
            sandbox.token,
            "--poll-interval",
            "0.2",
            "--timeout",
            "60",
        ],
        capture_output=True,
        text=True,
        env=clean_env(token=None),
        timeout=120,
        check=False,
    )


def verdict_of(sandbox: Sandbox, campaign: str) -> tuple[str, float, list[str]]:
    """The CLI's gate line (PASSED/FAILED, score) and the errors of attempts before it."""
    errors: list[str] = []
    for _ in range(MAX_ATTEMPTS):
        done = run_official_cli(sandbox, campaign)
        found = GATE_LINE.search(done.stdout + done.stderr)
        if found:
            assert done.returncode == (0 if found.group(1) == "PASSED" else 1)
            return found.group(1), float(found.group(2)), errors
        assert done.returncode == 1, done.stdout + done.stderr
        errors.append(done.stderr.strip())
    raise AssertionError(f"{campaign}: no quality gate line after {MAX_ATTEMPTS} runs: {errors}")


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_official_cli_reaches_its_quality_gate_line(path: Path) -> None:
    scenario = load_scenario(path)
    with Sandbox(scenario) as sandbox:
        names = [c.name for c in scenario.campaigns]
        with ThreadPoolExecutor(len(names)) as pool:
            results = dict(
                zip(names, pool.map(lambda n: verdict_of(sandbox, n), names), strict=True)
            )
        counts = sandbox.request_counts()
    for campaign in scenario.campaigns:
        gate, score, errors = results[campaign.name]
        expected = campaign.metrics.reliability_score
        assert score == pytest.approx(expected, abs=0.05), campaign.name
        assert gate == ("PASSED" if expected >= 80 else "FAILED"), campaign.name
        if not scenario.faults and not campaign.faults:
            assert errors == [], campaign.name
    assert counts["POST /v1/traces"] >= len(names)
    assert counts["GET /v1/ci/batch/{batch_id}"] >= len(names)
    assert counts["GET /v1/campaigns/{campaign_id}/failures"] == len(names)
    assert "GET /v1/ci/runs/{run_id}" not in counts
