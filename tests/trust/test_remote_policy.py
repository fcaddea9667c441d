"""Remote policies over loopback: tampered, oversized, plain http elsewhere, redirected, cached.

Policy files are served by a local `http.server` on 127.0.0.1 (plain http is allowed for a
loopback host only). Each refusal is checked through the CLI (exit 2, the exact line) and,
where it matters that nothing was sent, in process with the network stubbed out.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import WAIT_S, Answer, Done, LoopbackServer, routes, run_gate

from gate_runner.config import load_policy
from gate_runner.config.fetch import MAX_BYTES
from gate_runner.errors import PolicyError

GOOD = b"version: 1\nenforcement: {mode: soft}\nthresholds: {min_pass_rate: 0.8}\n"
GOOD_PIN = hashlib.sha256(GOOD).hexdigest()
TAMPERED = GOOD.replace(b"0.8", b"0.1")


class PolicyServer(LoopbackServer):
    """The shared loopback server with fixed routes, and the bytes a streaming route sent."""

    def __init__(self, table: dict[str, Answer]) -> None:
        super().__init__(routes(table))
        self.bytes_sent = 0
        self.stream_done = threading.Event()


def body(data: bytes) -> Answer:
    return Answer(200, raw=data, content_type="application/yaml")


def redirect(location: str) -> Answer:
    return Answer(302, raw=b"", headers={"Location": location}, content_type=None)


@pytest.fixture
def serve() -> Iterator[Callable[..., PolicyServer]]:
    started: list[PolicyServer] = []

    def start(table: dict[str, Answer]) -> PolicyServer:
        server = PolicyServer(table)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def write_policy(directory: Path, url: str, pin: str) -> Path:
    path = directory / "sepurux.yml"
    path.write_text(
        f"version: 1\nextends:\n  - url: {url}\n    sha256: {pin}\ncampaigns: {{core: {{}}}}\n",
        encoding="utf-8",
    )
    return path


def validate(cwd: Path, cache: Path) -> Done:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GATE_RUNNER_"))}
    env["GATE_RUNNER_CACHE_DIR"] = str(cache)
    done = run_gate(
        ["validate"],
        cwd=cwd,
        env=env,
        timeout=60,
    )
    assert "Traceback" not in done.stdout + done.stderr
    return done


@pytest.mark.slow
def test_tampered_policy_is_refused_naming_the_url_and_both_digests(
    tmp_path: Path, serve: Callable[..., PolicyServer]
) -> None:
    server = serve({"/agents.yml": body(TAMPERED)})
    url = f"{server.url}/agents.yml"
    write_policy(tmp_path, url, GOOD_PIN)
    done = validate(tmp_path, tmp_path / "cache")
    actual = hashlib.sha256(TAMPERED).hexdigest()
    assert done.returncode == 2
    assert done.stderr == (
        f"sepurux.yml:3:5: sha256 mismatch for {url}: the policy pins {GOOD_PIN} but the file "
        f"has {actual}; if the change is expected, review it and update the pin\n"
    )
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


@pytest.mark.slow
def test_oversized_policy_is_refused_without_reading_it_all(
    tmp_path: Path, serve: Callable[..., PolicyServer]
) -> None:
    chunk = b"# padding\n" * 6_554  # ~64 KiB
    endless_total = 256 * 1024 * 1024  # far more than any buffer between the two ends

    def endless(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()  # no Content-Length: the client must stop reading by itself
        try:
            while server.bytes_sent < endless_total:
                handler.wfile.write(chunk)
                server.bytes_sent += len(chunk)
        except OSError:
            pass  # the client hung up, as it should
        finally:
            server.stream_done.set()

    server = serve({"/huge.yml": Answer(write=endless)})
    url = f"{server.url}/huge.yml"
    write_policy(tmp_path, url, "a" * 64)
    done = validate(tmp_path, tmp_path / "cache")
    assert done.returncode == 2
    assert done.stderr == (f"sepurux.yml:3:5: {url}: larger than {MAX_BYTES} bytes; refusing\n")
    assert server.stream_done.wait(WAIT_S), "the server is still streaming: the client kept reading"
    assert server.bytes_sent < endless_total
    assert server.bytes_sent < 32 * MAX_BYTES, server.bytes_sent  # stopped: bytes, not seconds


def test_plain_http_to_another_host_is_refused_before_any_network_access(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[str] = []

    def no_network(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args))
        raise AssertionError("no connection may be attempted")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    fetched: list[str] = []
    url = "http://policies.example.com/x.yml"
    path = write_policy(tmp_path, url, GOOD_PIN)
    with pytest.raises(PolicyError) as refused:
        load_policy(
            path, env={}, cache_dir=tmp_path / "cache", fetcher=lambda u: fetched.append(u) or b""
        )
    assert [d.message for d in refused.value.diagnostics] == [
        f"{url}: plain http is only allowed for a loopback host; use https"
    ]
    with pytest.raises(PolicyError):
        load_policy(path, env={}, cache_dir=tmp_path / "cache")  # the real fetcher
    assert fetched == [] and attempts == []


@pytest.mark.slow
def test_plain_http_to_another_host_through_the_cli(tmp_path: Path) -> None:
    url = "http://policies.example.com/x.yml"
    write_policy(tmp_path, url, GOOD_PIN)
    done = validate(tmp_path, tmp_path / "cache")
    assert done.returncode == 2
    assert done.stderr == (
        f"sepurux.yml:3:5: {url}: plain http is only allowed for a loopback host; use https\n"
    )


@pytest.mark.parametrize("target", ["other-port", "other-host-name"])
@pytest.mark.slow
def test_redirect_away_is_refused_and_the_target_gets_nothing(
    target: str, tmp_path: Path, serve: Callable[..., PolicyServer]
) -> None:
    elsewhere = serve({"/agents.yml": body(GOOD)})
    port = elsewhere.url.rsplit(":", 1)[1]
    location = (
        f"{elsewhere.url}/agents.yml"
        if target == "other-port"
        else f"http://localhost:{port}/agents.yml"
    )
    origin = serve({"/agents.yml": redirect(location)})
    url = f"{origin.url}/agents.yml"
    write_policy(tmp_path, url, GOOD_PIN)
    done = validate(tmp_path, tmp_path / "cache")
    assert done.returncode == 2
    assert done.stderr == (
        f"sepurux.yml:3:5: {url}: redirected to another host ({location}); refusing\n"
    )
    assert origin.targets() == ["/agents.yml"]
    assert elsewhere.targets() == []


@pytest.mark.slow
def test_redirect_on_the_same_server_is_followed(
    tmp_path: Path, serve: Callable[..., PolicyServer]
) -> None:
    server = serve({"/old.yml": redirect("/agents.yml"), "/agents.yml": body(GOOD)})
    write_policy(tmp_path, f"{server.url}/old.yml", GOOD_PIN)
    done = validate(tmp_path, tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    assert server.targets() == ["/old.yml", "/agents.yml"]


@pytest.mark.slow
def test_good_pin_is_fetched_once_then_served_from_the_cache_offline(
    tmp_path: Path, serve: Callable[..., PolicyServer]
) -> None:
    server = serve({"/agents.yml": body(GOOD)})
    url = f"{server.url}/agents.yml"
    path = write_policy(tmp_path, url, GOOD_PIN)
    cache = tmp_path / "cache"
    first = validate(tmp_path, cache)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "ok: sepurux.yml is valid\n"
    assert (cache / f"{GOOD_PIN}.yml").read_bytes() == GOOD
    assert validate(tmp_path, cache).returncode == 0
    assert server.targets() == ["/agents.yml"]
    server.close()
    # Offline: nothing listens on that port any more, and the cache answers.
    offline = validate(tmp_path, cache)
    assert offline.returncode == 0, offline.stderr
    policy = load_policy(path, env={}, cache_dir=cache)
    assert policy.enforcement.mode == "soft"
    assert policy.sources[0].location == url
    assert policy.sources[0].sha256 == f"sha256:{GOOD_PIN}"
    # And with a cold cache the error says why, naming the pin: no decision (issue 20), the
    # policy is not known to be wrong.
    cold = validate(tmp_path, tmp_path / "cold")
    assert cold.returncode == 3
    assert cold.stderr.startswith(f"sepurux.yml:3:5: {url}: cannot fetch (")
    assert cold.stderr.endswith("); nothing cached for this pin\n")
