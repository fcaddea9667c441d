"""A mermaid `xychart-beta` of each campaign's pass rate against its bar, for the sticky comment.

GitHub and GitLab render mermaid blocks natively. Syntax: https://mermaid.js.org/syntax/xyChart
(one `x-axis` of quoted categories, a `y-axis` range, then `bar [...]` and `line [...]` series,
one number per category). Mermaid draws every bar series at the same x, so the chart has one
bar series (the rates) and lines for the bar and the baseline; xychart has no legend, so the
sentence above the block says which is which.
"""

from __future__ import annotations

import re

from gate_runner.report.pass_rates import PassRate, pass_rates
from gate_runner.verdict import Verdict

MAX_CATEGORIES = 30
_LABEL_LIMIT = 28
# Characters a quoted mermaid string holds as plain text on every renderer; the rest become "_".
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._:/+()-]")


def chart_block(verdict: Verdict, baseline: Verdict | None = None) -> str:
    """The caption and the fenced ```mermaid block; "" when no campaign has a pass rate."""
    labels: list[str] = []
    rates: list[float] = []
    bars: list[float] = []
    befores: list[float | None] = []
    repeated = False
    for rate in pass_rates(verdict, baseline):
        repeated = repeated or bool(rate.runs)
        for label, value in _points(rate):
            labels.append(label)
            rates.append(value)
            # No min_pass_rate means nothing is required: the bar line sits at 0.
            bars.append(rate.bar if rate.bar is not None else 0.0)
            befores.append(rate.baseline)
    if not labels:
        return ""
    shown = min(len(labels), MAX_CATEGORIES)
    with_baseline = all(b is not None for b in befores[:shown])
    lines = [
        "xychart-beta",
        '    title "Pass rate against the bar"',
        "    x-axis [" + ", ".join(f'"{name}"' for name in _unique(labels[:shown])) + "]",
        '    y-axis "pass rate" 0 --> 1',
        "    bar [" + _numbers(rates[:shown]) + "]",
        "    line [" + _numbers(bars[:shown]) + "]",
    ]
    if with_baseline:
        lines.append("    line [" + _numbers([b or 0.0 for b in befores[:shown]]) + "]")
    caption = (
        "_Bars: each campaign's pass rate"
        + (" and each of its runs" if repeated else "")
        + "; first line: its bar (min_pass_rate)"
        + ("; second line: the baseline" if with_baseline else "")
        + "._"
    )
    if shown < len(labels):
        caption += f" _First {shown} of {len(labels)} shown._"
    return caption + "\n\n```mermaid\n" + "\n".join(lines) + "\n```\n"


def _points(rate: PassRate) -> list[tuple[str, float]]:
    name = _label(rate.key)
    points = [(name, rate.value)] if rate.value is not None else []
    points += [(f"{name} run {index}", run) for index, run in enumerate(rate.runs, 1)]
    return points


def _label(key: str) -> str:
    text = _UNSAFE.sub("_", key).strip() or "_"
    return text if len(text) <= _LABEL_LIMIT else text[: _LABEL_LIMIT - 2] + ".."


def _unique(labels: list[str]) -> list[str]:
    # Cleaning and cutting can make two keys alike; a category must name one point.
    taken: set[str] = set()
    result = []
    for label in labels:
        candidate, count = label, 1
        while candidate in taken:
            count += 1
            candidate = f"{label} ({count})"
        taken.add(candidate)
        result.append(candidate)
    return result


def _numbers(values: list[float]) -> str:
    # The y-axis is 0..1; a rate outside it (bad payload) is drawn at the edge.
    return ", ".join(f"{round(min(max(v, 0.0), 1.0), 4):g}" for v in values)
