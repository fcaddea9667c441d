"""Bitbucket Cloud: a Code Insights report per status, its annotations in batches of 100.

Docs: https://developer.atlassian.com/cloud/bitbucket/rest/api-group-reports/ (create or
update a report: PUT .../commit/{commit}/reports/{reportId}; bulk create annotations: POST
.../annotations, at most 100 a request) and
https://support.atlassian.com/bitbucket-cloud/docs/code-insights/ (inside Pipelines, call
http://api.bitbucket.org through the proxy at localhost:29418, which authenticates the step:
no token).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from gate_runner.forges.http import ForgeAPI, PublishError
from gate_runner.forges.statuses import Conclusion, Status
from gate_runner.report.reported_findings import fingerprint
from gate_runner.secrets import FORGE_TOKEN_VARIABLES, first_token
from gate_runner.verdict import CIContext

PIPELINES_PROXY = "http://localhost:29418"
PIPELINES_API = "http://api.bitbucket.org/2.0"  # plain http: the proxy adds the credentials
PUBLIC_API = "https://api.bitbucket.org/2.0"
ANNOTATIONS_PER_REQUEST = 100
DETAILS_LIMIT = 2000
_RESULT: dict[Conclusion, str] = {
    "success": "PASSED",
    "neutral": "PASSED",
    "action_required": "FAILED",
    "failure": "FAILED",
}
_SEVERITY = {"failure": "HIGH", "warning": "MEDIUM", "notice": "LOW"}
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_-]+")
TOKEN_VARIABLES = FORGE_TOKEN_VARIABLES["bitbucket"]


def publish(
    statuses: list[Status],
    ci: CIContext,
    env: Mapping[str, str],
    deadline: float | None = None,
    api: ForgeAPI | None = None,
    *,
    proxy: str = PIPELINES_PROXY,
) -> list[str]:
    repository = env.get("BITBUCKET_REPO_FULL_NAME") or ci.repository
    if not repository or "/" not in repository or not ci.commit:
        return ["statuses not published: the repository or commit is unknown"]
    if api is None:
        if env.get("BITBUCKET_BUILD_NUMBER"):
            api = ForgeAPI(PIPELINES_API, {}, proxy=proxy, deadline=deadline)
        else:
            token = first_token(env, TOKEN_VARIABLES)
            if not token:
                return [
                    "statuses not published: outside Bitbucket Pipelines set "
                    "BITBUCKET_ACCESS_TOKEN (repository:write)"
                ]
            api = ForgeAPI(PUBLIC_API, {"Authorization": f"Bearer {token}"}, deadline=deadline)
    workspace, slug = repository.split("/", 1)
    reports = (
        f"/repositories/{quote(workspace, safe='')}/{quote(slug, safe='')}"
        f"/commit/{quote(ci.commit, safe='')}/reports"
    )
    with api as session:
        for status in statuses:
            path = f"{reports}/{report_id(status)}"
            try:
                session.call("PUT", path, report_body(status))
                for batch in annotation_batches(status):
                    session.call("POST", f"{path}/annotations", batch)
            except PublishError as exc:
                return [f"report {status.name!r} not published: {exc}"]
    return []


def report_id(status: Status) -> str:
    """Unique per status and stable across runs, so a re-run replaces its report."""
    if status.campaign is None:
        return "gate-runner"
    readable = _UNSAFE_ID.sub("-", status.campaign).strip("-")[:40]
    return f"gate-runner-{readable}-{fingerprint(status.campaign, 'status')[:10]}"


def report_body(status: Status) -> dict[str, Any]:
    """A `report` of Bitbucket's OpenAPI description: `type` is its required discriminator,
    and each data value has the JSON type its data `type` names (an object for LINK)."""
    details = status.description
    if status.annotations:
        details += "\n" + "\n".join(f"{a.path}:{a.line} {a.title}" for a in status.annotations)
    data: list[dict[str, Any]] = [
        {"title": "Conclusion", "type": "TEXT", "value": status.conclusion},
        {"title": "Findings", "type": "NUMBER", "value": len(status.annotations)},
    ]
    body: dict[str, Any] = {
        "type": "report",
        "title": status.name,
        "details": details[:DETAILS_LIMIT],
        "report_type": "TEST",
        "reporter": "gate-runner",
        "result": _RESULT[status.conclusion],
        "data": data,
    }
    if status.details_url:
        body["link"] = status.details_url
        data.append(
            {
                "title": "Details",
                "type": "LINK",
                "value": {"text": status.name, "href": status.details_url},
            }
        )
    return body


def annotation_batches(status: Status) -> list[list[dict[str, Any]]]:
    items = [
        {
            "type": "report_annotation",
            "external_id": a.key[:50],
            "annotation_type": "BUG",
            "summary": a.title[:450],
            "details": a.message[:2000],
            "path": a.path,
            "line": max(a.line, 1),  # the description's minimum
            "severity": _SEVERITY[a.level],
            "result": "FAILED",
        }
        for a in status.annotations
    ]
    return [
        items[i : i + ANNOTATIONS_PER_REQUEST]
        for i in range(0, len(items), ANNOTATIONS_PER_REQUEST)
    ]
