"""GitLab: a commit status per status, at CI_API_V4_URL with a token that has the `api` scope.

Docs: https://docs.gitlab.com/ee/api/commits.html#set-the-pipeline-status-of-a-commit
(POST /projects/:id/statuses/:sha with state, name, target_url, description, ref, pipeline_id).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from gate_runner.forge.http import ForgeAPI, PublishError
from gate_runner.forge.statuses import Conclusion, Status
from gate_runner.forge.tokens import GITLAB, first_token
from gate_runner.verdict import CIContext

# GitLab states: pending, running, success, failed, canceled, skipped. No neutral.
_STATE: dict[Conclusion, str] = {
    "success": "success",
    "neutral": "success",
    "action_required": "failed",
    "failure": "failed",
}


def publish(
    statuses: list[Status], ci: CIContext, env: Mapping[str, str], api: ForgeAPI | None = None
) -> list[str]:
    token = first_token(env, GITLAB)
    if not token:
        return [
            "statuses not published: set GITLAB_TOKEN or GATE_RUNNER_GITLAB_TOKEN "
            "(a token with the `api` scope; CI_JOB_TOKEN cannot set commit statuses)"
        ]
    base = env.get("CI_API_V4_URL")
    project = env.get("CI_PROJECT_ID") or ci.repository
    if not base:
        return ["statuses not published: CI_API_V4_URL is not set"]
    if not project or not ci.commit:
        return ["statuses not published: the project or commit is unknown"]
    path = f"/projects/{quote(project, safe='')}/statuses/{quote(ci.commit, safe='')}"
    warnings: list[str] = []
    with api or ForgeAPI(base, {"PRIVATE-TOKEN": token}) as session:
        for status in statuses:
            try:
                session.call("POST", path, status_body(status, env))
            except PublishError as exc:
                if _already(exc):
                    continue
                warnings.append(f"status {status.name!r} not published: {exc}")
                if exc.status in (401, 403, 404):
                    break  # the same token will be refused for the rest
    return warnings


def status_body(status: Status, env: Mapping[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "state": _STATE[status.conclusion],
        "name": status.name,
        "description": status.description,
    }
    if status.details_url:
        body["target_url"] = status.details_url
    ref = env.get("CI_COMMIT_REF_NAME")
    if ref:
        body["ref"] = ref
    pipeline = env.get("CI_PIPELINE_ID", "")
    if pipeline.isdigit():
        body["pipeline_id"] = int(pipeline)  # the pipeline running us, when a commit has several
    return body


def _already(exc: PublishError) -> bool:
    # A re-run job posts the state the status already has; GitLab refuses that transition
    # with 400 "Cannot transition status via :<event> from :<state>". Nothing to change.
    message = exc.body.get("message") if isinstance(exc.body, dict) else None
    return exc.status == 400 and isinstance(message, str) and "Cannot transition status" in message
