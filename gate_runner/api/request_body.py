"""The body of ``POST /v1/ci/runs``: built here only, for the real request and the dry run."""

from __future__ import annotations

from typing import Any

from gate_runner.api.model import RunContext, RunRequest


def create_body(
    request: RunRequest, context: RunContext, campaign_id: str, *, trace_id: str | None
) -> dict[str, Any]:
    """The JSON body; unset fields and empty thresholds are left out, as the API expects.

    ``trace_id`` is the request's own, or the id the upload of its ``trace_file`` answered.
    """
    candidates: dict[str, Any] = {
        "campaign_id": campaign_id,
        "trace_id": trace_id,
        "thresholds": request.thresholds,
        "mutation_pack_id": request.mutation_pack_id,
        "repo": context.repo,
        "pull_request_number": context.pull_request,
    }
    return {k: v for k, v in candidates.items() if v is not None and v != {}}
