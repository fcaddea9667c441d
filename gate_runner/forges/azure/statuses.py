"""Azure DevOps: a pull request status per status, with the job's System.AccessToken.

Docs: https://learn.microsoft.com/en-us/rest/api/azure/devops/git/pull-request-statuses/create
(POST {collection}{project}/_apis/git/repositories/{repositoryId}/pullRequests/{pullRequestId}
/statuses?api-version=7.1; context.name identifies the status). Azure Repos only: a GitHub
repository built in Azure Pipelines gets its statuses on GitHub.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from gate_runner.forges.http import ForgeAPI, PublishError
from gate_runner.forges.statuses import Conclusion, Status
from gate_runner.secrets import FORGE_TOKEN_VARIABLES, first_token
from gate_runner.verdict import CIContext

API_VERSION = "7.1"
TOKEN_VARIABLES = FORGE_TOKEN_VARIABLES["azure"]
_STATE: dict[Conclusion, str] = {
    "success": "succeeded",
    "neutral": "succeeded",
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
    provider = env.get("BUILD_REPOSITORY_PROVIDER", "TfsGit")
    if provider != "TfsGit":
        return [f"statuses not published: pull request statuses need Azure Repos, not {provider}"]
    token = first_token(env, TOKEN_VARIABLES)
    if not token:
        return [
            "statuses not published: SYSTEM_ACCESSTOKEN is not set "
            "(map it in the step: `env: {SYSTEM_ACCESSTOKEN: $(System.AccessToken)}`)"
        ]
    collection = env.get("SYSTEM_COLLECTIONURI")
    project = env.get("SYSTEM_TEAMPROJECTID") or env.get("SYSTEM_TEAMPROJECT")
    repository = env.get("BUILD_REPOSITORY_ID")
    pull_request = env.get("SYSTEM_PULLREQUEST_PULLREQUESTID", "")
    if not collection or not project or not repository:
        return [
            "statuses not published: SYSTEM_COLLECTIONURI, the project or the repository is unknown"
        ]
    if not pull_request.isdigit():
        return ["statuses not published: this build is not for a pull request"]
    path = (
        f"/{quote(project, safe='')}/_apis/git/repositories/{quote(repository, safe='')}"
        f"/pullRequests/{pull_request}/statuses?api-version={API_VERSION}"
    )
    headers = {"Authorization": f"Bearer {token}"}
    with api or ForgeAPI(collection, headers, deadline=deadline) as http:
        for status in statuses:
            try:
                http.call("POST", path, status_body(status))
            except PublishError as exc:
                return [f"status {status.name!r} not published: {exc}"]
    return []


def status_body(status: Status) -> dict[str, Any]:
    body: dict[str, Any] = {
        "state": _STATE[status.conclusion],
        "description": status.description,
        "context": {"name": status.name},
    }
    if status.details_url:
        body["targetUrl"] = status.details_url
    return body
