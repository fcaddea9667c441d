"""GitHub Actions: the PR from the event file, the head commit, the job's files, the comment."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from gate_runner.ci import sticky
from gate_runner.ci.git import GitRunner
from gate_runner.ci.variables import get
from gate_runner.ci.vendor import Vendor
from gate_runner.verdict import CIContext

COMMENT_LIMIT = 65_536
_MAX_EVENT_BYTES = 25 * 1024 * 1024
_HINT = "the token needs `pull-requests: write`; fork PRs get a read-only token"


def applies(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def step_summary_path(env: Mapping[str, str]) -> str | None:
    """Where the job's step summary (Markdown) is appended, on GitHub Actions only."""
    return get(env, "GITHUB_STEP_SUMMARY") if applies(env) else None


def output_path(env: Mapping[str, str]) -> str | None:
    """Where the step's outputs (`name<<DELIMITER`) are appended, on GitHub Actions only."""
    return get(env, "GITHUB_OUTPUT") if applies(env) else None


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


def post_comment(ci: CIContext, env: Mapping[str, str], body: str) -> None:
    """One issue comment on the PR, found again by its marker (and GATE_RUNNER_COMMENT_AUTHOR)."""
    token = env.get("GITHUB_TOKEN")
    if not token:
        raise sticky.CommentError("GITHUB_TOKEN is not set (give the job `pull-requests: write`)")
    if not ci.repository or ci.pull_request is None:
        raise sticky.CommentError("this build is not for a pull request")
    base = (env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/")
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    repo = "/".join(quote(part, safe="") for part in ci.repository.split("/"))
    listing = f"{base}/repos/{repo}/issues/{ci.pull_request}/comments?per_page=100"
    author = env.get("GATE_RUNNER_COMMENT_AUTHOR")
    with sticky.session(headers) as http:
        existing = sticky.find(
            http, base, listing, lambda c: sticky.is_ours(c.get("body"), c, author), hint=_HINT
        )
        text = sticky.fit(body, COMMENT_LIMIT)
        if existing is not None:
            url = f"{base}/repos/{repo}/issues/comments/{existing}"
            sticky.call(http, "PATCH", url, {"body": text}, hint=_HINT)
        else:
            url = f"{base}/repos/{repo}/issues/{ci.pull_request}/comments"
            sticky.call(http, "POST", url, {"body": text}, hint=_HINT)


def target_branch(env: Mapping[str, str]) -> str | None:
    """The branch the pull request merges into (pull_request events only), or None."""
    return get(env, "GITHUB_BASE_REF")


VENDOR = Vendor(
    name="github",
    applies=applies,
    context=context,
    workspace_variables=("GITHUB_WORKSPACE",),
    token_variables=("GITHUB_TOKEN",),
    mask_lines=mask_lines,
    post_comment=post_comment,
    target_branch=target_branch,
    target_branch_variable="GITHUB_BASE_REF",
)
