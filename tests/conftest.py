"""Fixtures for every suite: a loopback HTTP server. Puts `tests/` on sys.path for `support`."""

from __future__ import annotations

import compileall
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from support import LoopbackServer

# Hypothesis's default 200 ms deadline per example is a wall-clock assertion: on a loaded
# machine it fails tests whose results are right (test_t_quantile_inverts_the_cdf did).
settings.register_profile("gate-runner", deadline=None)
settings.load_profile("gate-runner")

# The suite starts thousands of `gate-runner` processes. Under PYTHONDONTWRITEBYTECODE (set on
# some machines, CI images among them) no run writes gate_runner's bytecode, so each process
# compiled ~200 modules from source (a quarter of `--version`'s CPU): write it once, here, as an
# installed wheel has it. Only stale files are compiled, so a warm tree costs a few stats.
compileall.compile_dir(Path(__file__).resolve().parents[1] / "gate_runner", quiet=1)


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    """A loopback server answering 404 until the test sets its `route`."""
    with LoopbackServer() as server:
        yield server
