"""The replay as text, JSON or Markdown: the same data in each (pure renderers)."""

from __future__ import annotations

import json
from typing import Any

from gate_runner.governance.replay import Replayed, ReplayReport
from gate_runner.safe_text import markdown, terminal

SHOWN_SKIPS = 10


def headline(report: ReplayReport) -> str:
    n = len(report.replayed)
    text = f"would have blocked {report.blocked} of the last {n} merge{'s' if n != 1 else ''}"
    return text + f" ({report.newly_blocked} newly, {report.unblocked} no longer)"


def to_data(report: ReplayReport) -> dict[str, Any]:
    return {
        "policy": report.policy,
        "today": report.today.isoformat(),
        "verdicts": len(report.replayed),
        "blocked": report.blocked,
        "newly_blocked": report.newly_blocked,
        "unblocked": report.unblocked,
        "flips": [
            {"from": before, "to": after, "campaigns": count}
            for (before, after), count in report.flip_counts().items()
        ],
        "changed": [_item(r) for r in report.changed()],
        "skipped": report.skipped,
    }


def render_json(report: ReplayReport) -> str:
    return json.dumps(to_data(report), indent=2, ensure_ascii=False) + "\n"


def render_text(report: ReplayReport) -> str:
    # Every name here (paths, repositories, keys, reasons) came from a file someone else wrote.
    lines = [
        f"replay of {terminal(report.policy)} as on {report.today.isoformat()}: {headline(report)}"
    ]
    flips = report.flip_counts()
    if flips:
        lines.append("flips: " + ", ".join(f"{b}→{a} {n}" for (b, a), n in flips.items()))
    for item in report.changed():
        lines.extend(f"  {_where(item)}  {row}" for row in _rows(item))
    lines += _skips(report)
    return "\n".join(lines) + "\n"


def render_markdown(report: ReplayReport) -> str:
    lines = [
        f"### Replay of {markdown(report.policy)} as on {report.today.isoformat()}",
        "",
        f"**{headline(report)}**",
        "",
    ]
    flips = report.flip_counts()
    if flips:
        lines += ["| flip | campaigns |", "| --- | ---: |"]
        lines += [f"| {b} → {a} | {n} |" for (b, a), n in flips.items()]
        lines.append("")
    changed = report.changed()
    if changed:
        lines += [
            "| repository | commit | campaign | before | after |",
            "| --- | --- | --- | --- | --- |",
        ]
        for item in changed:
            repo, commit = _cell(item.repository or "?"), _sha((item.commit or "?")[:12])
            for flip in item.flips or ():
                lines.append(
                    f"| {repo} | {commit} | {_cell(flip.key)} | {_cell(flip.before)} | "
                    f"{_cell(flip.after)}{' (blocks)' if flip.blocking else ''} |"
                )
            if not item.flips:
                lines.append(
                    f"| {repo} | {commit} | (gate) | {_gate(item.before)} | {_gate(item.after)} |"
                )
        lines.append("")
    lines += [f"- skipped {_cell(s, 1000)}" for s in _skipped(report)]
    return "\n".join(lines).rstrip("\n") + "\n"


def _item(item: Replayed) -> dict[str, Any]:
    return {
        "source": item.source,
        "repository": item.repository,
        "commit": item.commit,
        "started_at": item.started_at,
        "before": {"outcome": item.before[0], "blocking": item.before[1]},
        "after": {"outcome": item.after[0], "blocking": item.after[1]},
        "campaigns": [
            {"key": f.key, "before": f.before, "after": f.after, "blocking": f.blocking}
            for f in item.flips
        ],
    }


def _where(item: Replayed) -> str:
    return terminal(f"{item.repository or '?'}@{(item.commit or '?')[:12]}")


def _rows(item: Replayed) -> list[str]:
    rows = [
        terminal(f"{f.key}: {f.before}→{f.after}") + (" (blocks)" if f.blocking else "")
        for f in item.flips
    ]
    return rows or [terminal(f"gate: {_gate(item.before)}→{_gate(item.after)}")]


def _gate(state: tuple[str, bool]) -> str:
    return f"{state[0]}{', blocking' if state[1] else ''}"


def _skipped(report: ReplayReport) -> list[str]:
    shown = report.skipped[:SHOWN_SKIPS]
    more = len(report.skipped) - len(shown)
    return shown + ([f"... and {more} more"] if more > 0 else [])


def _skips(report: ReplayReport) -> list[str]:
    return [f"skipped {terminal(s)}" for s in _skipped(report)]


def _cell(text: str, limit: int = 300) -> str:
    return markdown(text, limit)


def _sha(text: str) -> str:
    """A hex sha as code; anything a forged verdict put there as escaped text."""
    return f"`{text}`" if text.isalnum() and text.isascii() else markdown(text)
