"""GitHub Actions: the PR from the event file, the head commit, the workspace, the mask lines."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from gate_runner.ci.git import GitRunner
from gate_runner.ci.variables import get
from gate_runner.ci.vendor import Vendor
from gate_runner.verdict import CIContext

_MAX_EVENT_BYTES = 25 * 1024 * 1024


def applies(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def mask_lines(secrets: Sequence[str]) -> str:
    """`::add-mask::` for every line of every secret, escaped as workflow commands are."""
    parts = dict.fromkeys(p for s in secrets for p in s.splitlines() if p.strip())
    # Message-data escapes, without the reporter's cleaning: the mask must be the value itself.
    escaped = (p.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A") for p in parts)
    return "".join(f"::add-mask::{part}\n" for part in escaped)


def _event(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read(_MAX_EVENT_BYTES))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def context(env: Mapping[str, str], git: GitRunner) -> CIContext:
    event = _event(env)
    name = env.get("GITHUB_EVENT_NAME", "")
    number: Any = None
    head_sha: Any = None
    head_branch: Any = None
    if isinstance(event.get("pull_request"), dict):
        # pull_request, pull_request_target, pull_request_review...: GITHUB_SHA is the merge commit.
        number = _dig(event, "pull_request", "number")
        head_sha = _dig(event, "pull_request", "head", "sha")
    elif name == "issue_comment" and _dig(event, "issue", "pull_request"):
        number = _dig(event, "issue", "number")
    elif name == "workflow_run":
        run = event.get("workflow_run")
        prs = run.get("pull_requests") if isinstance(run, dict) else None
        if isinstance(prs, list) and prs and isinstance(prs[0], dict):
            number = prs[0].get("number")
        head_sha = _dig(event, "workflow_run", "head_sha")
        head_branch = _dig(event, "workflow_run", "head_branch")
    repository = get(env, "GITHUB_REPOSITORY")
    run_id = get(env, "GITHUB_RUN_ID")
    server = (get(env, "GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    return CIContext(
        vendor="github",
        repository=repository,
        commit=head_sha if isinstance(head_sha, str) and head_sha else get(env, "GITHUB_SHA"),
        branch=(
            head_branch
            if isinstance(head_branch, str) and head_branch
            else get(env, "GITHUB_HEAD_REF", "GITHUB_REF_NAME")
        ),
        pull_request=number if isinstance(number, int) and not isinstance(number, bool) else None,
        build_url=f"{server}/{repository}/actions/runs/{run_id}" if repository and run_id else None,
    )


def target_branch(env: Mapping[str, str]) -> str | None:
    """The branch the pull request merges into, or None.

    GITHUB_BASE_REF is set for pull_request and pull_request_target only; a
    pull_request_review run (an approval re-running the gate) has it in the event file.
    """
    base = _dig(_event(env), "pull_request", "base", "ref")
    return get(env, "GITHUB_BASE_REF") or (base if isinstance(base, str) and base else None)


VENDOR = Vendor(
    name="github",
    applies=applies,
    context=context,
    workspace_variables=("GITHUB_WORKSPACE",),
    mask_lines=mask_lines,
    target_branch=target_branch,
    target_branch_variable="GITHUB_BASE_REF",
)
