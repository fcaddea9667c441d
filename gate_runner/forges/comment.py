"""The sticky-comment core every forge shares: marker, size limit, paged search, one call."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from gate_runner.forges.http import ForgeAPI, Page, PublishError
from gate_runner.report.markdown import MARKER

MAX_PAGES = 50
_TRUNCATED = "\n\n> **Truncated**: the full report is in the build log."


class CommentError(Exception):
    """A failure already phrased as the warning a user reads (no token in it)."""


def fit(body: str, limit: int) -> str:
    """The body with the marker first, cut to the forge's limit."""
    if not body.startswith(MARKER):
        body = f"{MARKER}\n{body}"
    if len(body) <= limit:
        return body
    return body[: limit - len(_TRUNCATED)] + _TRUNCATED


def is_ours(body: Any, item: Mapping[str, Any], author: str | None) -> bool:
    # Our body starts with the marker; a human quoting it ("> <!-- ...") does not.
    if not isinstance(body, str) or not body.lstrip().startswith(MARKER):
        return False
    if author is None:
        return True
    user = item.get("user") or item.get("author") or {}
    return isinstance(user, dict) and author in (user.get("login"), user.get("username"))


def find(
    http: ForgeAPI, path: str, match: Callable[[dict[str, Any]], bool], *, hint: str
) -> int | None:
    """Page through a listing (Link rel=next) and return the id of the first match."""
    origin = urlsplit(http.base)[:2]
    next_url: str | None = path
    for _ in range(MAX_PAGES):
        if next_url is None:
            return None
        page = _page(http, "GET", next_url, None, hint=hint)
        items = page.body
        if not isinstance(items, list):
            shown = urlsplit(next_url).path
            raise CommentError(f"unexpected answer listing comments from {shown}")
        for item in items:
            if isinstance(item, dict) and match(item) and isinstance(item.get("id"), int):
                return int(item["id"])
        next_url = page.next_url
        # The token goes only to the API we were given, wherever a Link header points.
        if next_url is not None and urlsplit(next_url)[:2] != origin:
            raise CommentError("the API's next page is on another host; not following it")
    return None


def call(http: ForgeAPI, method: str, path: str, payload: dict[str, str], *, hint: str) -> None:
    _page(http, method, path, payload, hint=hint)


def _page(
    http: ForgeAPI, method: str, path: str, payload: dict[str, str] | None, *, hint: str
) -> Page:
    try:
        return http.page(method, path, payload)
    except PublishError as exc:
        extra = f" ({hint})" if hint and exc.status in (401, 403, 404) else ""
        raise CommentError(f"{exc}{extra}") from None
