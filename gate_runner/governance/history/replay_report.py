"""The replay as text, JSON or Markdown: the same data in each (pure renderers)."""

from __future__ import annotations

import json
from typing import Any

from gate_runner import indented_json
from gate_runner.governance.history.replay import ReplayReport, Totals
from gate_runner.governance.history.replay_judge import CheckFlip, Replayed
from gate_runner.safe_text import markdown, terminal

SHOWN_SKIPS = 10
VALUE_CHARS = 60  # a value or bar longer than this is cut in text and Markdown (JSON keeps it)


def headline(report: ReplayReport) -> str:
    totals = report.totals
    n = totals.verdicts
    text = f"would have blocked {totals.blocked} of the last {n} merge{'s' if n != 1 else ''}"
    text += f" ({totals.newly_blocked} newly, {totals.unblocked} no longer"
    if totals.invalid:
        text += f"; {totals.invalid} by a policy the candidate makes invalid"
    return text + ")"


def alone_line(report: ReplayReport) -> str | None:
    """The verdicts without their policy, counted apart; None when there are none."""
    totals = Totals.of(report.alone)
    if not totals.verdicts:
        return None
    n = totals.verdicts
    return (
        f"{n} verdict{'s' if n != 1 else ''} without their policy: judged by the candidate "
        f"alone, it would have blocked {totals.blocked} ({totals.newly_blocked} newly, "
        f"{totals.unblocked} no longer)"
    )


def replaces_line(report: ReplayReport) -> str | None:
    if report.replaces is None:
        return None
    used = sum(1 for r in report.replayed if r.basis == "rebuilt")
    line = f"in place of {report.replaces} in {used} verdict{'s' if used != 1 else ''}' policies"
    if report.untouched:
        line += f"; {report.untouched} judged by their own policy, which does not use it"
    return line


def to_data(report: ReplayReport, *, lazy: bool = False) -> dict[str, Any]:
    """The report's data; `lazy`: its changed verdicts as a map() that builds each entry as
    indented_json writes it (100,000 of them as dicts at once would be gigabytes)."""
    changed = map(_entry if lazy else _item, report.changed())
    totals = report.totals
    alone = Totals.of(report.alone)
    return {
        "policy": report.policy,
        "today": report.today.isoformat(),
        "replaces": report.replaces,
        "verdicts": totals.verdicts,
        "blocked": totals.blocked,
        "newly_blocked": totals.newly_blocked,
        "unblocked": totals.unblocked,
        "invalid": totals.invalid,
        "untouched": report.untouched,
        "flips": [
            {"from": before, "to": after, "campaigns": count}
            for (before, after), count in report.flip_counts().items()
        ],
        "changed": changed if lazy else list(changed),
        "repositories": [
            {"repository": name, **_totals(t), "flips": flips, "invalid": t.invalid}
            for name, (t, flips) in report.repositories().items()
        ],
        "without_policy": _totals(alone),
        "skipped": report.skipped,
    }


def render_json(report: ReplayReport) -> str:
    # indented_json: json.dumps(indent=2)'s bytes in half the time (an organisation's replay
    # writes ~6 KB a verdict).
    return indented_json.dumps(to_data(report, lazy=True)) + "\n"


# Where a changed verdict's entry sits in render_json's output: the report, then "changed".
CHANGED_DEPTH = 2


def json_entry(item: Replayed) -> indented_json.Encoded:
    """A changed verdict's entry as render_json writes it (replay writes it in its workers)."""
    return indented_json.dumps_at(_item(item), CHANGED_DEPTH)


def _entry(item: Replayed) -> dict[str, Any] | indented_json.Encoded:
    return _item(item) if item.json_entry is None else item.json_entry


def render_text(report: ReplayReport) -> str:
    # Every name here (paths, repositories, keys, reasons) came from a file someone else wrote.
    lines = [
        f"replay of {terminal(report.policy)} as on {report.today.isoformat()}: {headline(report)}"
    ]
    replaces = replaces_line(report)
    if replaces:
        lines.append(terminal(replaces))
    flips = report.flip_counts()
    if flips:
        lines.append("flips: " + ", ".join(f"{b}→{a} {n}" for (b, a), n in flips.items()))
    for item in report.changed():
        if item.basis != "candidate":
            lines += _text_rows(item)
    repositories = report.repositories()
    if len(repositories) > 1 or any(flips or t.invalid for t, flips in repositories.values()):
        lines.append("by repository:")
        lines += [
            terminal(f"  {name}: {_roll_up(t, flips)}") for name, (t, flips) in repositories.items()
        ]
    alone = alone_line(report)
    if alone:
        lines.append(alone)
        for item in report.changed():
            if item.basis == "candidate":
                lines += _text_rows(item)
    lines += _skips(report)
    return "\n".join(lines) + "\n"


def _text_rows(item: Replayed) -> list[str]:
    lines = []
    for row, checks in _rows(item):
        lines.append(f"  {_where(item)}  {row}")
        lines += [terminal(f"      {c.id}: {_state(c.before)} → {_state(c.after)}") for c in checks]
    lines += [terminal(f"      {b.location}: {b.message}") for b in item.invalid]
    return lines


