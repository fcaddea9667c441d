"""An invalid policy as `check` reports it: each diagnostic once on the terminal, and one
finding per diagnostic at its own line in every file report (issue 17, Messages)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import clean_env, run_gate, validate_verdict

# gate-runner processes, seconds each on a loaded machine.
pytestmark = pytest.mark.slow

POLICY = """version: 1
gate:
  timeout: -5
thresholds:
  min_pass_rat: 0.8
campaigns:
  core: {}
"""
TIMEOUT = "sepurux.yml:3:12: gate.timeout: must be greater than 0"
UNKNOWN = "sepurux.yml:5:3: unknown key 'min_pass_rat' in thresholds"


def _check(tmp_path: Path, *reports: str) -> tuple[str, str]:
    (tmp_path / "sepurux.yml").write_text(POLICY, encoding="utf-8")
    args = ["check"]
    for report in reports:
        args += ["--report", report]
    done = run_gate(args, cwd=tmp_path, env=clean_env(token=None))
    assert done.code == 2, done.describe()
    assert "Traceback" not in done.stderr
    return done.stdout, done.stderr


def test_each_diagnostic_is_printed_once(tmp_path: Path) -> None:
    stdout, stderr = _check(tmp_path)
    for line in (TIMEOUT, UNKNOWN):
        # As found, on stderr as in every command; the summary after them does not repeat.
        assert stderr.count(line) == 1 and line not in stdout, stdout + stderr
    assert "gate-runner: 2 problems in the policy" in stderr
    assert "error (policy): 2 problems in the policy sepurux.yml" in stdout
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    validate_verdict(verdict)
    assert verdict["notes"] == []
    assert [
        (p["location"]["line"], p["location"]["column"]) for p in verdict["error"]["diagnostics"]
    ] == [
        (3, 12),
        (5, 3),
    ]


def test_a_text_report_on_stdout_lists_them_instead_of_stderr(tmp_path: Path) -> None:
    stdout, stderr = _check(tmp_path, "text")
    for line in (TIMEOUT, UNKNOWN):
        assert stdout.count(line) == 1 and line not in stderr, stdout + stderr
    assert "gate-runner: 2 problems in the policy" in stderr


def test_a_text_report_in_a_file_lists_them_too(tmp_path: Path) -> None:
    stdout, stderr = _check(tmp_path, "text=summary.txt")
    summary = (tmp_path / "summary.txt").read_text(encoding="utf-8")
    for line in (TIMEOUT, UNKNOWN):
        assert stderr.count(line) == 1 and line not in stdout
        assert summary.count(line) == 1


def test_code_quality_sarif_and_annotations_point_at_each_line(tmp_path: Path) -> None:
    _check(tmp_path, "gitlab=cq.json", "sarif=out.sarif", "github=annotations.txt")
    quality = json.loads((tmp_path / "cq.json").read_text(encoding="utf-8"))
    assert [(e["location"]["path"], e["location"]["lines"]["begin"]) for e in quality] == [
        ("sepurux.yml", 3),
        ("sepurux.yml", 5),
    ]
    assert quality[0]["description"] == "invalid policy: gate.timeout: must be greater than 0"
    assert len({e["fingerprint"] for e in quality}) == 2
    sarif = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in sarif["runs"][0]["results"]]
    assert regions == [{"startLine": 3, "startColumn": 12}, {"startLine": 5, "startColumn": 3}]
    annotations = (tmp_path / "annotations.txt").read_text(encoding="utf-8")
    assert "::error file=sepurux.yml,line=3," in annotations
    assert "::error file=sepurux.yml,line=5," in annotations
