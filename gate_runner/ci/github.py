"""GitHub Actions: the PR from the event file, the head commit (a merge group's head), the
workspace, the mask lines."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from gate_runner.ci.git import GitRunner
from gate_runner.ci.variables import get
from gate_runner.ci.vendor import Vendor
from gate_runner.verdict import CIContext, MergeQueue

_MAX_EVENT_BYTES = 25 * 1024 * 1024
# A merge group's branch: gh-readonly-queue/<base>/pr-<number>-<the PR head's sha>.
_QUEUE_REF = re.compile(r"(?:refs/heads/)?gh-readonly-queue/.+/pr-([0-9]{1,9})-[0-9a-f]{40,64}\Z")


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
    queue = _merge_group(event) if name == "merge_group" else None
    if queue is not None:
        # The queue's required checks look at the group's head commit, not at any PR's.
        head_sha, head_branch = queue.head_sha, _branch(queue.head_ref)
        number = queue.pull_requests[0] if queue.pull_requests else None
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
        merge_queue=queue,
    )


def _merge_group(event: dict[str, Any]) -> MergeQueue | None:
    """The `merge_group` event's entry: its head (and base) commit, its branch and its PR."""
    group = event.get("merge_group")
    if not isinstance(group, dict):
        return None
    head_ref, base_ref = _text(group.get("head_ref")), _text(group.get("base_ref"))
    match = _QUEUE_REF.match(head_ref or "")
    return MergeQueue(
        kind="merge_group",
        head_sha=_text(group.get("head_sha")),
        base_sha=_text(group.get("base_sha")),
        base_ref=_branch(base_ref),
        head_ref=head_ref,
        pull_requests=(int(match.group(1)),) if match else (),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value and len(value) <= 1000 else None


def _branch(ref: str | None) -> str | None:
    return ref.removeprefix("refs/heads/") if ref else None


def target_branch(env: Mapping[str, str]) -> str | None:
    """The branch the pull request (or merge group) merges into, or None.

    GITHUB_BASE_REF is set for pull_request and pull_request_target only; a
    pull_request_review run (an approval re-running the gate) has it in the event file,
    and a merge_group run in the group's own event.
    """
    found = get(env, "GITHUB_BASE_REF")
    if found is None and env.get("GITHUB_EVENT_NAME") == "merge_group":
        queue = _merge_group(_event(env))
        found = queue.base_ref if queue is not None else None
    if found is None:
        base = _dig(_event(env), "pull_request", "base", "ref")
        found = base if isinstance(base, str) and base else None
    return found


VENDOR = Vendor(
    name="github",
    applies=applies,
    context=context,
    workspace_variables=("GITHUB_WORKSPACE",),
    mask_lines=mask_lines,
    target_branch=target_branch,
    target_branch_variable="GITHUB_BASE_REF",
)
