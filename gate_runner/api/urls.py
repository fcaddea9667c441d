"""Base-URL rules: https except on loopback, and what counts as the same origin."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from gate_runner.errors import UsageError
from gate_runner.loopback import is_loopback


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
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(
            f"API base URL {url!r} uses plain http; https is required for any host "
            "but loopback (127.0.0.1, ::1, localhost)"
        )
    return url.rstrip("/")


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and effective port: the unit a token may be sent to."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def redirect_target(current: str, location: str) -> str:
    """Absolute URL of a ``Location`` header, relative to the URL that answered."""
    return urljoin(current, location)
