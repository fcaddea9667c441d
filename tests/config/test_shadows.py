"""Settings with no effect are warnings in `validate` and `explain`, at their own line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from support import clean_env, run_gate

from gate_runner.config import check_files

POLICY = """\
version: 1
enforcement:
  mode: hard
  schedule:
    - {from: 2026-03-01, mode: soft}
thresholds:
  min_pass_rate: 0.9
assertions:
  - name: few-failures
    expr: "failures <= `5`"
campaigns:
  core:
    thresholds:
      min_pass_rate: 0.9
      max_unsafe: 0
    assertions:
      - name: few-failures
        expr: "failures <= `5`"
  other:
    thresholds:
      min_pass_rate: 0.95
"""


def _warnings(path: Path, today: date) -> list[tuple[int, int, str]]:
    found = check_files([path], today=today)[str(path)]
    assert found.diagnostics == []
    return [(w.line, w.col, w.message) for w in found.warnings]


def test_each_setting_without_effect_is_warned_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "sepurux.yml"
    path.write_text(POLICY, encoding="utf-8")
    found = _warnings(path, date(2026, 6, 1))
    assert [(line, col) for line, col, _ in found] == [(3, 9), (14, 22), (17, 9)]
    assert "the schedule entry from 2026-03-01 (soft) is in force" in found[0][2]
    assert "is what it inherits from thresholds.min_pass_rate" in found[1][2]
    assert "assertion few-failures is the same as the top-level one" in found[2][2]


def test_a_mode_before_the_schedule_starts_is_in_force_and_not_warned(tmp_path: Path) -> None:
    path = tmp_path / "sepurux.yml"
    path.write_text(POLICY, encoding="utf-8")
    assert [line for line, _, _ in _warnings(path, date(2026, 2, 28))] == [14, 17]


@pytest.mark.slow
@pytest.mark.parametrize("command", [["validate"], ["explain"]])
def test_validate_and_explain_print_the_warnings(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "sepurux.yml").write_text(POLICY.replace("2026-03-01", "2020-03-01"), "utf-8")
    done = run_gate(command, cwd=tmp_path, env=clean_env(token=None))
    assert done.code == 0, done.describe()
    warned = [line.split(": warning: ")[0] for line in done.stderr.splitlines()]
    assert warned == ["sepurux.yml:3:9", "sepurux.yml:14:22", "sepurux.yml:17:9"]
