"""The sticky-comment core every forge shares: marker, size limit, paged search, one HTTP call."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import requests

TIMEOUT = (5.0, 20.0)  # connect, read
MAX_PAGES = 50
_TRUNCATED = "\n\n> **Truncated**: the full report is in the build log."


class CommentError(Exception):
    """A failure already phrased as the warning a user reads (no token in it)."""


def _marker() -> str:
    # Imported late: the reporters import this package (for the workspace root), not the reverse.
    from gate_runner.report.markdown import MARKER

    return MARKER


def fit(body: str, limit: int) -> str:
    """The body with the marker first, cut to the forge's limit."""
    marker = _marker()
    if not body.startswith(marker):
        body = f"{marker}\n{body}"
    if len(body) <= limit:
        return body
    return body[: limit - len(_TRUNCATED)] + _TRUNCATED


def is_ours(body: Any, item: Mapping[str, Any], author: str | None) -> bool:
    # Our body starts with the marker; a human quoting it ("> <!-- ...") does not.
    if not isinstance(body, str) or not body.lstrip().startswith(_marker()):
        return False
    if author is None:
        return True
    user = item.get("user") or item.get("author") or {}
    return isinstance(user, dict) and author in (user.get("login"), user.get("username"))


def session(headers: Mapping[str, str]) -> requests.Session:
    import requests  # lazily: only --comment pays for it

    opened = requests.Session()
    opened.headers.update(headers)
    opened.headers["User-Agent"] = "gate-runner"
    return opened


def find(
    http: requests.Session,
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
        response = call(http, "GET", next_url, None, hint=hint)
        try:
            items = response.json()
        except ValueError:
            items = None
        if not isinstance(items, list):
            raise CommentError(f"unexpected answer listing comments from {_path(next_url)}")
        for item in items:
            if isinstance(item, dict) and match(item) and isinstance(item.get("id"), int):
                return int(item["id"])
        next_url = response.links.get("next", {}).get("url")
        # The token goes only to the API we were given, wherever a Link header points.
        if next_url is not None and urlsplit(next_url)[:2] != origin:
            raise CommentError("the API's next page is on another host; not following it")
    return None


def call(
    http: requests.Session, method: str, url: str, payload: dict[str, str] | None, *, hint: str
) -> requests.Response:
    import requests

    try:
        response = http.request(method, url, json=payload, timeout=TIMEOUT, allow_redirects=False)
    except requests.Timeout:
        raise CommentError(f"{method} {_path(url)} timed out") from None
    except requests.RequestException as exc:
        raise CommentError(f"{method} {_path(url)} failed: {type(exc).__name__}") from None
    if response.status_code >= 300:
        reason = re.sub(r"[^\x20-\x7e]", "", response.reason or "")[:80]
        extra = f" ({hint})" if hint and response.status_code in (401, 403, 404) else ""
        raise CommentError(f"{method} {_path(url)} answered {response.status_code} {reason}{extra}")
    return response


def _path(url: str) -> str:
    """The URL's path only: the query and any credentials stay out of warnings."""
    return urlsplit(url).path
