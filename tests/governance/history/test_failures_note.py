"""Failing tools against the baseline, as a user meets them in `evaluate --baseline`: old
failures alone are a note, a new one a warning (issue 17, Messages)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import clean_env, run_gate

# gate-runner processes, seconds each on a loaded machine.
pytestmark = pytest.mark.slow

POLICY = """version: 1
enforcement: {mode: hard}
thresholds: {min_pass_rate: 0.5}
campaigns:
  core: {}
"""


def _payload(path: Path, *tools: str) -> Path:
    failing = [{"tool": tool, "count": 2} for tool in tools]
    payload = {"decision": "pass", "pass_rate": 0.9, "top_failing_tools": failing}
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def _evaluate(tmp_path: Path, *args: str) -> dict[str, object]:
    done = run_gate(
        ["evaluate", "--campaign", "core", *args], cwd=tmp_path, env=clean_env(token=None)
    )
    assert done.code == 0, done.describe()
    assert "Traceback" not in done.stderr
    return {"text": done.stdout}


def _baseline_finding(tmp_path: Path, *tools: str) -> tuple[dict[str, object], str, str]:
    (tmp_path / "sepurux.yml").write_text(POLICY, encoding="utf-8")
    base = _payload(tmp_path / "base.json", "payments.refund")
    _evaluate(tmp_path, "--payload", str(base), "--verdict", "base-verdict.json")
    now = _payload(tmp_path / "now.json", *tools)
    out = _evaluate(
        tmp_path,
        "--payload",
        str(now),
        "--baseline",
        "base-verdict.json",
        "--report",
        "gitlab=cq.json",
        "--report",
        "sarif=sarif.json",
        "--report",
        "text",
    )
    quality = json.loads((tmp_path / "cq.json").read_text(encoding="utf-8"))
    [entry] = [e for e in quality if e["check_name"] == "gate-runner/failures:baseline"]
    sarif = json.loads((tmp_path / "sarif.json").read_text(encoding="utf-8"))
    [result] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "failures:baseline"]
    return entry, str(result["level"]), str(out["text"])


def test_old_failures_alone_are_a_note(tmp_path: Path) -> None:
    entry, level, text = _baseline_finding(tmp_path, "payments.refund")
    assert entry["severity"] == "info"
    assert level == "note"
    assert "note failures:baseline" in text
    assert "no new failing tool; existing: payments.refund ×2 (×2 then)" in text
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    [check] = [c for c in verdict["campaigns"][0]["checks"] if c["id"] == "failures:baseline"]
    assert check["status"] == "pass"


def test_a_new_failure_is_a_warning(tmp_path: Path) -> None:
    entry, level, text = _baseline_finding(tmp_path, "payments.refund", "orders.lookup")
    assert entry["severity"] == "minor"
    assert level == "note"  # SARIF has no level between note and warning for "low"
    assert "warn failures:baseline" in text
    assert "new: orders.lookup ×2; existing: payments.refund ×2 (×2 then)" in text
