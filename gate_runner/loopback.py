"""The one rule for "is this host loopback?": where plain http and the sandbox may go."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """True for localhost (and *.localhost), ::1 and 127.0.0.0/8."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
