"""One sticky PR comment (GitHub) or MR note (GitLab), found again by its hidden marker."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from gate_runner.report.markdown import MARKER
from gate_runner.verdict import CIContext, Verdict

if TYPE_CHECKING:
    import requests

TIMEOUT = (5.0, 20.0)  # connect, read
MAX_PAGES = 50
GITHUB_LIMIT = 65_536
GITLAB_LIMIT = 1_000_000
_TRUNCATED = "\n\n> **Truncated**: the full report is in the build log."


class _CommentError(Exception):
    """A failure already phrased as the warning a user reads (no token in it)."""


TOKEN_VARIABLES = ("GITHUB_TOKEN", "GITLAB_TOKEN", "GATE_RUNNER_GITLAB_TOKEN")


def comment_tokens(env: Mapping[str, str]) -> list[str]:
    """The forge tokens `--comment` may use: secrets to mask and scrub like the API token."""
    return [env[n] for n in TOKEN_VARIABLES if env.get(n)]


def post_sticky_comment(
    verdict: Verdict, ci: CIContext, env: Mapping[str, str], *, body: str
) -> str | None:
    """Create or update the comment; None when done, else the warning to print. Never raises."""
    tokens = comment_tokens(env)
    try:
        if ci.vendor == "github":
            _github(ci, env, body)
        elif ci.vendor == "gitlab":
            _gitlab(ci, env, body)
        else:
            raise _CommentError(
                f"comments are posted on GitHub and GitLab only, not on {ci.vendor}"
            )
        return None
    except _CommentError as exc:
        message = str(exc)
    except Exception as exc:  # a comment must never break the gate
        message = f"unexpected {type(exc).__name__}"
    for token in tokens:
        message = message.replace(token, "***")
    return f"comment not posted: {message}"


def _fit(body: str, limit: int) -> str:
    if not body.startswith(MARKER):
        body = f"{MARKER}\n{body}"
    if len(body) <= limit:
        return body
    return body[: limit - len(_TRUNCATED)] + _TRUNCATED


def _github(ci: CIContext, env: Mapping[str, str], body: str) -> None:
    token = env.get("GITHUB_TOKEN")
    if not token:
        raise _CommentError("GITHUB_TOKEN is not set (give the job `pull-requests: write`)")
    if not ci.repository or ci.pull_request is None:
        raise _CommentError("this build is not for a pull request")
    base = (env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/")
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    repo = "/".join(quote(part, safe="") for part in ci.repository.split("/"))
    listing = f"{base}/repos/{repo}/issues/{ci.pull_request}/comments?per_page=100"
    author = env.get("GATE_RUNNER_COMMENT_AUTHOR")
    with _session(headers) as session:
        existing = _find(
            session, base, listing, lambda c: _ours(c.get("body"), c, author), hint=_GITHUB_HINT
        )
        text = _fit(body, GITHUB_LIMIT)
        if existing is not None:
            url = f"{base}/repos/{repo}/issues/comments/{existing}"
            _call(session, "PATCH", url, {"body": text}, hint=_GITHUB_HINT)
        else:
            url = f"{base}/repos/{repo}/issues/{ci.pull_request}/comments"
            _call(session, "POST", url, {"body": text}, hint=_GITHUB_HINT)


_GITHUB_HINT = "the token needs `pull-requests: write`; fork PRs get a read-only token"
_GITLAB_HINT = "the token needs the `api` scope (CI_JOB_TOKEN cannot post notes)"


def _gitlab(ci: CIContext, env: Mapping[str, str], body: str) -> None:
    token = env.get("GITLAB_TOKEN") or env.get("GATE_RUNNER_GITLAB_TOKEN")
    if not token:
        raise _CommentError(
            "set GITLAB_TOKEN or GATE_RUNNER_GITLAB_TOKEN (a token with `api` scope)"
        )
    base = (env.get("CI_API_V4_URL") or "").rstrip("/")
    project = env.get("CI_PROJECT_ID") or ci.repository
    iid = env.get("CI_MERGE_REQUEST_IID") or (str(ci.pull_request) if ci.pull_request else "")
    if not base:
        raise _CommentError("CI_API_V4_URL is not set")
    if not project or not iid.isdigit():
        raise _CommentError("this pipeline is not for a merge request")
    notes = f"{base}/projects/{quote(project, safe='')}/merge_requests/{iid}/notes"
    with _session({"PRIVATE-TOKEN": token}) as session:
        existing = _find(
            session,
            base,
            f"{notes}?per_page=100&sort=asc&order_by=created_at",
            lambda n: not n.get("system") and _ours(n.get("body"), n, None),
            hint=_GITLAB_HINT,
        )
        text = _fit(body, GITLAB_LIMIT)
        if existing is not None:
            _call(session, "PUT", f"{notes}/{existing}", {"body": text}, hint=_GITLAB_HINT)
        else:
            _call(session, "POST", notes, {"body": text}, hint=_GITLAB_HINT)


def _ours(body: Any, item: Mapping[str, Any], author: str | None) -> bool:
    # Our body starts with the marker; a human quoting it ("> <!-- ...") does not.
    if not isinstance(body, str) or not body.lstrip().startswith(MARKER):
        return False
    if author is None:
        return True
    user = item.get("user") or item.get("author") or {}
    return isinstance(user, dict) and author in (user.get("login"), user.get("username"))


def _session(headers: Mapping[str, str]) -> requests.Session:
    import requests  # lazily: only --comment pays for it

    session = requests.Session()
    session.headers.update(headers)
    session.headers["User-Agent"] = "gate-runner"
    return session


def _find(
    session: requests.Session,
    base: str,
    url: str,
    match: Callable[[dict[str, Any]], bool],
    *,
    hint: str,
) -> int | None:
    """Page through a listing (Link rel=next) and return the id of the first match."""
    origin = urlsplit(base)[:2]
    next_url: str | None = url
    for _ in range(MAX_PAGES):
        if next_url is None:
            return None
        response = _call(session, "GET", next_url, None, hint=hint)
        try:
            items = response.json()
        except ValueError:
            items = None
        if not isinstance(items, list):
            raise _CommentError(f"unexpected answer listing comments from {_path(next_url)}")
        for item in items:
            if isinstance(item, dict) and match(item) and isinstance(item.get("id"), int):
                return int(item["id"])
        next_url = response.links.get("next", {}).get("url")
        # The token goes only to the API we were given, wherever a Link header points.
        if next_url is not None and urlsplit(next_url)[:2] != origin:
            raise _CommentError("the API's next page is on another host; not following it")
    return None


def _call(
    session: requests.Session, method: str, url: str, payload: dict[str, str] | None, *, hint: str
) -> requests.Response:
    import requests

    try:
        response = session.request(
            method, url, json=payload, timeout=TIMEOUT, allow_redirects=False
        )
    except requests.Timeout:
        raise _CommentError(f"{method} {_path(url)} timed out") from None
    except requests.RequestException as exc:
        raise _CommentError(f"{method} {_path(url)} failed: {type(exc).__name__}") from None
    if response.status_code >= 300:
        reason = re.sub(r"[^\x20-\x7e]", "", response.reason or "")[:80]
        extra = f" ({hint})" if hint and response.status_code in (401, 403, 404) else ""
        raise _CommentError(
            f"{method} {_path(url)} answered {response.status_code} {reason}{extra}"
        )
    return response


def _path(url: str) -> str:
    """The URL's path only: the query and any credentials stay out of warnings."""
    return urlsplit(url).path
