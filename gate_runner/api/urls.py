"""Base-URL rules: https except on loopback, a certain origin, and redirect targets."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from gate_runner.errors import UsageError
from gate_runner.loopback import is_loopback
from gate_runner.origins import connection_origin


def check_base_url(url: str) -> str:
    """Return ``url`` without a trailing slash, or raise UsageError naming it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"API base URL {url!r} is not an http(s) URL with a host")
    if parts.username or parts.password:
        # Credentials in the URL would end up in logs and error messages.
        raise UsageError(f"API base URL for host {parts.hostname!r} must not embed credentials")
    if parts.query or parts.fragment:
        raise UsageError(f"API base URL {url!r} must not have a query or fragment")
    if connection_origin(url) is None:
        raise UsageError(
            f"API base URL {url!r} does not name one host for certain (a backslash, a percent "
            "sign or another character URL parsers read differently); write scheme://host[:port]"
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(
            f"API base URL {url!r} uses plain http; https is required for any host "
            "but loopback (127.0.0.1, ::1, localhost)"
        )
    return url.rstrip("/")


def redirect_target(current: str, location: str) -> str:
    """Absolute URL of a ``Location`` header, relative to the URL that answered."""
    return urljoin(current, location)
