"""Reading CI variables: the first one set, numbers in them, git URLs made into slugs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit


def get(env: Mapping[str, str], *names: str) -> str | None:
    """The first of names that is set and not empty."""
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in ("", "0", "false", "no", "off")


def integer(value: str | None) -> int | None:
    """A PR/MR number written as `12` or `#12`; anything else is None."""
    if value is None:
        return None
    match = re.fullmatch(r"\s*#?(\d+)\s*", value)
    return int(match.group(1)) if match else None


def last_number(value: str | None) -> int | None:
    numbers = re.findall(r"\d+", value or "")
    return int(numbers[-1]) if numbers else None


def branch_from_ref(ref: str | None) -> str | None:
    """refs/heads/x -> x; tags and pull refs are not branches."""
    if ref is None or ref.startswith(("refs/tags/", "refs/pull/")):
        return None
    return ref.removeprefix("refs/heads/")


def slug_from_url(url: str | None) -> str | None:
    """owner/name (or group/sub/name) from an https, ssh or scp-style git URL; never credentials."""
    if not url:
        return None
    text = url.strip()
    scp = re.match(r"^[\w.-]+@[\w.-]+:(?!//)(.+)$", text)
    if scp:
        path = scp.group(1)
    elif "://" in text:
        path = urlsplit(text).path
    else:
        return None
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[: -len(".git")]
    if "/_git/" in path:  # Azure Repos: org/project/_git/repo
        path = path.split("/_git/", 1)[1]
    path = re.sub(r"/(?:pull|merge_requests|-/merge_requests|pull-requests)/\d+.*$", "", path)
    path = path.removesuffix("/-")
    return path or None
