"""The `markdown` report: the sticky PR/MR comment body (and the GitHub step summary)."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from gate_runner.report.chart import chart_block
from gate_runner.report.reported_findings import (
    check_details,
    dashboard_url,
    finding_location,
    findings,
    gate_spend,
    interruption,
    is_note,
    repeats,
    reused_from,
    top_failing_tools,
    value_text,
)
from gate_runner.safe_text import markdown as cell
from gate_runner.verdict import CampaignResult, Verdict

MARKER = "<!-- gate-runner:verdict -->"
COMMENT_LIMIT = 65_536
_ICONS = {
    "pass": "✅",
    "fail": "❌",
    "warn": "⚠️",
    "error": "💥",
    "waived": "💤",
    "inconclusive": "❔",
}


def render(verdict: Verdict) -> str:
    return document(verdict, limit=COMMENT_LIMIT, marker=True)


def document(
    verdict: Verdict,
    *,
    limit: int,
    marker: bool,
    measure: Callable[[str], int] = len,
) -> str:
    """The Markdown, cut to fit `limit` (as `measure` counts) with a note saying so."""
    head = _head(verdict, marker)
    sections = [
        _section(verdict, c)
        for c in verdict.campaigns
        if findings(c) or c.error or c.flaky or c.aggregate is not None
    ]
    chart = chart_block(verdict)
    if chart:
        # First of the sections: kept whole (or left out whole) when the comment is cut.
        sections.insert(0, chart)
    tail = _tail(verdict)
    full = "\n".join([head, *sections, tail])
    if measure(full) <= limit:
        return full
    where = (
        f" See the full report in the build log: {_link(verdict.ci.build_url)}."
        if (verdict.ci.build_url and _link(verdict.ci.build_url))
        else " See the full report in the build log."
    )
    note = f"\n> **Truncated**: this report is longer than the comment limit.{where}\n"
    # Each piece is measured once: `measure` (characters or UTF-8 bytes) adds up over a join,
    # so thousands of campaigns cost a sum, not a re-measure of the whole text per campaign.
    budget = limit - measure(note) - 1  # the note, and the newline that joins it
    used = measure(head)
    kept = [head]
    for section in sections:
        size = measure(section) + 1
        if used + size > budget:
            break
        kept.append(section)
        used += size
    if used <= budget:
        return "\n".join([*kept, note])
    # Even the overview is too long (thousands of campaigns): keep its first whole lines.
    lines = head.split("\n")
    used = measure(lines[0])
    count = 1
    while count < len(lines) and used + measure(lines[count]) + 1 <= budget:
        used += measure(lines[count]) + 1
        count += 1
    return "\n".join([*lines[:count], note]) if used <= budget else note.lstrip("\n")


def _link(url: str | None) -> str | None:
    if not url or not re.match(r"^https?://[^\s<>\"'`]+$", url):
        return None
    return quote(url, safe=":/?#@!$&'*+,;=%-._~[]")


def _head(verdict: Verdict, marker: bool) -> str:
    icon = _ICONS[verdict.outcome]
    state = "blocks the merge" if verdict.blocking else "does not block"
    gate = verdict.enforcement
    lines = [MARKER] if marker else []
    lines += [
        f"## {icon} gate-runner: {verdict.outcome} — {state}",
        "",
        cell(verdict.summary, 1000),
        "",
        f"**Mode:** `{gate.mode}` ({gate.source}: {cell(gate.reason)})"
        f" · exit code {verdict.exit_code}",
    ]
    if verdict.error is not None:
        lines += [
            "",
            f"**No decision** ({cell(verdict.error.kind)}): {cell(verdict.error.message, 1000)}",
        ]
        problems = verdict.error.diagnostics
        if problems:
            lines += [""] + [
                f"- {cell(f'{p.location.path}:{p.location.line}:{p.location.column}')}:"
                f" {cell(p.message, 1000)}"
                for p in problems
            ]
    if verdict.interrupted:
        lines += ["", f"**Interrupted**: {interruption(verdict)}."]
    if verdict.campaigns:
        lines += [
            "",
            "| Campaign | Outcome | Mode | Failing checks | Top failing tools | Dashboard |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        lines += [_row(c) for c in verdict.campaigns]
    return "\n".join(lines) + "\n"


def _row(campaign: CampaignResult) -> str:
    failing = [c.id for c in findings(campaign) if c.status in ("fail", "error", "inconclusive")]
    tools = ", ".join(f"{t.tool} ({t.count})" for t in top_failing_tools(campaign, 3))
    url = _link(dashboard_url(campaign))
    mode = f"{campaign.enforcement.mode}{' (blocking)' if campaign.blocking else ''}"
    return (
        "| "
        + " | ".join(
            [
                cell(campaign.key),
                f"{_ICONS[campaign.outcome]} {campaign.outcome}"
                + (" (flaky)" if campaign.flaky else "")
                + (f" · {cell(reused)}" if (reused := reused_from(campaign)) else ""),
                mode,
                cell(", ".join(failing)) if failing else "—",
                cell(tools) if tools else "—",
                f"[open]({url})" if url else "—",
            ]
        )
        + " |"
    )


def _section(verdict: Verdict, campaign: CampaignResult) -> str:
    lines = [f"### {_ICONS[campaign.outcome]} {cell(campaign.key)}", ""]
    story = repeats(campaign)
    if story:
        lines += [*(f"{cell(line, 600)}  " for line in story), ""]
    if campaign.error is not None:
        lines += [
            f"No decision ({cell(campaign.error.kind)}): {cell(campaign.error.message, 1000)}",
            "",
        ]
    checks = findings(campaign)
    if checks:
        lines += [
            "| Check | Status | Expected | Actual | Policy line | Details |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for check in checks:
            where = finding_location(verdict, campaign, check)
            details = check_details(campaign, check)
            lines.append(
                "| "
                + " | ".join(
                    [
                        cell(check.id),
                        "ℹ️ note" if is_note(check) else f"{_ICONS[check.status]} {check.status}",
                        cell(value_text(check.expected)),
                        cell(value_text(check.actual)),
                        cell(f"{where.path}:{where.line}"),
                        cell(" — ".join(details), 600),
                    ]
                )
                + " |"
            )
    return "\n".join(lines) + "\n"


def _tail(verdict: Verdict) -> str:
    lines: list[str] = []
    spent = gate_spend(verdict)
    if spent is not None:
        lines += [cell(spent, 1000), ""]
    if verdict.notes:
        lines += ["**Notes**", ""] + [f"- {cell(note, 1000)}" for note in verdict.notes] + [""]
    ci = verdict.ci
    facts = [f"policy {cell(verdict.policy.path)}", f"digest {cell(verdict.policy.digest[:19])}"]
    if verdict.policies:  # several policies merged: name them all
        facts[0] = "policies " + ", ".join(cell(p.path) for p in verdict.policies)
    if ci.commit:
        facts.append(f"commit {cell(ci.commit[:12])}")
    build = _link(ci.build_url)
    if build:
        facts.append(f"[build]({build})")
    lines.append("<sub>" + " · ".join(facts) + "</sub>")
    return "\n".join(lines) + "\n"
