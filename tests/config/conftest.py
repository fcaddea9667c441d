"""Fixtures for the policy-layer tests: the case folders and a policy server on loopback."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import Answer, LoopbackServer, Request

CASES = Path(__file__).parent / "cases"
TRACE_ID = "3b8f0c2e-5b1a-4c8e-9f6d-2a4b6c8e0f13"


def _remote_policies(request: Request, port: int) -> Answer:
    """Serves cases/remote; /redirect-away/<name> redirects to another host name."""
    name = request.path.rsplit("/", 1)[1]
    if request.path.startswith("/redirect-away/"):
        return Answer(302, headers={"Location": f"http://localhost:{port}/{name}"})
    if request.path.startswith("/redirect-here/"):
        return Answer(302, headers={"Location": "/" + name})
    file = CASES / "remote" / request.path.lstrip("/")
    if request.method != "GET" or not file.is_file():
        return Answer(404, raw=b"File not found", content_type="text/plain")
    return Answer(200, raw=file.read_bytes(), content_type="application/yaml")


@pytest.fixture(scope="session")
def policy_server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        server.route = functools.partial(_remote_policies, port=server.port)
        yield server


@pytest.fixture(scope="session")
def server_url(policy_server: LoopbackServer) -> str:
    return policy_server.url


@pytest.fixture(scope="session")
def case_env(server_url: str) -> dict[str, str]:
    return {"SEPURUX_TRACE_ID": TRACE_ID, "POLICY_SERVER": server_url}


@pytest.fixture
def in_cases(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, case_env: dict[str, str]) -> Path:
    """Run from the cases folder (diagnostics show paths relative to it), with a fresh cache."""
    monkeypatch.chdir(CASES)
    monkeypatch.setenv("GATE_RUNNER_CACHE_DIR", str(tmp_path / "cache"))
    for name, value in case_env.items():
        monkeypatch.setenv(name, value)
    return CASES
