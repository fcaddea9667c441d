"""Fixtures for the policy-layer tests: the case folders and a policy server on loopback."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

CASES = Path(__file__).parent / "cases"
TRACE_ID = "3b8f0c2e-5b1a-4c8e-9f6d-2a4b6c8e0f13"


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves cases/remote; /redirect-away/<name> redirects to another host name."""

    def do_GET(self) -> None:
        if self.path.startswith("/redirect-away/"):
            port = self.server.server_address[1]
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{port}/{self.path.rsplit('/', 1)[1]}")
            self.end_headers()
            return
        if self.path.startswith("/redirect-here/"):
            self.send_response(302)
            self.send_header("Location", "/" + self.path.rsplit("/", 1)[1])
            self.end_headers()
            return
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture(scope="session")
def policy_server() -> Iterator[http.server.ThreadingHTTPServer]:
    handler = functools.partial(_Handler, directory=str(CASES / "remote"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.hits = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def server_url(policy_server: http.server.ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{policy_server.server_address[1]}"


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
