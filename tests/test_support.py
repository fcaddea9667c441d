"""The shared helpers themselves: the loopback server, its routes and records, the clean env."""

from __future__ import annotations

import importlib.util
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from support import Answer, LoopbackServer, clean_env, routes


def fetch(url: str, data: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers), refused.read()


def test_the_fixture_answers_404_until_given_a_route(http_server: LoopbackServer) -> None:
    assert http_server.url.startswith("http://127.0.0.1:")
    status, _, body = fetch(f"{http_server.url}/anything?x=1")
    assert status == 404 and json.loads(body) == {"detail": "Not found"}
    (seen,) = http_server.requests
    assert (seen.method, seen.target, seen.path, seen.query) == (
        "GET",
        "/anything?x=1",
        "/anything",
        {"x": ["1"]},
    )
    assert http_server.hit.is_set()


def test_a_route_table_matches_method_path_and_prefix(http_server: LoopbackServer) -> None:
    http_server.route = routes(
        {
            "POST /v1/runs": lambda r: Answer(201, {"got": r.body}),
            "/v1/runs": Answer(200, [1, 2]),
            "/files/*": Answer(200, raw=b"text", content_type="text/plain", headers={"X-A": "b"}),
        }
    )
    assert fetch(f"{http_server.url}/v1/runs", b'{"a": 1}')[::2] == (201, b'{"got": {"a": 1}}')
    assert fetch(f"{http_server.url}/v1/runs")[::2] == (200, b"[1, 2]")
    status, headers, body = fetch(f"{http_server.url}/files/deep/name.txt")
    assert (status, body, headers["Content-Type"], headers["X-A"]) == (
        200,
        b"text",
        "text/plain",
        "b",
    )
    assert [r.method for r in http_server.calls()] == ["POST", "GET", "GET"]
    assert http_server.targets()[-1] == "/files/deep/name.txt"
    assert len(http_server.calls("POST", "/v1/runs")) == 1


def test_close_releases_a_held_request_and_is_idempotent() -> None:
    server = LoopbackServer(lambda _r: Answer(write=lambda _h: None))
    server.close()
    assert server.release.is_set()
    server.close()


def test_clean_env_strips_ci_and_sets_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "SEPURUX_API_KEY", "GATE_RUNNER_X"):
        monkeypatch.setenv(name, "1")
    env = clean_env({"EXTRA": "e"}, token="tok", drop=["EXTRA"])
    assert env["SEPURUX_API_KEY"] == "tok" and env["NO_COLOR"] == "1"
    assert not {"CI", "GITHUB_ACTIONS", "GITLAB_CI", "GATE_RUNNER_X", "EXTRA"} & set(env)


def test_every_gate_runner_module_has_fresh_bytecode() -> None:
    # tests/conftest.py writes it: without it every process the suite starts would compile
    # gate_runner from source under PYTHONDONTWRITEBYTECODE (issue 18).
    package = Path(__file__).resolve().parents[1] / "gate_runner"
    stale = []
    for source in sorted(package.rglob("*.py")):
        cached = Path(importlib.util.cache_from_source(str(source)))
        stat = source.stat()
        # A timestamp pyc: magic, flags 0, then the source's mtime and size (PEP 552).
        header = cached.read_bytes()[:16] if cached.is_file() else b""
        fresh = header[:4] == importlib.util.MAGIC_NUMBER and header[4:8] == bytes(4)
        fresh = fresh and int.from_bytes(header[8:12], "little") == int(stat.st_mtime) % 2**32
        if not (fresh and int.from_bytes(header[12:16], "little") == stat.st_size % 2**32):
            stale.append(str(source.relative_to(package)))
    assert stale == []
