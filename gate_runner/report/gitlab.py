"""The `gitlab` report: a GitLab Code Quality array, one entry per finding."""

from __future__ import annotations

import json
from typing import Any

from gate_runner.report._common import (
    check_details,
    finding_location,
    findings,
    fingerprint,
    gate_error_findings,
    severity,
)
from gate_runner.safe_text import one_line
from gate_runner.verdict import CampaignResult, Check, Verdict

_SEVERITIES = {"high": "critical", "medium": "major", "low": "minor", "info": "info"}


def render(verdict: Verdict) -> str:
    entries = [_entry(verdict, c, check) for c in verdict.campaigns for check in findings(c)]
    for found in gate_error_findings(verdict):
        entries.append(
            {
                "description": found.text,
                "check_name": "gate-runner/run",
                "fingerprint": found.fingerprint,
                "severity": "blocker" if verdict.blocking else "major",
                "location": {"path": found.where.path, "lines": {"begin": found.where.line}},
            }
        )
    # No BOM, one array: what artifacts:reports:codequality reads.
    return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"


def _entry(verdict: Verdict, campaign: CampaignResult, check: Check) -> dict[str, Any]:
    where = finding_location(verdict, campaign, check)
    details = check_details(campaign, check)
    return {
        "description": f"{one_line(campaign.key, 200)}: " + " — ".join(details),
        "check_name": f"gate-runner/{one_line(check.id, 200)}",
        "fingerprint": fingerprint(campaign.key, check.id),
        "severity": _SEVERITIES[severity(campaign, check)],
        "location": {"path": where.path, "lines": {"begin": where.line}},
    }
