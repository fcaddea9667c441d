"""The one same-origin rule, against a real second listener that records what reaches it.

`Location: http://127.0.0.1:OTHER\\@127.0.0.1:API/...` reads as 127.0.0.1:API to
urllib.parse but requests/urllib3 connect to 127.0.0.1:OTHER: neither the API client nor a
remote `extends` fetch may send anything (least of all the token) there.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from support import clean_env, run_gate

from gate_runner.api import RetryPolicy, SepuruxClient
from gate_runner.config.fetch import FetchError, http_fetch
from gate_runner.errors import ServiceError, UsageError
from gate_runner.origins import connection_origin, same_origin

from .conftest import TOKEN, FakeServer, Reply


def port_of(server: FakeServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def lure(api: FakeServer, other: FakeServer, path: str) -> str:
    """A Location that urlsplit reads as `api` and urllib3 connects to `other`."""
    return f"http://127.0.0.1:{port_of(other)}\\@127.0.0.1:{port_of(api)}{path}"


def redirect_to(location: str) -> Reply:
    return Reply(302, {"detail": "moved"}, headers={"Location": location})


@pytest.mark.parametrize(
    ("current", "target", "same"),
    [
        ("https://app.sepurux.dev/api", "https://evil.example\\@app.sepurux.dev/x", False),
        ("http://127.0.0.1:2222/a", "http://127.0.0.1:1111\\@127.0.0.1:2222/x", False),
        ("http://127.0.0.1:2222/a", "http://x@127.0.0.1:2222/x", False),
        ("http://127.0.0.1:80/a", "http://127.0.0.1%3a1111/x", False),
        ("http://127.0.0.1:2222/a", "http://127.0.0.1:notaport/x", False),
        ("http://127.0.0.1:2222/a", "http://127.0.0.1:2223/a", False),
        ("http://127.0.0.1/a", "https://127.0.0.1/a", False),
        ("http://127.0.0.1:2222/a", "http://127.0.0.1:2222/b?q=%5C@x", True),
        ("https://App.Sepurux.dev/api", "https://app.sepurux.dev:443/v2", True),
        ("http://[::1]:8000/a", "http://[::1]:8000/b", True),
    ],
)
def test_same_origin_goes_by_where_the_connection_goes(
    current: str, target: str, same: bool
) -> None:
    assert same_origin(current, target) is same


def test_the_connecting_parser_decides_and_disagreement_means_no_origin() -> None:
    assert connection_origin("https://app.sepurux.dev/api/backend") == (
        "https",
        "app.sepurux.dev",
        443,
    )
    assert connection_origin("https://evil.example\\@app.sepurux.dev/x") is None


def test_client_sends_nothing_to_the_host_behind_a_backslash(
    server: FakeServer, other_server: FakeServer
) -> None:
    server.responder = lambda seen: redirect_to(lure(server, other_server, seen.path))
    other_server.responder = lambda _seen: Reply(200, [])
    client = SepuruxClient(server.url, TOKEN, retry=RetryPolicy(attempts=1))
    with pytest.raises(ServiceError) as caught:
        client.list_campaigns()
    assert other_server.seen == []
    assert caught.value.kind == "http"
    assert "whose host is not certain" in caught.value.message
    assert "not followed, so the token stays with" in caught.value.message
    assert TOKEN not in caught.value.message


def test_a_base_url_without_a_certain_host_is_refused() -> None:
    with pytest.raises(UsageError, match="does not name one host for certain"):
        SepuruxClient("http://127.0.0.1%3a1/", TOKEN)


def test_remote_extends_fetch_sends_nothing_to_the_host_behind_a_backslash(
    server: FakeServer, other_server: FakeServer
) -> None:
    server.responder = lambda seen: redirect_to(lure(server, other_server, seen.path))
    other_server.responder = lambda _seen: Reply(200, raw=b"version: 1\n")
    with pytest.raises(FetchError, match="redirected to another host"):
        http_fetch(server.url + "/base.yml")
    assert other_server.seen == []


def test_remote_extends_redirect_with_a_bad_port_is_a_fetch_error(server: FakeServer) -> None:
    server.responder = lambda _seen: redirect_to("http://127.0.0.1:notaport/base.yml")
    with pytest.raises(FetchError, match="redirected to another host"):
        http_fetch(server.url + "/base.yml")


@pytest.mark.slow
def test_check_sends_nothing_to_the_host_behind_a_backslash(
    tmp_path: Path, server: FakeServer, other_server: FakeServer
) -> None:
    server.responder = lambda seen: redirect_to(lure(server, other_server, seen.path))
    other_server.responder = lambda _seen: Reply(200, [])
    policy = {
        "version": 1,
        "gate": {"timeout": 20},
        "enforcement": {"mode": "hard"},
        "thresholds": {"min_pass_rate": 0.85},
        "campaigns": {"core": {"campaign": "core"}},
    }
    (tmp_path / "sepurux.yml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    done = run_gate(
        ["check", "--api-url", server.url],
        cwd=tmp_path,
        env=clean_env(token=TOKEN),
        timeout=60,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert other_server.seen == []
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    assert TOKEN not in json.dumps(verdict) + done.stdout + done.stderr
