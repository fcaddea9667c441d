"""The `junit` report: a testsuite per campaign and a testcase per check."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from gate_runner.report.reported_findings import (
    check_details,
    dashboard_url,
    finding_location,
    repeats,
    reused_from,
    reused_origin,
    top_failing_tools,
)
from gate_runner.safe_text import clean, one_line
from gate_runner.verdict import CampaignResult, Check, Verdict


def render(verdict: Verdict) -> str:
    root = ET.Element("testsuites", name="gate-runner")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    suites = [_suite(verdict, c) for c in verdict.campaigns]
    if verdict.error is not None or (verdict.interrupted and not verdict.campaigns):
        suites.append(_gate_suite(verdict))
    for suite in suites:
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", _time(verdict.timings.duration_s))
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def _suite(verdict: Verdict, campaign: CampaignResult) -> ET.Element:
    name = _attr(campaign.key)
    suite = ET.Element("testsuite", name=name)
    tally = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for check in campaign.checks:
        case = ET.SubElement(suite, "testcase", classname=name, name=_attr(check.id), time="0")
        tally["tests"] += 1
        outcome = _outcome(campaign, check)
        if outcome is not None:
            tag, kind = outcome
            message = one_line(check.message) or check.status
            if tag == "skipped" and check.waiver is not None:
                message = (
                    f"waived until {one_line(check.waiver.until)}: {one_line(check.waiver.reason)}"
                )
            elif tag == "skipped" and check.status == "inconclusive":
                policy = campaign.inconclusive_policy
                message = f"inconclusive, not counted (on_inconclusive: {policy}): {message}"
            elif tag == "skipped":
                message = f"not counted (policy says pass): {message}"
            node = ET.SubElement(case, tag, message=message, type=kind)
            node.text = _details(verdict, campaign, check)
            tally[{"failure": "failures", "error": "errors", "skipped": "skipped"}[tag]] += 1
        elif check.status in ("warn", "fail"):
            out = ET.SubElement(case, "system-out")
            out.text = "warning: " + _details(verdict, campaign, check)
    out = ET.SubElement(suite, "system-out")
    out.text = _campaign_text(campaign)
    for key, value in tally.items():
        suite.set(key, str(value))
    suite.set("time", _time(campaign.duration_s or 0.0))
    return suite


def _outcome(campaign: CampaignResult, check: Check) -> tuple[str, str] | None:
    """The JUnit element for a check: failure for fail, error for error, skipped for waived.

    An inconclusive check is a failure when on_inconclusive makes it one (fail, the default)
    and skipped when it is `warn` or `pass`: JUnit has no third answer.
    """
    if check.status == "inconclusive":
        if check.level == "error" and campaign.inconclusive_policy in (None, "fail"):
            return "failure", "inconclusive"
        return "skipped", "inconclusive"
    if check.status == "waived":
        return "skipped", "waived"
    if check.status == "error":
        return (
            ("skipped", "error-passed")
            if campaign.error_policy == "pass"
            else ("error", f"{check.kind}-error")
        )
    if check.status == "fail" and check.level == "error":
        return "failure", check.kind
    return None


def _gate_suite(verdict: Verdict) -> ET.Element:
    suite = ET.Element(
        "testsuite", name="gate-runner", tests="1", failures="0", errors="1", skipped="0"
    )
    suite.set("time", _time(verdict.timings.duration_s))
    case = ET.SubElement(suite, "testcase", classname="gate-runner", name="gate", time="0")
    kind = verdict.error.kind if verdict.error else "interrupted"
    message = one_line(verdict.error.message) if verdict.error else "the job was interrupted"
    node = ET.SubElement(case, "error", message=message, type=_attr(kind))
    node.text = _text(f"{message}\npolicy: {verdict.policy.path}")
    return suite


def _details(verdict: Verdict, campaign: CampaignResult, check: Check) -> str:
    where = finding_location(verdict, campaign, check)
    lines = [*check_details(campaign, check), f"policy: {where.path}:{where.line}"]
    url = dashboard_url(campaign)
    if url:
        lines.append(f"dashboard: {url}")
    return _text("\n".join(lines))


def _campaign_text(campaign: CampaignResult) -> str:
    lines = [
        f"campaign: {one_line(campaign.campaign)}",
        f"outcome: {campaign.outcome} ({'blocking' if campaign.blocking else 'not blocking'})",
        f"mode: {campaign.enforcement.mode} ({campaign.enforcement.source})",
    ]
    if campaign.run_id:
        lines.append(f"run: {one_line(campaign.run_id)}")
    reused, origin = reused_from(campaign), reused_origin(campaign)
    if reused is not None and origin is not None:
        lines += [reused, origin]
    lines.extend(repeats(campaign))
    if campaign.error is not None:
        lines.append(
            f"no decision ({one_line(campaign.error.kind)}): {one_line(campaign.error.message)}"
        )
    tools = top_failing_tools(campaign)
    if tools:
        lines.append("top failing tools: " + ", ".join(f"{t.tool} ({t.count})" for t in tools))
    url = dashboard_url(campaign)
    if url:
        lines.append(f"dashboard: {url}")
    return _text("\n".join(lines))


def _attr(value: str) -> str:
    return one_line(value, 300)


def _text(value: str) -> str:
    return clean(value)


def _time(seconds: float) -> str:
    return f"{max(seconds, 0.0):.3f}"
