"""Fixtures for every suite: a loopback HTTP server. Puts `tests/` on sys.path for `support`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings
from support import LoopbackServer

# Hypothesis's default 200 ms deadline per example is a wall-clock assertion: on a loaded
# machine it fails tests whose results are right (test_t_quantile_inverts_the_cdf did).
settings.register_profile("gate-runner", deadline=None)
settings.load_profile("gate-runner")


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    """A loopback server answering 404 until the test sets its `route`."""
    with LoopbackServer() as server:
        yield server
