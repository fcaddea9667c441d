"""The `sarif` report: SARIF 2.1.0 for GitHub code scanning, results on the policy's lines."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from gate_runner.report.reported_findings import (
    GateFinding,
    check_details,
    dashboard_url,
    finding_location,
    findings,
    fingerprint,
    gate_error_findings,
    gate_spend,
    reused_from,
    severity,
)
from gate_runner.safe_text import one_line
from gate_runner.verdict import CampaignResult, Check, Verdict

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/sepurux/gate-runner"
# One section per check kind, its heading the kind itself, so each anchor stays put.
HELP_URI = f"{INFORMATION_URI}/blob/main/docs/checks.md"
_LEVELS = {"high": "error", "medium": "warning", "low": "note", "info": "note"}
_KIND_TEXT = {
    "decision": "The Sepurux service's own decision",
    "threshold": "A reliability threshold of the policy",
    "assertion": "A JMESPath assertion of the policy",
    "run": "The campaign run reached a decision",
    "policy": "The policy was not loosened against the base branch, nor below its floor",
    "failures": "No tool fails that did not fail at the baseline",
}
# A rule's `name` is a readable identifier that must differ from its opaque `id`
# (sarif-multitool's SARIF1001, compared ignoring case): the checks of fixed id (three of
# them named as their id) say what they require; the others are their kind and name.
_FIXED_NAMES = {
    "decision": "ServiceDecision",
    "run": "RunReachedDecision",
    "flaky": "RunsAgree",
    "policy:changes": "PolicyNotLoosened",
    "policy:floor": "PolicyMeetsFloor",
    "failures:baseline": "NoNewFailingTools",
}


def render(verdict: Verdict) -> str:
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for campaign in verdict.campaigns:
        for check in findings(campaign):
            rule_id = one_line(check.id, 200)
            if rule_id not in rules:
                rules[rule_id] = _rule(rule_id, check)
            results.append(_result(verdict, campaign, check, rule_id, list(rules).index(rule_id)))
    for found in gate_error_findings(verdict):
        rules.setdefault("run", _rule("run", None))
        results.append(_gate_error(found, list(rules).index("run")))
    driver: dict[str, Any] = {
        "name": "gate-runner",
        "informationUri": INFORMATION_URI,
        "rules": list(rules.values()),
    }
    version = verdict.tool.get("version") or ""
    if version:
        driver["version"] = version
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        # One category per policy file, so several gates on one commit don't replace each other.
        "automationDetails": {"id": f"gate-runner/{one_line(verdict.policy.path, 200)}/"},
        "results": results,
    }
    spent = gate_spend(verdict)
    if spent is not None:
        run["properties"] = {"spent": spent}
    document = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _rule(rule_id: str, check: Check | None) -> dict[str, Any]:
    kind = check.kind if check else "run"
    name = one_line(check.name, 200) if check else "run"
    about = _KIND_TEXT.get(kind, "A gate-runner check")
    return {
        "id": rule_id,
        "name": rule_name(rule_id, kind, name),
        "shortDescription": {"text": f"gate-runner {kind} {name}"},
        "fullDescription": {"text": f"{about}: {name}."},
        "help": {
            "text": "Fix the agent, or change the policy line this result points at. "
            "See the campaign's dashboard for the failing traces."
        },
        "helpUri": f"{HELP_URI}#{kind}",
        "defaultConfiguration": {
            "level": "error" if (check is None or check.level == "error") else "warning"
        },
        "properties": {"tags": ["gate-runner", kind]},
    }


def rule_name(rule_id: str, kind: str, name: str) -> str:
    """A PascalCase name (SARIF's convention for a rule's friendly name), never its id."""
    fixed = _FIXED_NAMES.get(rule_id)
    if fixed:
        return fixed
    words = _pascal(name)
    readable = words if words.startswith(_pascal(kind)) else _pascal(kind) + words
    if readable.casefold() == rule_id.casefold():
        readable = "GateRunner" + readable
    return readable


def _pascal(text: str) -> str:
    parts = "".join(c if c.isalnum() else " " for c in text).split()
    return "".join(part[:1].upper() + part[1:] for part in parts)


def _result(
    verdict: Verdict, campaign: CampaignResult, check: Check, rule_id: str, index: int
) -> dict[str, Any]:
    where = finding_location(verdict, campaign, check)
    key = one_line(campaign.key, 200)
    text = f"{key}: " + " — ".join(check_details(campaign, check))
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": index,
        "level": _LEVELS[severity(campaign, check)],
        "message": {"text": text},
        "locations": [_location(where.path, where.line, where.column)],
        "partialFingerprints": {"gateRunnerCheck/v1": fingerprint(campaign.key, check.id)},
        "properties": {
            "campaign": key,
            "status": check.status,
            "mode": check.mode or campaign.enforcement.mode,
        },
    }
    if campaign.flaky:
        result["properties"]["flaky"] = True
    url = dashboard_url(campaign)
    if url:
        result["properties"]["dashboard"] = url
    reused = reused_from(campaign)
    if reused is not None:
        result["properties"]["reused"] = reused
    if check.status == "waived" and check.waiver is not None:
        result["suppressions"] = [
            {"kind": "external", "justification": one_line(check.waiver.reason)}
        ]
    return result


def _gate_error(found: GateFinding, index: int) -> dict[str, Any]:
    where = found.where
    return {
        "ruleId": "run",
        "ruleIndex": index,
        "level": "error",
        "message": {"text": found.text},
        "locations": [_location(where.path, where.line, where.column)],
        "partialFingerprints": {"gateRunnerCheck/v1": found.fingerprint},
    }


def _location(path: str, line: int, column: int) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": quote(path, safe="/"), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": line, "startColumn": column},
        }
    }
