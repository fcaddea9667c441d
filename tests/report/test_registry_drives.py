"""The reporter registry drives the CLI: `--report`'s help and how each format is written."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import pytest
from support import clean_env, run_gate

from gate_runner.channel import Channel
from gate_runner.report.output import ReportSpec, write_reports
from gate_runner.report.registry import REPORTERS
from gate_runner.secrets import Secrets

from .fixtures import hard_fail


@pytest.mark.parametrize("command", ["check", "evaluate"])
def test_report_help_lists_exactly_the_registrys_formats(command: str) -> None:
    done = run_gate([command, "--help"], env=clean_env({"COLUMNS": "400"}, token=None))
    assert done.code == 0, done.describe()
    listed = re.search(r"FORMAT\[=PATH\], repeatable: ([a-z, ]+)\.", done.stdout)
    assert listed is not None, done.stdout
    assert listed.group(1).split(", ") == list(REPORTERS)


def test_data_formats_keep_text_as_it_came_and_the_others_defuse_it(tmp_path: Path) -> None:
    verdict = hard_fail()
    campaign = verdict.campaigns[0]
    checks = tuple(replace(c, message=f"{c.message} ##[error]forged") for c in campaign.checks)
    verdict = replace(verdict, campaigns=(replace(campaign, checks=checks), *verdict.campaigns[1:]))
    specs = [ReportSpec(name, str(tmp_path / f"out.{name}")) for name in REPORTERS]
    channel = Channel(Secrets(()), stdout=io.StringIO())
    assert write_reports(verdict, specs, env={}, channel=channel) == []
    kept = {
        name for name in REPORTERS if "##[error]forged" in (tmp_path / f"out.{name}").read_text()
    }
    assert kept == {name for name, reporter in REPORTERS.items() if reporter.data}
    assert kept  # the registry marks some formats as data
