"""Fixtures for every suite: a loopback HTTP server. Puts `tests/` on sys.path for `support`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import LoopbackServer


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    """A loopback server answering 404 until the test sets its `route`."""
    with LoopbackServer() as server:
        yield server
