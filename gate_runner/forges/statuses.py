"""What gate-runner tells a forge: one status per campaign and one for the gate (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gate_runner.report.reported_findings import (
    dashboard_url,
    finding_location,
    findings,
    fingerprint,
    severity,
    value_text,
)
from gate_runner.safe_text import markdown as _cell
from gate_runner.safe_text import one_line
from gate_runner.verdict import CampaignResult, Verdict

# GitHub's check-run conclusions are the richest vocabulary; every other forge maps from it.
Conclusion = Literal["success", "failure", "neutral", "action_required"]
AnnotationLevel = Literal["failure", "warning", "notice"]

GATE_NAME = "gate-runner"
SUMMARY_LIMIT = 65_535  # GitHub check-run output.summary
_LEVELS: dict[str, AnnotationLevel] = {
    "high": "failure",
    "medium": "warning",
    "low": "notice",
    "info": "notice",
}


@dataclass(frozen=True)
class Annotation:
    """A finding at a policy line; `key` is stable across runs (campaign + check)."""

    path: str
    line: int
    level: AnnotationLevel
    title: str
    message: str
    key: str


@dataclass(frozen=True)
class Status:
    name: str  # "gate-runner / <campaign key>" or "gate-runner"
    campaign: str | None  # the campaign key; None for the gate
    conclusion: Conclusion
    title: str  # one line
    description: str  # one short line (commit statuses keep 140 characters)
    summary: str  # Markdown
    details_url: str | None
    annotations: tuple[Annotation, ...] = ()


def status_name(campaign_key: str) -> str:
    return f"{GATE_NAME} / {campaign_key}"


def statuses(verdict: Verdict) -> list[Status]:
    """One status per campaign, then the gate's (the one branch protection usually requires)."""
    return [_campaign_status(verdict, c) for c in verdict.campaigns] + [_gate_status(verdict)]


def campaign_conclusion(campaign: CampaignResult) -> Conclusion:
    if campaign.outcome == "pass":
        return "success"
    if campaign.enforcement.mode == "observe":
        return "neutral"  # observe never holds anything up
    if campaign.blocking:
        return "failure"
    counted = (
        campaign.outcome == "fail"
        or (campaign.outcome == "inconclusive" and campaign.inconclusive_policy in (None, "fail"))
        or (campaign.outcome == "error" and campaign.error_policy != "pass")
    )
    if campaign.enforcement.mode == "soft" and counted:
        return "action_required"  # soft: "review required"
    return "neutral"  # warn-level findings, or an error the policy lets pass


def gate_conclusion(verdict: Verdict) -> Conclusion:
    if verdict.blocking:
        # Held only for a policy owner's approval (gate.policy_changes: review): a person acts.
        awaiting = (verdict.policy_changes or {}).get("review_required") is True
        if awaiting and not any(c.blocking for c in verdict.campaigns):
            return "action_required"
        return "failure"
    conclusions = {campaign_conclusion(c) for c in verdict.campaigns}
    if "failure" in conclusions:
        # A campaign blocks although the gate does not (cannot happen today): say so.
        return "failure"
    if "action_required" in conclusions:
        return "action_required"
    if verdict.outcome == "pass":
        return "success"
    return "neutral"


def _describe(outcome: str, conclusion: Conclusion, mode: str) -> str:
    effect = {
        "success": "passes",
        "failure": "blocks the merge",
        "action_required": "review required",
        "neutral": "does not block",
    }[conclusion]
    return f"{outcome} — {effect} ({mode})"


def _campaign_status(verdict: Verdict, campaign: CampaignResult) -> Status:
    conclusion = campaign_conclusion(campaign)
    title = _describe(campaign.outcome, conclusion, campaign.enforcement.mode)
    failing = [c.id for c in findings(campaign) if c.status in ("fail", "error", "inconclusive")]
    description = title + (f": {', '.join(failing)}" if failing else "")
    return Status(
        name=status_name(campaign.key),
        campaign=campaign.key,
        conclusion=conclusion,
        title=one_line(title, 200),
        description=one_line(description, 140),
        summary=_campaign_summary(verdict, campaign),
        details_url=dashboard_url(campaign) or _http(verdict.ci.build_url),
        annotations=_annotations(verdict, campaign),
    )


def _gate_status(verdict: Verdict) -> Status:
    conclusion = gate_conclusion(verdict)
    title = _describe(verdict.outcome, conclusion, verdict.enforcement.mode)
    return Status(
        name=GATE_NAME,
        campaign=None,
        conclusion=conclusion,
        title=one_line(title, 200),
        description=one_line(f"{title}: {verdict.summary}", 140),
        summary=_gate_summary(verdict),
        details_url=_http(verdict.ci.build_url),
    )


def _http(url: str | None) -> str | None:
    if url and url.startswith(("https://", "http://")) and one_line(url, 2000) == url:
        return url
    return None


def _annotations(verdict: Verdict, campaign: CampaignResult) -> tuple[Annotation, ...]:
    result = []
    for check in findings(campaign):
        if check.status == "waived":
            continue
        where = finding_location(verdict, campaign, check)
        result.append(
            Annotation(
                path=where.path,
                line=where.line,
                level=_LEVELS[severity(campaign, check)],
                title=one_line(f"{campaign.key}: {check.id}", 255),
                message=one_line(
                    f"{check.message} (expected {value_text(check.expected)}, "
                    f"actual {value_text(check.actual)})",
                    1000,
                ),
                key=fingerprint(campaign.key, check.id),
            )
        )
    return tuple(result)


def _campaign_summary(verdict: Verdict, campaign: CampaignResult) -> str:
    lines = [
        f"**{_cell(campaign.outcome)}** · mode `{_cell(campaign.enforcement.mode)}` · "
        + ("blocks the merge" if campaign.blocking else "does not block"),
        "",
    ]
    if campaign.error is not None:
        lines += [
            f"No decision ({_cell(campaign.error.kind)}): {_cell(campaign.error.message)}",
            "",
        ]
    checks = [c for c in campaign.checks if c.status != "pass"]
    if checks:
        lines += [
            "| Check | Status | Expected | Actual | Policy line |",
            "| --- | --- | --- | --- | --- |",
        ]
        for check in checks:
            where = finding_location(verdict, campaign, check)
            lines.append(
                f"| {_cell(check.id)} | {_cell(check.status)} | {_cell(value_text(check.expected))}"
                f" | {_cell(value_text(check.actual))} | {_cell(f'{where.path}:{where.line}')} |"
            )
    return _fit("\n".join(lines) + "\n")


def _gate_summary(verdict: Verdict) -> str:
    lines = [_cell(verdict.summary, 1000), ""]
    if verdict.error is not None:
        lines += [f"No decision ({_cell(verdict.error.kind)}): {_cell(verdict.error.message)}", ""]
    if verdict.campaigns:
        lines += ["| Status | Outcome | Mode | Blocking |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {_cell(status_name(c.key))} | {_cell(c.outcome)} | {_cell(c.enforcement.mode)}"
            f" | {'yes' if c.blocking else 'no'} |"
            for c in verdict.campaigns
        ]
    return _fit("\n".join(lines) + "\n")


def _fit(text: str) -> str:
    if len(text) <= SUMMARY_LIMIT:
        return text
    note = "\n\n_Truncated: the full report is in the build log._\n"
    return text[: SUMMARY_LIMIT - len(note)].rsplit("\n", 1)[0] + note
