"""A loopback GitLab project that files commit statuses the way GitLab's own service does.

POST /api/v4/projects/:id/statuses/:sha (https://docs.gitlab.com/ee/api/commits.html#set-the-pipeline-status-of-a-commit)
is lib/api/commit_statuses.rb handing its params to Ci::CreateCommitStatusService. The rule
below follows app/services/ci/create_commit_status_service.rb of gitlab-org/gitlab, read in
its mirror gitlabhq/gitlabhq at commit 0286e4c628d68960d0ca9e961d82c3ea6ac90633:

- `validate`: 404 "Commit" when the sha is not a commit of the project, 400 without
  `state`, 404 "References for commit" when no ref can be found (`ref` is params[:ref], else
  the first matching pipeline's ref, else a branch containing the sha); with `pipeline_id`,
  404 "Pipeline for pipeline_id, sha and ref" unless `first_matching_pipeline` finds one.
- `first_matching_pipeline`: the project's pipelines on that sha, newest first, kept to
  `ref` when given and to `pipeline_id` when given.
- `find_or_create_pipeline`: without a match the status goes to a NEW pipeline (source
  `external`) on that sha and ref, which is not the pipeline a merge request shows.
- The answer is 201 with the job (API::Entities::CommitStatus); errors are
  `{"message": ...}` (render_api_error!).

The refs pipelines get come from MergeRequests::CreatePipelineService (detached:
`refs/merge-requests/<iid>/head`, or the source branch when it runs in the fork; merged
results: `refs/merge-requests/<iid>/merge`) and MergeTrains::CreatePipelineService
(`refs/merge-requests/<iid>/train`), the MergeRequest model's ref_path, merge_ref_path and
train_ref_path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .fake import Answer, Request

STATES = ("pending", "running", "success", "failed", "canceled", "skipped")
FIELDS = {"state", "name", "context", "target_url", "description", "coverage", "ref", "pipeline_id"}


@dataclass
class Pipeline:
    id: int
    sha: str
    ref: str
    source: str = "push"
    statuses: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Project:
    """One project: its commits, the branches that contain them, and its pipelines."""

    id: int
    token: str
    commits: set[str]
    branches: dict[str, str] = field(default_factory=dict)  # branch -> the sha it contains
    pipelines: list[Pipeline] = field(default_factory=list)
    refuse: int | None = None  # answer every request with this status (a token refused)
    already: bool = False  # answer as GitLab does when a status already has this state

    def __call__(self, request: Request) -> Answer:
        if request.headers.get("private-token") != self.token:
            return Answer(401, {"message": "401 Unauthorized"})
        match = re.fullmatch(r"/api/v4/projects/(\d+)/statuses/([^/?]+)", request.target)
        if request.method != "POST" or match is None or int(match.group(1)) != self.id:
            return Answer(404, {"message": "404 Project Not Found"})
        if self.refuse:
            return Answer(self.refuse, {"message": f"{self.refuse} Forbidden"})
        return self._create(match.group(2), request.body)

    def _create(self, sha: str, params: dict[str, Any]) -> Answer:
        assert set(params) <= FIELDS, set(params) - FIELDS  # nothing the API does not take
        if sha not in self.commits:
            return _error(404, "404 Commit Not Found")
        if not params.get("state"):
            return _error(400, "State is required")
        if params["state"] not in STATES:
            return _error(400, "state does not have a valid value")
        pipeline_id = params.get("pipeline_id")
        if pipeline_id is not None and not isinstance(pipeline_id, int):
            return _error(400, "pipeline_id is invalid")
        matching = self._first_matching(sha, params.get("ref"), pipeline_id)
        ref = params.get("ref") or (matching.ref if matching else None) or self._branch_of(sha)
        if not ref:
            return _error(404, "404 References for commit Not Found")
        if pipeline_id is not None and matching is None:
            return _error(404, "404 Pipeline for pipeline_id, sha and ref Not Found")
        if self.already:
            return _error(400, "Cannot transition status via :drop from :failed")
        target = matching or self._create_external(sha, ref)
        job = {
            "id": 900 + sum(len(p.statuses) for p in self.pipelines),
            "sha": sha,
            "ref": ref,
            "status": params["state"],
            "name": params.get("name") or params.get("context") or "default",
            "description": params.get("description"),
            "target_url": params.get("target_url"),
            "pipeline_id": target.id,
        }
        target.statuses.append(job)
        return Answer(201, job)

    def _first_matching(
        self, sha: str, ref: str | None, pipeline_id: int | None
    ) -> Pipeline | None:
        newest_first = sorted(self.pipelines, key=lambda p: p.id, reverse=True)
        for candidate in newest_first:
            if candidate.sha != sha:
                continue
            if ref is not None and candidate.ref != ref:
                continue
            if pipeline_id is not None and candidate.id != pipeline_id:
                continue
            return candidate
        return None

    def _branch_of(self, sha: str) -> str | None:
        return next((b for b, s in self.branches.items() if s == sha), None)

    def _create_external(self, sha: str, ref: str) -> Pipeline:
        created = Pipeline(max((p.id for p in self.pipelines), default=0) + 1, sha, ref, "external")
        self.pipelines.append(created)
        return created

    def pipeline(self, pipeline_id: int) -> Pipeline:
        return next(p for p in self.pipelines if p.id == pipeline_id)

    def external(self) -> list[Pipeline]:
        return [p for p in self.pipelines if p.source == "external"]


def _error(status: int, message: str) -> Answer:
    return Answer(status, {"message": message})
