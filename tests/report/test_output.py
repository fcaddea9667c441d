"""`--report FORMAT[=PATH]` parsing and write_reports: files, stdout, GitHub files, warnings."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from gate_runner.channel import Channel
from gate_runner.errors import UsageError
from gate_runner.report.output import ReportSpec, parse_report_spec, write_reports
from gate_runner.report.registry import REPORTERS
from gate_runner.secrets import Secrets

from .fixtures import hard_fail, passing


def test_parse_report_spec() -> None:
    assert parse_report_spec("junit") == ReportSpec("junit", None)
    assert parse_report_spec("SARIF=out/g.sarif") == ReportSpec("sarif", "out/g.sarif")
    assert parse_report_spec("text=-") == ReportSpec("text", "-")
    assert parse_report_spec("json=a=b.json") == ReportSpec("json", "a=b.json")
    assert ReportSpec("junit").destination == "gate-runner-junit.xml"
    assert ReportSpec("text").destination == "-"


def test_unknown_format_is_a_usage_error_listing_the_known_ones() -> None:
    with pytest.raises(UsageError) as caught:
        parse_report_spec("xml=out.xml")
    assert str(caught.value) == (
        "unknown report format 'xml' in --report 'xml=out.xml'; known formats: "
        "github, gitlab, html, json, junit, markdown, sarif, text"
    )
    assert caught.value.exit_code == 2
    with pytest.raises(UsageError, match="names no path"):
        parse_report_spec("junit=")


def test_registry_is_the_single_list() -> None:
    assert list(REPORTERS) == [
        "text",
        "json",
        "junit",
        "sarif",
        "gitlab",
        "github",
        "markdown",
        "html",
    ]
    assert all(r.name == key for key, r in REPORTERS.items())


def test_writes_files_atomically_and_stdout(tmp_path: Path) -> None:
    stdout = io.StringIO()
    target = tmp_path / "deep" / "junit.xml"
    warnings = write_reports(
        hard_fail(),
        [ReportSpec("junit", str(target)), ReportSpec("text", "-")],
        env={},
        channel=Channel(stdout=stdout),
    )
    assert warnings == []
    assert target.read_text(encoding="utf-8").startswith("<?xml")
    assert [p.name for p in target.parent.iterdir()] == ["junit.xml"]  # no temp file left
    assert stdout.getvalue().startswith("gate-runner: FAIL")
    assert "::" not in stdout.getvalue()  # not on GitHub: no workflow commands


def test_unwritable_destination_is_a_warning(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    warnings = write_reports(
        passing(),
        [ReportSpec("sarif", str(blocker / "x.sarif"))],
        env={},
        channel=Channel(stdout=io.StringIO()),
    )
    assert len(warnings) == 1 and warnings[0].startswith("could not write the sarif report to ")


def test_on_github_actions_the_github_reporter_runs_by_itself(tmp_path: Path) -> None:
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    summary.write_text("earlier step\n", encoding="utf-8")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
    }
    stdout = io.StringIO()
    warnings = write_reports(
        hard_fail(),
        [ReportSpec("json", str(tmp_path / "r.json"))],
        env=env,
        channel=Channel(Secrets(("sekrit-token",)), stdout=stdout),
        verdict_path="out/verdict.json",
    )
    assert warnings == []
    lines = stdout.getvalue().splitlines()
    assert any(line.startswith("::error file=sepurux.yml,line=24,") for line in lines)
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## ❌ gate-runner: fail")
    assert "<!-- gate-runner:verdict -->" not in text
    produced = outputs.read_text(encoding="utf-8").splitlines()
    values = dict(zip(produced[0::3], produced[1::3], strict=True))
    assert {k.split("<<")[0]: v for k, v in values.items()} == {
        "outcome": "fail",
        "blocking": "true",
        "exit-code": "1",
        "verdict-path": "out/verdict.json",
    }
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["outcome"] == "fail"


def test_github_is_not_run_twice_when_asked_for_on_github() -> None:
    stdout = io.StringIO()
    write_reports(
        hard_fail(),
        [ReportSpec("github"), ReportSpec("github")],
        env={"GITHUB_ACTIONS": "true"},
        channel=Channel(stdout=stdout),
    )
    assert stdout.getvalue() == REPORTERS["github"].render(hard_fail())


def test_scrub_replaces_each_secret_and_each_line() -> None:
    assert Secrets(("TOKEN1", "xx\nline-two")).scrub("a TOKEN1 b line-two c") == "a *** b *** c"
    assert Secrets(("ab",)).scrub("ab") == "ab"  # too short to scrub without wrecking the text
