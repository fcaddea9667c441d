"""GitLab: a commit status per status, at CI_API_V4_URL with a token that has the `api` scope.

Docs: https://docs.gitlab.com/ee/api/commits.html#set-the-pipeline-status-of-a-commit
(POST /projects/:id/statuses/:sha with state, name, target_url, description, ref, pipeline_id),
on the running pipeline's own sha and ref (gate_runner.forges.gitlab.pipeline).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from gate_runner.forges.gitlab.api import api_base, session, token
from gate_runner.forges.gitlab.pipeline import pipeline
from gate_runner.forges.http import ForgeAPI, PublishError
from gate_runner.forges.statuses import Conclusion, Status
from gate_runner.verdict import CIContext

# GitLab states: pending, running, success, failed, canceled, skipped. No neutral.
_STATE: dict[Conclusion, str] = {
    "success": "success",
    "neutral": "success",
    "action_required": "failed",
    "failure": "failed",
}


def publish(
    statuses: list[Status],
    ci: CIContext,
    env: Mapping[str, str],
    deadline: float | None = None,
    api: ForgeAPI | None = None,
) -> list[str]:
    secret = token(env)
    if not secret:
        return [
            "statuses not published: set GITLAB_TOKEN or GATE_RUNNER_GITLAB_TOKEN "
            "(a token with the `api` scope; CI_JOB_TOKEN cannot set commit statuses)"
        ]
    base = api_base(env)
    project = env.get("CI_PROJECT_ID") or ci.repository
    running = pipeline(env)
    # The pipeline's own sha: in merged-results pipelines and merge trains the merge commit,
    # not the source branch's head the verdict names.
    sha = running.sha or ci.commit
    if not base:
        return ["statuses not published: CI_API_V4_URL is not set"]
    if not project or not sha:
        return ["statuses not published: the project or commit is unknown"]
    path = f"/projects/{quote(project, safe='')}/statuses/{quote(sha, safe='')}"
    refs = list(running.refs)
    warnings: list[str] = []
    with api or session(base, secret, deadline) as http:
        for status in statuses:
            try:
                refs = _post(http, path, status, refs, running.id)
            except PublishError as exc:
                warnings.append(f"status {status.name!r} not published: {exc}")
                if exc.status in (401, 403, 404) or exc.late:
                    break  # the same token, pipeline or deadline for the rest
    return warnings


def _post(
    session: ForgeAPI, path: str, status: Status, refs: list[str | None], pipeline_id: int | None
) -> list[str | None]:
    """Post on the first ref the pipeline has; the refs to use for the next status."""
    for index, ref in enumerate(refs):
        try:
            session.call("POST", path, status_body(status, ref, pipeline_id))
        except PublishError as exc:
            if _already(exc):
                return refs[index:]
            if _no_such_pipeline(exc) and index + 1 < len(refs):
                continue  # another ref the pipeline may have: try it before giving up
            if _no_such_pipeline(exc) and len(refs) > 1:
                raise PublishError(
                    f"{exc} (pipeline {pipeline_id} was not found at this commit under any of "
                    f"its {len(refs)} possible refs)",
                    status=exc.status,
                    body=exc.body,
                ) from None
            raise
        return refs[index:]  # found: the statuses that follow go straight to it
    raise AssertionError("unreachable: refs always ends with None")


def status_body(status: Status, ref: str | None, pipeline_id: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "state": _STATE[status.conclusion],
        "name": status.name,
        "description": status.description,
    }
    if status.details_url:
        body["target_url"] = status.details_url
    if ref is not None:
        body["ref"] = ref
    if pipeline_id is not None:
        body["pipeline_id"] = pipeline_id  # the pipeline running us, when a commit has several
    return body


def _no_such_pipeline(exc: PublishError) -> bool:
    # Ci::CreateCommitStatusService#validate: "404 Pipeline for pipeline_id, sha and ref Not
    # Found" when no pipeline has all three; a missing project or commit reads otherwise.
    message = exc.body.get("message") if isinstance(exc.body, dict) else None
    return exc.status == 404 and isinstance(message, str) and message.startswith("404 Pipeline")


def _already(exc: PublishError) -> bool:
    # A re-run job posts the state the status already has; GitLab refuses that transition
    # with 400 "Cannot transition status via :<event> from :<state>". Nothing to change.
    message = exc.body.get("message") if isinstance(exc.body, dict) else None
    return exc.status == 400 and isinstance(message, str) and "Cannot transition status" in message
