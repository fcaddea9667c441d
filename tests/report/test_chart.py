"""The mermaid chart block: exact text, hostile keys, runs, baselines, the category cap."""

from __future__ import annotations

from dataclasses import replace

from gate_runner.report.chart import MAX_CATEGORIES, chart_block

from .fixtures import HOSTILE, error_passed, hard_fail, passing
from .test_html import _repeated


def test_failing_campaign_against_its_baseline() -> None:
    assert chart_block(hard_fail(), baseline=passing()) == (
        "_Bars: each campaign's pass rate; first line: its bar (min_pass_rate);"
        " second line: the baseline._\n"
        "\n"
        "```mermaid\n"
        "xychart-beta\n"
        '    title "Pass rate against the bar"\n'
        '    x-axis ["core-reliability"]\n'
        '    y-axis "pass rate" 0 --> 1\n'
        "    bar [0.72]\n"
        "    line [0.85]\n"
        "    line [0.97]\n"
        "```\n"
    )


def test_each_run_of_a_repeated_campaign_is_a_category() -> None:
    block = chart_block(_repeated())
    assert (
        '    x-axis ["core-reliability", "core-reliability run 1", "core-reliability run 2",'
        ' "core-reliability run 3"]\n'
    ) in block
    assert "    bar [0.72, 0.7, 0.74, 0.81]\n    line [0.85, 0.85, 0.85, 0.85]\n```" in block
    assert block.startswith("_Bars: each campaign's pass rate and each of its runs;")


def test_no_pass_rate_no_chart() -> None:
    assert chart_block(error_passed()) == ""


def test_a_baseline_missing_for_one_campaign_draws_no_baseline_line() -> None:
    other = replace(hard_fail().campaigns[0], key="new-campaign")
    verdict = replace(hard_fail(), campaigns=(*hard_fail().campaigns, other))
    block = chart_block(verdict, baseline=passing())
    assert block.count("    line [") == 1
    assert "second line" not in block


def test_hostile_keys_stay_inside_their_quotes() -> None:
    key = f'a"] ```\nbar [1]\n%%{{init: {{}}}}%% <script>{HOSTILE}'
    two = (replace(hard_fail().campaigns[0], key=key), replace(hard_fail().campaigns[0], key=key))
    block = chart_block(replace(hard_fail(), campaigns=two))
    body = block.split("```mermaid\n", 1)[1]
    assert body.count("```") == 1 and body.endswith("```\n")
    assert len(body.splitlines()) == 7  # no line smuggled in
    axis = next(line for line in body.splitlines() if "x-axis" in line)
    assert axis == '    x-axis ["a__ ____bar _1_____init: _..", "a__ ____bar _1_____init: _.. (2)"]'


def test_at_most_thirty_categories() -> None:
    many = tuple(replace(hard_fail().campaigns[0], key=f"c{i}") for i in range(40))
    block = chart_block(replace(hard_fail(), campaigns=many))
    assert block.count('"c') == MAX_CATEGORIES
    assert f"_First {MAX_CATEGORIES} of 40 shown._" in block
