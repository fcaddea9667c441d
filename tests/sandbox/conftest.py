"""Fixtures: a sandbox built from a scenario dict, and an authenticated session for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import requests

from gate_runner.sandbox import Sandbox, Scenario

TOKEN = "tok-SANDBOX-secret-4242"

MakeSandbox = Callable[..., Sandbox]


@pytest.fixture
def make_sandbox() -> Iterator[MakeSandbox]:
    """Start a sandbox from a scenario mapping; every one started is stopped after the test."""
    with ExitStack() as stack:

        def make(data: dict[str, Any], token: str | None = TOKEN) -> Sandbox:
            return stack.enter_context(Sandbox(Scenario.from_dict(data), token=token))

        yield make


@pytest.fixture
def client() -> Iterator[Callable[..., requests.Session]]:
    """An authenticated requests session for a sandbox, in the header the test chooses."""
    sessions: list[requests.Session] = []

    def make(sandbox: Sandbox, header: str = "X-Sepurux-Token") -> requests.Session:
        s = requests.Session()
        s.headers[header] = sandbox.token
        sessions.append(s)
        return s

    yield make
    for s in sessions:
        s.close()
