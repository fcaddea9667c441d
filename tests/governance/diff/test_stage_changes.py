"""`gate-runner diff` on a rule's own enforcement (issue 20): a staged rollout of v2 that keeps
v1's bars is no loosening; a rule's mode that drops, or a schedule that reaches hard later
than the bar in force, is one. Process tests over files, dated from today (diff judges today)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from support import clean_env, run_gate

pytestmark = pytest.mark.slow

V1 = """version: 1
enforcement: {mode: hard}
thresholds: {min_pass_rate: 0.8}
assertions:
  - {name: refunds, expr: "failures == `0`"}
campaigns:
  core: {}
"""


def _day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


def _diff(tmp_path: Path, head: str) -> tuple[int, str]:
    (tmp_path / "v1.yml").write_text(V1, encoding="utf-8")
    (tmp_path / "head.yml").write_text(head, encoding="utf-8")
    done = run_gate(["diff", "v1.yml", "head.yml"], cwd=tmp_path, env=clean_env(token=None))
    assert "Traceback" not in done.stderr, done.describe()
    return done.code, done.stdout


def _line(out: str, path: str) -> str:
    found = [line for line in out.splitlines() if f" {path}:" in line]
    assert len(found) == 1, out
    return found[0].split()[0]


def test_v2_staging_only_its_new_rules_loosens_nothing(tmp_path: Path) -> None:
    code, out = _diff(
        tmp_path,
        f"""version: 1
extends: [v1.yml]
thresholds:
  min_pass_rate:
    value: 0.9
    enforcement:
      schedule: [{{from: {_day(-1)}, mode: observe}}, {{from: {_day(10)}, mode: hard}}]
assertions:
  - name: new-rule
    expr: "unsafe_attempts == `0`"
    enforcement: {{mode: observe}}
""",
    )
    assert code == 0, out
    assert _line(out, "thresholds.min_pass_rate.enforcement") == "tightens"
    assert "loosens" not in out


def test_a_rule_whose_mode_drops_loosens(tmp_path: Path) -> None:
    # The same bar, now observed only: v1's hard bar is gone.
    code, out = _diff(
        tmp_path,
        V1.replace(
            '{name: refunds, expr: "failures == `0`"}',
            '{name: refunds, expr: "failures == `0`", enforcement: {mode: observe}}',
        ),
    )
    assert code == 1, out
    assert _line(out, "assertions.refunds.enforcement") == "loosens"


def test_a_tightened_bar_staged_in_the_same_file_loosens_the_bar_in_force(tmp_path: Path) -> None:
    # Nothing keeps v1's 0.8 judging: the file that had it now says 0.9, observed.
    head = V1.replace(
        "thresholds: {min_pass_rate: 0.8}",
        "thresholds: {min_pass_rate: {value: 0.9, enforcement: {mode: observe}}}",
    )
    code, out = _diff(tmp_path, head)
    assert code == 1, out
    assert _line(out, "thresholds.min_pass_rate.enforcement") == "loosens"
    assert _line(out, "thresholds.min_pass_rate") == "tightens"


def test_a_schedule_that_reaches_hard_later_loosens(tmp_path: Path) -> None:
    base = V1.replace(
        '{name: refunds, expr: "failures == `0`"}',
        f'{{name: refunds, expr: "failures == `0`", enforcement: {{schedule: '
        f"[{{from: {_day(-3)}, mode: soft}}, {{from: {_day(5)}, mode: hard}}]}}}}",
    )
    later = base.replace(_day(5), _day(20))
    (tmp_path / "base.yml").write_text(base, encoding="utf-8")
    (tmp_path / "later.yml").write_text(later, encoding="utf-8")
    done = run_gate(["diff", "base.yml", "later.yml"], cwd=tmp_path, env=clean_env(token=None))
    assert done.code == 1, done.describe()
    assert _line(done.stdout, "assertions.refunds.enforcement") == "loosens"
    # And the other way round it tightens.
    done = run_gate(["diff", "later.yml", "base.yml"], cwd=tmp_path, env=clean_env(token=None))
    assert done.code == 0, done.describe()
    assert _line(done.stdout, "assertions.refunds.enforcement") == "tightens"
