"""Mermaid `xychart-beta` charts of each campaign's pass rate against its bar, for the comment.

GitHub and GitLab render mermaid blocks natively. Syntax: https://mermaid.js.org/syntax/xyChart
(one `x-axis` of quoted categories, a `y-axis` range, then `bar [...]` and `line [...]` series,
one number per category; plots take the colours of `plotColorPalette` in order). xychart has
no legend and no label rotation, so the x labels are short ones (C1..Cn, C2.1 for run 1 of C2)
that a table under the charts maps to the campaigns, a chart holds at most PER_CHART of them
(more make several charts), and past MAX_CHARTED the table alone is shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gate_runner.report.pass_rates import PassRate, pass_rates
from gate_runner.safe_text import markdown
from gate_runner.verdict import Verdict

# Mermaid draws at 700 px: 12 slots of ~47 px keep labels like "C36.12" apart (measured in
# Chromium by tests/report/test_chart_mermaid.py).
PER_CHART = 12
# Three charts; past that a reader gets the table (a comment is no place for ten charts).
MAX_CHARTED = 3 * PER_CHART
# The table is cut here too: it comes first in the comment and is kept or dropped whole.
MAX_ROWS = 100
# Aggregate bars, run bars, the bar line, the baseline line: named in the caption.
_COLOURS = {"rate": "#0969da", "run": "#54aeff", "bar": "#cf222e", "baseline": "#8250df"}
# Zero-width spaces: two distinct, invisible categories that let a lone point's lines be drawn.
_PADS = ("\u200b", "\u200b\u200b")


@dataclass(frozen=True)
class _Point:
    label: str
    value: float
    run: bool  # one run of a repeated campaign, not the aggregate the gate judged
    bar: float
    baseline: float | None


def chart_block(verdict: Verdict, baseline: Verdict | None = None) -> str:
    """Caption, ```mermaid blocks and the table naming their labels; "" without a pass rate.

    Campaign keys are untrusted: they appear only in the table, through safe_text.markdown.
    """
    rates = [r for r in pass_rates(verdict, baseline) if r.value is not None or r.runs]
    if not rates:
        return ""
    labels = [f"C{index}" for index in range(1, len(rates) + 1)]
    points = [p for label, rate in zip(labels, rates, strict=True) for p in _points(label, rate)]
    if len(points) > MAX_CHARTED:
        caption = (
            f"_Pass rate against the bar: {len(points)} bars are too many to chart legibly,"
            " so here is the table._"
        )
        return caption + "\n\n" + _table(rates, None)
    repeated = any(p.run for p in points)
    count = math.ceil(len(points) / PER_CHART)
    size = math.ceil(len(points) / count)
    chunks = [points[start : start + size] for start in range(0, len(points), size)]
    # As before: a baseline missing for one campaign draws no baseline line at all.
    with_baseline = all(p.baseline is not None for p in points)
    charts = [
        _chart(chunk, index, count, repeated=repeated, with_baseline=with_baseline)
        for index, chunk in enumerate(chunks, 1)
    ]
    caption = (
        "_Pass rate against the bar. Blue bars: each campaign's pass rate"
        + ("; light blue bars (C1.1, C1.2, …): each of its runs" if repeated else "")
        + "; red line: its bar (min_pass_rate)"
        + ("; purple line: the baseline" if with_baseline else "")
        + ". C1, C2, … are the campaigns in the table below._"
    )
    return caption + "\n\n" + "".join(charts) + "\n" + _table(rates, labels)


def _points(label: str, rate: PassRate) -> list[_Point]:
    # No min_pass_rate means nothing is required: the bar line sits at 0.
    bar = rate.bar if rate.bar is not None else 0.0
    points = []
    if rate.value is not None:
        points.append(_Point(label, rate.value, False, bar, rate.baseline))
    points += [
        _Point(f"{label}.{index}", run, True, bar, rate.baseline)
        for index, run in enumerate(rate.runs, 1)
    ]
    return points


def _chart(
    points: list[_Point], index: int, count: int, *, repeated: bool, with_baseline: bool
) -> str:
    title = "Pass rate against the bar" + (f" ({index} of {count})" if count > 1 else "")
    names = [p.label for p in points]
    rates = [0.0 if p.run else p.value for p in points]
    runs = [p.value if p.run else 0.0 for p in points]
    bars = [p.bar for p in points]
    befores = [p.baseline for p in points]
    if len(points) == 1:
        # A line through one category is one point, which mermaid never draws: pad both sides.
        names = [_PADS[0], *names, _PADS[1]]
        rates, runs = [0.0, *rates, 0.0], [0.0, *runs, 0.0]
        bars, befores = bars * 3, befores * 3
    colours = [_COLOURS["rate"], *([_COLOURS["run"]] if repeated else []), _COLOURS["bar"]]
    lines = [
        "```mermaid",
        "---",
        "config:",
        "  themeVariables:",
        "    xyChart:",
        f'      plotColorPalette: "{", ".join([*colours, _COLOURS["baseline"]])}"',
        "---",
        "xychart-beta",
        f'    title "{title}"',
        "    x-axis [" + ", ".join(f'"{name}"' for name in names) + "]",
        '    y-axis "pass rate" 0 --> 1',
        "    bar [" + _numbers(rates) + "]",
    ]
    if repeated:
        # Drawn over the first series: a run's bar covers the aggregate series' zero there.
        lines.append("    bar [" + _numbers(runs) + "]")
    lines.append("    line [" + _numbers(bars) + "]")
    if with_baseline:
        lines.append("    line [" + _numbers([b or 0.0 for b in befores]) + "]")
    return "\n".join([*lines, "```", ""])


def _table(rates: list[PassRate], labels: list[str] | None) -> str:
    shown = rates[:MAX_ROWS]
    with_runs = any(r.runs for r in shown)
    with_baseline = any(r.baseline is not None for r in shown)
    head = [
        *(["Label"] if labels else []),
        "Campaign",
        "Pass rate",
        *(["Runs"] if with_runs else []),
        "Bar",
        *(["Baseline"] if with_baseline else []),
    ]
    rows = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for index, rate in enumerate(shown):
        row = [
            *([labels[index]] if labels else []),
            markdown(rate.key),
            _number(rate.value),
            *([", ".join(_number(v) for v in rate.runs) or "—"] if with_runs else []),
            _number(rate.bar),
            *([_number(rate.baseline)] if with_baseline else []),
        ]
        rows.append("| " + " | ".join(row) + " |")
    if len(rates) > MAX_ROWS:
        rows.append(f"\n_First {MAX_ROWS} of {len(rates)} campaigns shown._")
    return "\n".join(rows) + "\n"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def _numbers(values: list[float]) -> str:
    # The y-axis is 0..1; a rate outside it (bad payload) is drawn at the edge.
    return ", ".join(f"{round(min(max(v, 0.0), 1.0), 4):g}" for v in values)
