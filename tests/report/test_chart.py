"""The mermaid chart block: exact text, short labels and their table, runs, splits, the cap."""

from __future__ import annotations

import re
from dataclasses import replace

from gate_runner.report.chart import MAX_CHARTED, MAX_ROWS, PER_CHART, chart_block
from gate_runner.safe_text import ZWJ
from gate_runner.safe_text import markdown as cell
from gate_runner.verdict import Verdict

from .fixtures import HOSTILE, error_passed, hard_fail, passing
from .test_html import _repeated


def _keys(*keys: str) -> Verdict:
    return replace(
        hard_fail(), campaigns=tuple(replace(hard_fail().campaigns[0], key=k) for k in keys)
    )


def _axes(block: str) -> list[str]:
    return re.findall(r"^    x-axis \[(.*)\]$", block, flags=re.M)


def test_failing_campaign_against_its_baseline() -> None:
    assert chart_block(hard_fail(), baseline=passing()) == (
        "_Pass rate against the bar. Blue bars: each campaign's pass rate; red line: its bar"
        " (min_pass_rate); purple line: the baseline. C1, C2, … are the campaigns in the table"
        " below._\n"
        "\n"
        "```mermaid\n"
        "---\n"
        "config:\n"
        "  themeVariables:\n"
        "    xyChart:\n"
        '      plotColorPalette: "#0969da, #cf222e, #8250df"\n'
        "---\n"
        "xychart-beta\n"
        '    title "Pass rate against the bar"\n'
        '    x-axis ["\u200b", "C1", "\u200b\u200b"]\n'
        '    y-axis "pass rate" 0 --> 1\n'
        "    bar [0, 0.72, 0]\n"
        "    line [0.85, 0.85, 0.85]\n"
        "    line [0.97, 0.97, 0.97]\n"
        "```\n"
        "\n"
        "| Label | Campaign | Pass rate | Bar | Baseline |\n"
        "| --- | --- | --- | --- | --- |\n"
        "| C1 | core-reliability | 0.72 | 0.85 | 0.97 |\n"
    )


def test_one_campaign_pads_the_axis_so_its_lines_have_two_ends() -> None:
    (axis,) = _axes(chart_block(hard_fail()))
    # Two distinct invisible categories: mermaid merges equal names into one.
    assert axis == '"\u200b", "C1", "\u200b\u200b"'


def test_runs_are_their_own_series_and_labels() -> None:
    block = chart_block(_repeated())
    assert _axes(block) == ['"C1", "C1.1", "C1.2", "C1.3"']
    # The aggregate in the first series, each run in the second (its own colour).
    assert "    bar [0.72, 0, 0, 0]\n    bar [0, 0.7, 0.74, 0.81]\n" in block
    assert "    line [0.85, 0.85, 0.85, 0.85]\n```" in block
    assert 'plotColorPalette: "#0969da, #54aeff, #cf222e, #8250df"' in block
    assert "light blue bars (C1.1, C1.2, …): each of its runs" in block
    assert "| C1 | core-reliability | 0.72 | 0.7, 0.74, 0.81 | 0.85 |\n" in block


def test_no_pass_rate_no_chart() -> None:
    assert chart_block(error_passed()) == ""


def test_a_baseline_missing_for_one_campaign_draws_no_baseline_line() -> None:
    other = replace(hard_fail().campaigns[0], key="new-campaign")
    verdict = replace(hard_fail(), campaigns=(*hard_fail().campaigns, other))
    block = chart_block(verdict, baseline=passing())
    assert block.count("    line [") == 1
    assert "purple line" not in block
    assert "| C2 | new-campaign | 0.72 | 0.85 | — |" in block


def test_names_sharing_a_long_prefix_get_labels_the_table_maps_back() -> None:
    keys = [f"agents/support/regression-suite-with-a-long-shared-prefix-{i}" for i in range(5)]
    block = chart_block(_keys(*keys))
    assert _axes(block) == ['"C1", "C2", "C3", "C4", "C5"']
    rows = re.findall(r"^\| (C\d+) \| ([^|]+) \|", block, flags=re.M)
    assert rows == [(f"C{i + 1}", key) for i, key in enumerate(keys)]


def test_hostile_keys_stay_in_the_escaped_table() -> None:
    key = f'a"] ```\nbar [1]\n%%{{init: {{}}}}%% <script>{HOSTILE}'
    block = chart_block(_keys(key, key))
    (chart,) = re.findall(r"```mermaid\n(.*?)```", block, flags=re.S)
    assert 'a"]' not in chart and "init: {}" not in chart and "<script>" not in chart
    assert _axes(block) == ['"C1", "C2"']
    assert block.count("```") == 2  # the one block opens and closes; the key adds none
    assert f"| C1 | {cell(key)} |" in block and f"| C2 | {cell(key)} |" in block


def test_many_campaigns_are_split_into_charts_of_per_chart_labels() -> None:
    block = chart_block(_keys(*(f"c{i}" for i in range(30))))
    axes = _axes(block)
    assert len(axes) == 3 and all(axis.count('"C') <= PER_CHART for axis in axes)
    assert '    title "Pass rate against the bar (2 of 3)"' in block
    assert ", ".join(axes).count('"C') == 30


def test_past_the_cap_a_table_and_no_chart() -> None:
    count = MAX_CHARTED + 1
    block = chart_block(_keys(*(f"c{i}" for i in range(count))))
    assert "```" not in block
    assert f"{count} bars are too many to chart legibly" in block
    assert block.count("\n| c") == count


def test_the_table_is_cut_at_max_rows() -> None:
    block = chart_block(_keys(*(f"c{i}" for i in range(MAX_ROWS + 5))))
    assert block.count("\n| c") == MAX_ROWS
    assert f"_First {MAX_ROWS} of {MAX_ROWS + 5} campaigns shown._" in block


def test_chart_table_pings_no_one_and_links_no_issue() -> None:
    # The chart's table is part of the PR comment: a key must not notify a team or link an issue.
    block = chart_block(_keys("@octo-org/reviewers fixes #12"))
    assert "@octo" not in block and "#12" not in block
    assert f"| C1 | @{ZWJ}octo-org/reviewers fixes #{ZWJ}12 |" in block
