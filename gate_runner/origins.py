"""The one origin rule: where a URL connects, whether a redirect stays, who may get the token."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from gate_runner.loopback import is_loopback

Origin = tuple[str, str, int]

_DEFAULT_PORTS = {"http": 80, "https": 443}
# A host as both readings below print it: a name, an IPv4 address or a bracketed IPv6 one.
_PLAIN_HOST = re.compile(r"^(?:[a-z0-9._-]+|\[[0-9a-f:.]+\])$")


def connection_origin(url: str) -> Origin | None:
    """(scheme, host, port) a request to ``url`` connects to; None when that is not certain.

    The connection is made by urllib3 after requests prepares the URL, so that is the reading
    used. urllib.parse reads URLs differently (``http://a:1\\@b:2/`` is host b for it, host a
    for urllib3), and it is what logs, messages and urllib (remote ``extends``) go by: a URL
    the two read differently, or with userinfo, a percent sign or anything but a plain host,
    has no certain origin, so no token and no request follows it.
    """
    import requests  # where a URL is checked it is also about to be fetched
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url

    try:
        prepared = requests.PreparedRequest()
        prepared.prepare_url(url, None)
        connects = parse_url(prepared.url or "")
        parts = urlsplit(url)
        split_port = parts.port
    except (requests.RequestException, LocationParseError, ValueError):
        return None
    scheme = (connects.scheme or "").lower()
    host = (connects.host or "").lower()
    port = connects.port or _DEFAULT_PORTS.get(scheme)
    if scheme not in _DEFAULT_PORTS or port is None or connects.auth or "@" in parts.netloc:
        return None
    if not _PLAIN_HOST.match(host):
        return None
    split_host = (parts.hostname or "").lower()
    split_origin = (parts.scheme.lower(), split_host, split_port or _DEFAULT_PORTS.get(scheme))
    if split_origin != (scheme, host.strip("[]"), port):
        return None
    return scheme, host.strip("[]"), port


def same_origin(current: str, target: str) -> bool:
    """True when a request to ``target`` certainly reaches the server ``current`` reaches."""
    here = connection_origin(current)
    return here is not None and connection_origin(target) == here


def describe_origin(url: str) -> str:
    """``scheme://host:port`` of ``url`` for a message, or why it has none."""
    found = connection_origin(url)
    if found is None:
        return "a URL whose host is not certain (userinfo, a backslash or an unusual host)"
    return f"another origin {show_origin(found)}"


def parse_origins(text: str) -> list[Origin]:
    """Origins written ``scheme://host[:port]``, separated by commas or spaces (a path is allowed
    and ignored); ValueError names the first entry that is not one."""
    found: list[Origin] = []
    for entry in text.replace(",", " ").split():
        origin = connection_origin(entry) if "://" in entry else None
        if origin is None:
            raise ValueError(f"{entry!r} is not an origin: write scheme://host[:port]")
        found.append(origin)
    return found


def token_may_go(url: str, trusted: Iterable[Origin]) -> bool:
    """True when the API token may be sent to ``url``: a trusted origin, or loopback.

    Decided on the origin the connection is made to (connection_origin), the same reading
    the client connects by; a URL without a certain origin is never trusted.
    """
    found = connection_origin(url)
    return found is not None and (is_loopback(found[1]) or found in set(trusted))


def show_origin(origin: Origin) -> str:
    scheme, host, port = origin
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"
