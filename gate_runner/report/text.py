"""The `text` report: the human summary a CI log or a terminal shows."""

from __future__ import annotations

from collections.abc import Callable

from gate_runner.report.reported_findings import (
    check_details,
    dashboard_url,
    finding_location,
    findings,
    gate_spend,
    interruption,
    is_note,
    mode_text,
    repeats,
    reused_from,
    reused_origin,
    top_failing_tools,
)
from gate_runner.safe_text import one_line
from gate_runner.verdict import CampaignResult, Problem, Verdict

_COLOURS = {
    "pass": "32",
    "fail": "31",
    "warn": "33",
    "error": "35",
    "waived": "36",
    "inconclusive": "34",
}
_Paint = Callable[[str, str], str]
_MARKS = {
    "pass": "ok",
    "fail": "FAIL",
    "warn": "warn",
    "error": "ERROR",
    "waived": "waived",
    "inconclusive": "INCONCLUSIVE",
}


def render(verdict: Verdict, *, color: bool = False, problems: bool = True) -> str:
    """The summary; colour only when the caller asks (a terminal that wants it).

    `problems=False` leaves out an invalid policy's diagnostics: the summary `check` prints
    by itself follows them on stderr, where they were printed as found.
    """

    def paint(word: str, status: str) -> str:
        return f"\x1b[{_COLOURS[status]}m{word}\x1b[0m" if color and status in _COLOURS else word

    gate = verdict.enforcement
    state = "blocking" if verdict.blocking else "not blocking"
    lines = [
        f"gate-runner: {paint(verdict.outcome.upper(), verdict.outcome)}"
        f" ({state}, exit {verdict.exit_code})",
        f"  {one_line(verdict.summary)}",
        f"  mode: {gate.mode} ({gate.source}: {one_line(gate.reason, 200)})",
    ]
    spent = gate_spend(verdict)
    if spent is not None:
        lines.append(f"  {spent}")
    if verdict.interrupted:
        lines.append(f"  interrupted: {interruption(verdict)}")
    if verdict.error is not None:
        lines.append(f"  error ({one_line(verdict.error.kind)}): {one_line(verdict.error.message)}")
        if problems:
            lines.extend(f"    {_problem(problem)}" for problem in verdict.error.diagnostics)
    for campaign in verdict.campaigns:
        lines.append("")
        lines.extend(_campaign(verdict, campaign, paint))
    if verdict.notes:
        lines.append("")
        lines.append("notes:")
        lines.extend(f"  - {one_line(note)}" for note in verdict.notes)
    return "\n".join(lines) + "\n"


def _problem(problem: Problem) -> str:
    where = problem.location
    return f"{one_line(where.path, 300)}:{where.line}:{where.column}: {one_line(problem.message)}"


def _campaign(verdict: Verdict, campaign: CampaignResult, paint: _Paint) -> list[str]:
    head = f"{paint(campaign.outcome.upper(), campaign.outcome)} {one_line(campaign.key, 200)}"
    if one_line(campaign.campaign, 200) != one_line(campaign.key, 200):
        head += f" (campaign {one_line(campaign.campaign, 200)})"
    extras = ["blocking" if campaign.blocking else "not blocking"]
    if campaign.enforcement != verdict.enforcement:
        # Only a campaign whose mode differs from the gate's says so: the header names the gate's.
        extras.insert(0, f"mode {mode_text(campaign)}")
    if campaign.run_id:
        extras.append(f"run {one_line(campaign.run_id, 80)}")
    if campaign.duration_s is not None:
        extras.append(f"{campaign.duration_s:.1f}s")
    reused = reused_from(campaign)
    if reused is not None:
        extras.append(reused)
    lines = [f"{head}: {', '.join(extras)}"]
    origin = reused_origin(campaign)
    if origin is not None:
        lines.append(f"  {origin}")
    lines.extend(f"  {line}" for line in repeats(campaign))
    if campaign.error is not None:
        lines.append(
            f"  no decision ({one_line(campaign.error.kind)}): {one_line(campaign.error.message)}"
        )
        if campaign.error_policy == "pass":
            lines.append("  the policy says pass for this error: it does not block")
    for check in findings(campaign):
        # Humans can follow a URL: show where the check is really declared.
        where = check.location or finding_location(verdict, campaign, check)
        status = paint("note" if is_note(check) else _MARKS[check.status], check.status)
        place = f"{one_line(where.path, 300)}:{where.line}"
        lines.append(f"  {status} {one_line(check.id, 200)} [{place}]")
        details = check_details(campaign, check)
        if campaign.error is not None and check.kind == "run":
            # The "no decision" line above already gave the message and what the policy says.
            details = details[1:2]
        lines.extend(f"      {line}" for line in details)
    tools = top_failing_tools(campaign)
    if tools:
        lines.append("  top failing tools: " + ", ".join(f"{t.tool} ({t.count})" for t in tools))
    url = dashboard_url(campaign)
    if url:
        lines.append(f"  dashboard: {url}")
    return lines
