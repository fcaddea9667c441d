"""GitHub: a check run per status (annotations in batches of 50), else commit statuses, else none.

Docs: https://docs.github.com/en/rest/checks/runs (create, update; 50 annotations a request)
and https://docs.github.com/en/rest/commits/statuses (the fallback a read-only fork token
may still lack). The API base is GITHUB_API_URL (GitHub Enterprise Server has its own).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from gate_runner.forges.github.api import repo_path, session, token
from gate_runner.forges.http import ForgeAPI, PublishError
from gate_runner.forges.statuses import Conclusion, Status
from gate_runner.verdict import CIContext

ANNOTATIONS_PER_REQUEST = 50
# Commit statuses have no neutral or action_required: observe passes, soft fails.
_COMMIT_STATE: dict[Conclusion, str] = {
    "success": "success",
    "neutral": "success",
    "action_required": "failure",
    "failure": "failure",
}
_NO_WRITE = (401, 403, 404)


def publish(
    statuses: list[Status],
    ci: CIContext,
    env: Mapping[str, str],
    deadline: float | None = None,
    api: ForgeAPI | None = None,
) -> list[str]:
    """Warnings for the log; an empty list when every status was posted as a check run."""
    secret = token(env)
    if not secret:
        return ["statuses not published: GITHUB_TOKEN is not set (give the job `checks: write`)"]
    if not ci.repository or not ci.commit:
        return ["statuses not published: the repository or commit is unknown"]
    repo = repo_path(ci.repository)
    with api or session(env, secret, deadline) as http:
        try:
            for status in statuses:
                _check_run(http, repo, ci.commit, status)
            return []
        except PublishError as exc:
            if exc.status not in _NO_WRITE:
                return [f"statuses not published: {exc}"]
            warning = (
                f"check runs not published ({exc}; the token cannot write checks, as on fork "
                "pull requests): posting commit statuses instead"
            )
        try:
            for status in statuses:
                _commit_status(http, repo, ci.commit, status)
            return [warning]
        except PublishError as exc:
            return [warning, f"commit statuses not published either ({exc}); no status posted"]


def check_run_body(
    status: Status, head_sha: str, annotations: list[dict[str, Any]]
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": status.name,
        "head_sha": head_sha,
        "status": "completed",
        "conclusion": status.conclusion,
        "completed_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "external_id": status.campaign or "",
        "output": _output(status, annotations),
    }
    if status.details_url:
        body["details_url"] = status.details_url
    return body


def _output(status: Status, annotations: list[dict[str, Any]]) -> dict[str, Any]:
    return {"title": status.title, "summary": status.summary, "annotations": annotations}


def _check_run(session: ForgeAPI, repo: str, sha: str, status: Status) -> None:
    annotations = [
        {
            "path": a.path,
            "start_line": a.line,
            "end_line": a.line,
            "annotation_level": a.level,
            "title": a.title,
            "message": a.message,
        }
        for a in status.annotations
    ]
    first, rest = annotations[:ANNOTATIONS_PER_REQUEST], annotations[ANNOTATIONS_PER_REQUEST:]
    created = session.call("POST", f"/repos/{repo}/check-runs", check_run_body(status, sha, first))
    run_id = created.get("id") if isinstance(created, dict) else None
    if not isinstance(run_id, int) or isinstance(run_id, bool):
        raise PublishError(f"POST /repos/{repo}/check-runs answered without a check run id")
    # Each update appends its annotations to the run's (the docs' way past 50).
    for start in range(0, len(rest), ANNOTATIONS_PER_REQUEST):
        batch = rest[start : start + ANNOTATIONS_PER_REQUEST]
        session.call(
            "PATCH", f"/repos/{repo}/check-runs/{run_id}", {"output": _output(status, batch)}
        )


def commit_status_body(status: Status) -> dict[str, Any]:
    body: dict[str, Any] = {
        "state": _COMMIT_STATE[status.conclusion],
        "context": status.name,
        "description": status.description,
    }
    if status.details_url:
        body["target_url"] = status.details_url
    return body


def _commit_status(session: ForgeAPI, repo: str, sha: str, status: Status) -> None:
    session.call(
        "POST", f"/repos/{repo}/statuses/{quote(sha, safe='')}", commit_status_body(status)
    )