def render_markdown(report: ReplayReport) -> str:
    lines = [
        f"### Replay of {markdown(report.policy)} as on {report.today.isoformat()}",
        "",
        f"**{headline(report)}**",
        "",
    ]
    replaces = replaces_line(report)
    if replaces:
        lines += [markdown(replaces, 1000), ""]
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
            if item.basis == "candidate":  # never mixed in silently with the rebuilt ones
                repo += " (candidate alone)"
            for flip in item.flips or ():
                lines.append(
                    f"| {repo} | {commit} | {_cell(flip.key)} | {_cell(flip.before)} | "
                    f"{_cell(flip.after)}{' (blocks)' if flip.blocking else ''} |"
                )
            if not item.flips or item.invalid:
                after = _gate(item.after) + (" (invalid policy)" if item.invalid else "")
                lines.append(f"| {repo} | {commit} | (gate) | {_gate(item.before)} | {after} |")
        lines.append("")
    checks = [(item, f, c) for item in changed for f in item.flips for c in f.checks]
    if checks:
        lines += [
            "| repository | commit | campaign | check | before | after |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {_cell(item.repository or '?')} | {_sha((item.commit or '?')[:12])} | "
            f"{_cell(flip.key)} | {_cell(check.id)} | {_cell(_state(check.before))} | "
            f"{_cell(_state(check.after))} |"
            for item, flip, check in checks
        ]
        lines.append("")
    breaches = [(item, b) for item in changed for b in item.invalid]
    if breaches:
        lines += [
            "| repository | commit | below the candidate floor | value | floor | at | floor at |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {_cell(item.repository or '?')} | {_sha((item.commit or '?')[:12])} | "
            f"{_cell(b.setting)} | {_cell(_value(b.value))} | {_cell(_value(b.floor_value))} | "
            f"{_cell(b.location)} | {_cell(b.floor_location)} |"
            for item, b in breaches
        ]
        lines.append("")
    repositories = report.repositories()
    if repositories:
        lines += [
            "| repository | merges | blocked | newly | no longer | flips | invalid |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {_cell(name)} | {t.verdicts} | {t.blocked} | {t.newly_blocked} | "
            f"{t.unblocked} | {flips} | {t.invalid} |"
            for name, (t, flips) in repositories.items()
        ]
        lines.append("")
    alone = alone_line(report)
    if alone:
        lines += [f"_{alone}_", ""]
    lines += [f"- skipped {_cell(s, 1000)}" for s in _skipped(report)]
    return "\n".join(lines).rstrip("\n") + "\n"


def _totals(totals: Totals) -> dict[str, int]:
    return {
        "verdicts": totals.verdicts,
        "blocked": totals.blocked,
        "newly_blocked": totals.newly_blocked,
        "unblocked": totals.unblocked,
    }


def _roll_up(totals: Totals, flips: int) -> str:
    text = (
        f"blocked {totals.blocked} of {totals.verdicts} ({totals.newly_blocked} newly, "
        f"{totals.unblocked} no longer), {flips} campaign flip{'s' if flips != 1 else ''}"
    )
    n = totals.invalid
    return text + (f", {n} invalid polic{'ies' if n != 1 else 'y'}" if n else "")


def _state(state: tuple[str, Any, Any] | None) -> str:
    if state is None:
        return "(none)"
    status, value, bar = state
    return f"{status} ({_value(value)}; bar {_value(bar)})"


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def _check(check: CheckFlip) -> dict[str, Any]:
    def side(state: tuple[str, Any, Any] | None) -> dict[str, Any] | None:
        return None if state is None else {"status": state[0], "value": state[1], "bar": state[2]}

    return {"id": check.id, "before": side(check.before), "after": side(check.after)}


def _item(item: Replayed) -> dict[str, Any]:
    return {
        "judged_by": "candidate alone" if item.basis == "candidate" else "own policy",
        "replaced": item.replaced,
        "source": item.source,
        "repository": item.repository,
        "commit": item.commit,
        "started_at": item.started_at,
        "before": {"outcome": item.before[0], "blocking": item.before[1]},
        "after": {"outcome": item.after[0], "blocking": item.after[1]},
        "invalid": [
            {
                "setting": b.setting,
                "value": b.value,
                "floor_value": b.floor_value,
                "location": b.location,
                "floor_location": b.floor_location,
                "message": b.message,
            }
            for b in item.invalid
        ],
        "campaigns": [
            {
                "key": f.key,
                "before": f.before,
                "after": f.after,
                "blocking": f.blocking,
                "blocking_before": f.blocked_before,
                "checks": [_check(c) for c in f.checks],
            }
            for f in item.flips
        ],
    }


def _where(item: Replayed) -> str:
    return terminal(f"{item.repository or '?'}@{(item.commit or '?')[:12]}")


def _rows(item: Replayed) -> list[tuple[str, tuple[CheckFlip, ...]]]:
    rows = [
        (terminal(f"{f.key}: {f.before}→{f.after}") + (" (blocks)" if f.blocking else ""), f.checks)
        for f in item.flips
    ]
    if item.invalid or not rows:
        gate = f"gate: {_gate(item.before)}→{_gate(item.after)}"
        if item.invalid:
            gate += " (its policy is invalid under the candidate)"
        rows.append((terminal(gate), ()))
    return rows


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
