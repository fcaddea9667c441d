"""The `github` report: workflow-command annotations, step summary and step outputs."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from gate_runner.report import markdown
from gate_runner.report.reported_findings import (
    check_details,
    finding_location,
    findings,
    gate_error_findings,
    gate_spend,
    reused_from,
    reused_origin,
    severity,
)
from gate_runner.safe_text import clean, one_line
from gate_runner.verdict import Location, Verdict

ANNOTATIONS_PER_TYPE = 10
SUMMARY_LIMIT_BYTES = 1024 * 1024
_COMMANDS = {"high": "error", "medium": "warning", "low": "notice", "info": "notice"}


def escape_data(text: str) -> str:
    """A workflow command's message: no raw newline can start a new command line."""
    return clean(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(command: str, where: Location | None, title: str, message: str) -> str:
    props = []
    if where is not None:
        props += [
            f"file={escape_property(where.path)}",
            f"line={where.line}",
            f"col={where.column}",
        ]
    props.append(f"title={escape_property(one_line(title, 200))}")
    return f"::{command} {','.join(props)}::{escape_data(message)}"


def render(verdict: Verdict) -> str:
    """Annotations on the policy lines; at most ten per type, the rest summed up in the tenth."""
    pending: dict[str, list[str]] = {"error": [], "warning": [], "notice": []}
    for found in gate_error_findings(verdict):
        pending["error"].append(
            annotation("error", found.where, f"gate-runner: {found.title}", found.detail)
        )
    for campaign in verdict.campaigns:
        reused, origin = reused_from(campaign), reused_origin(campaign)
        if reused is not None and origin is not None:
            title = f"gate-runner: {one_line(campaign.key, 120)} {campaign.outcome}, not run"
            pending["notice"].append(
                annotation("notice", campaign.location, title, f"{reused}; {origin}")
            )
        for check in findings(campaign):
            command = _COMMANDS[severity(campaign, check)]
            title = f"gate-runner: {one_line(campaign.key, 120)} / {one_line(check.id, 120)}"
            body = "\n".join(check_details(campaign, check))
            where = finding_location(verdict, campaign, check)
            pending[command].append(annotation(command, where, title, body))
            waiver = check.waiver
            if waiver is not None and waiver.expired:
                spot = (
                    waiver.location
                    if waiver.location and "://" not in waiver.location.path
                    else where
                )
                pending["warning"].append(
                    annotation(
                        "warning",
                        spot,
                        "gate-runner: expired waiver",
                        f"the waiver for {one_line(campaign.key, 120)} / {one_line(check.id, 120)} "
                        f"expired on {one_line(waiver.until)} and no longer applies",
                    )
                )
    spent = gate_spend(verdict)
    if spent is not None:  # the gate's spend against gate.budget, beside the findings
        pending["notice"].append(annotation("notice", None, "gate-runner: budget", spent))
    lines: list[str] = []
    for command, items in pending.items():
        if len(items) <= ANNOTATIONS_PER_TYPE:
            lines += items
            continue
        keep = ANNOTATIONS_PER_TYPE - 1
        lines += items[:keep]
        rest = len(items) - keep
        lines.append(
            annotation(
                command,
                None,
                f"gate-runner: {rest} more",
                f"{rest} more {command} findings are not annotated (GitHub shows "
                f"{ANNOTATIONS_PER_TYPE} per type); see the step summary",
            )
        )
    return "".join(line + "\n" for line in lines)


def step_summary(verdict: Verdict, *, already: int = 0) -> str:
    """The step summary Markdown, cut so the file stays under GitHub's 1 MiB."""
    budget = max(SUMMARY_LIMIT_BYTES - already, 0)
    if budget < 1024:
        return ""
    return markdown.document(
        verdict, limit=budget, marker=False, measure=lambda s: len(s.encode("utf-8"))
    )


def step_outputs(
    verdict: Verdict,
    verdict_path: str,
    *,
    new_delimiter: Callable[[], str] = lambda: f"ghadelimiter_{uuid.uuid4()}",
) -> str:
    """`name<<DELIM` blocks with a fresh random delimiter each, so no value can end one early."""
    values = {
        "outcome": verdict.outcome,
        "blocking": "true" if verdict.blocking else "false",
        "exit-code": str(verdict.exit_code),
        "verdict-path": verdict_path,
    }
    out: list[str] = []
    for name, value in values.items():
        delimiter = new_delimiter()
        while delimiter in value:
            delimiter = new_delimiter()
        out.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(out)
