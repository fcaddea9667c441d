"""Hostile text (newlines, ::, %, <, &, pipes, backticks, controls, a token) injects nothing."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gate_runner.channel import Channel
from gate_runner.report.chart import chart_block
from gate_runner.report.markdown import MARKER
from gate_runner.report.output import ReportSpec, write_reports
from gate_runner.report.registry import REPORTERS
from gate_runner.secrets import Secrets
from gate_runner.verdict import Verdict
from gate_runner.verdict_json import verdict_from_dict

from .fixtures import TOKEN, hard_fail, hostile

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _both() -> list[Verdict]:
    verdict = hostile()
    return [verdict, verdict_from_dict(json.loads(verdict.to_json()))]


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_no_raw_control_characters(name: str) -> None:
    for verdict in _both():
        text = REPORTERS[name].render(verdict)
        if name == "json":  # JSON escapes them; the decoded document is the verdict itself
            assert not CONTROL.search(text)
            continue
        assert not CONTROL.search(text), f"{name}: {CONTROL.findall(text)!r}"
        assert "\x1b" not in text


def test_github_output_has_one_command_per_finding_and_nothing_else() -> None:
    verdict = hostile()
    text = REPORTERS["github"].render(verdict)
    lines = text.splitlines()
    # The gate error, each finding (and its expired waiver), and the reused campaign's notice.
    expected = 2 + sum(
        1 + (1 if c.waiver and c.waiver.expired else 0)
        for c in verdict.campaigns[0].checks
        if c.status != "pass"
    )
    assert len(lines) == expected
    assert all(re.match(r"^::(error|warning|notice) [^\n]*::", line) for line in lines)
    for line in lines:
        props, _, message = line[2:].partition("::")
        # Properties can't smuggle a new property or end early; the message has no raw newline.
        for prop in props.split(" ", 1)[1].split(","):
            assert re.fullmatch(r"(file|line|col|title)=[^:,]*", prop), prop
        assert "\n" not in message and "\r" not in message


def test_xml_parses_and_keeps_the_text() -> None:
    root = ET.fromstring(REPORTERS["junit"].render(hostile()).encode("utf-8"))
    names = [case.get("name") or "" for case in root.iter("testcase")]
    assert any("<b>&amp; | `tick`" in name for name in names)
    for node in root.iter():
        for value in node.attrib.values():
            assert "\n" not in value


def _table_rows(markdown: str) -> int:
    return sum(1 for line in markdown.splitlines() if line.startswith("|"))


def test_markdown_table_rows_unchanged_by_hostile_text() -> None:
    clean, evil = REPORTERS["markdown"].render(hard_fail()), REPORTERS["markdown"].render(hostile())
    # hostile()'s check ids are mangled, so it has no pass rate and no chart with its table.
    chart = chart_block(hard_fail())
    assert chart and chart_block(hostile()) == ""
    assert _table_rows(evil) == _table_rows(clean) - _table_rows(chart)
    assert evil.count(MARKER) == 1 and evil.startswith(MARKER)
    for line in evil.splitlines():
        if line.startswith("|"):
            # Every pipe that is not escaped is a column border: six columns, seven borders.
            assert len(re.findall(r"(?<!\\)\|", line)) == 7, line
    assert "javascript:" not in evil.replace("javascript:alert", "")  # no link made of it
    assert "](javascript" not in evil
    assert "<b>" not in evil


def test_sarif_and_code_quality_stay_valid_json() -> None:
    for name in ("sarif", "gitlab", "json"):
        json.loads(REPORTERS[name].render(hostile()))


def test_text_has_no_injected_lines() -> None:
    text = REPORTERS["text"].render(hostile())
    assert not any(line.lstrip().startswith("::") for line in text.splitlines())


def test_token_appears_in_no_written_output(tmp_path: Path) -> None:
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
    }
    specs = [ReportSpec(name, str(tmp_path / f"out.{name}")) for name in sorted(REPORTERS)]
    stdout = io.StringIO()
    channel = Channel(Secrets((TOKEN,)), stdout=stdout)
    channel.masks(env)  # the commands print these first; write_reports never does
    warnings = write_reports(hostile(), [*specs, ReportSpec("text", "-")], env=env, channel=channel)
    assert warnings == []
    printed = stdout.getvalue().splitlines()
    # The mask comes first, and is the only place the token is ever printed.
    assert printed[0] == f"::add-mask::{TOKEN}"
    assert not any(TOKEN in line for line in printed[1:])
    for path in [*tmp_path.iterdir()]:
        assert TOKEN not in path.read_text(encoding="utf-8"), path.name
    assert "***" in (tmp_path / "out.json").read_text(encoding="utf-8")
