"""SepuruxClient over real loopback HTTP against a scripted server."""

from __future__ import annotations

import socket
import time

import pytest

from gate_runner import __version__
from gate_runner.api import RetryPolicy, SepuruxClient
from gate_runner.errors import ServiceError, UsageError

from .conftest import TOKEN, FakeServer, Reply, Seen

FAST = RetryPolicy(attempts=3, base=0.01, cap=0.02)
RUN = "11111111-2222-3333-4444-555555555555"


def client_for(url: str, **kwargs: object) -> SepuruxClient:
    kwargs.setdefault("retry", FAST)
    return SepuruxClient(url, TOKEN, **kwargs)  # type: ignore[arg-type]


def test_sends_user_agent_and_ci_token_header(server: FakeServer) -> None:
    server.responder = lambda _s: Reply(200, [{"campaign_id": "c1", "name": "core"}])
    with_client = client_for(server.url)
    assert with_client.list_campaigns() == [{"campaign_id": "c1", "name": "core"}]
    headers = server.seen[0].headers
    assert headers["user-agent"] == f"gate-runner/{__version__}"
    assert headers["x-sepurux-token"] == TOKEN
    assert "x-api-key" not in headers
    assert "x-project-id" not in headers


def test_sdk_header_and_project_uuid(server: FakeServer) -> None:
    server.responder = lambda _s: Reply(200, [])
    client_for(server.url, auth_header="X-API-Key", project=RUN).list_campaigns()
    client_for(server.url, auth_header="X-API-Key", project="my-agent").list_campaigns()
    first, second = (s.headers for s in server.seen)
    assert first["x-api-key"] == TOKEN and first["x-project-id"] == RUN
    assert "x-sepurux-token" not in first
    assert "x-project-id" not in second  # a project name is not an id


def test_base_url_path_prefix_is_kept(server: FakeServer) -> None:
    server.responder = lambda _s: Reply(200, {"run_id": RUN, "status": "queued"})
    client = client_for(server.url + "/api/backend/")
    assert client.get_run(RUN, "run")["status"] == "queued"
    assert client.get_run(RUN, "batch")["status"] == "queued"
    assert [s.path for s in server.seen] == [
        f"/api/backend/v1/ci/runs/{RUN}",
        f"/api/backend/v1/ci/batch/{RUN}",
    ]


@pytest.mark.parametrize(
    "url",
    ["http://example.com", "http://10.0.0.1:8000/api", "ftp://127.0.0.1", "http://"],
)
def test_plain_http_needs_loopback(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        SepuruxClient(url, TOKEN)
    assert repr(url) in str(caught.value)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9", "http://127.8.9.10", "http://localhost:1", "http://[::1]:1"]
)
def test_loopback_and_https_accepted(url: str) -> None:
    assert SepuruxClient(url, TOKEN).base_url == url
    assert SepuruxClient("https://app.sepurux.dev/api/backend", None).base_url.startswith("https")


def test_credentials_in_url_refused_without_echoing_them() -> None:
    with pytest.raises(UsageError) as caught:
        SepuruxClient("https://user:hunter2@app.sepurux.dev", TOKEN)
    assert "hunter2" not in str(caught.value)


def test_repr_hides_token(server: FakeServer) -> None:
    text = repr(client_for(server.url))
    assert TOKEN not in text and "SEPURUX_API_KEY" in text


def test_cross_origin_redirect_is_refused_and_token_not_forwarded(
    server: FakeServer, other_server: FakeServer
) -> None:
    server.responder = lambda _s: Reply(302, {}, headers={"Location": other_server.url + "/x"})
    other_server.responder = lambda _s: Reply(200, [])
    with pytest.raises(ServiceError) as caught:
        client_for(server.url).list_campaigns()
    assert caught.value.kind == "http"
    assert "another origin" in caught.value.message
    assert other_server.seen == []  # not even a request without the token
    assert TOKEN not in caught.value.message


def test_same_origin_redirect_is_followed_with_token(server: FakeServer) -> None:
    def respond(seen: Seen) -> Reply:
        if seen.path == "/v1/campaigns":
            return Reply(307, {}, headers={"Location": "/v2/campaigns"})
        return Reply(200, [{"campaign_id": "c"}])

    server.responder = respond
    assert client_for(server.url).list_campaigns() == [{"campaign_id": "c"}]
    assert [s.path for s in server.seen] == ["/v1/campaigns", "/v2/campaigns"]
    assert server.seen[1].headers["x-sepurux-token"] == TOKEN


def test_redirect_loop_stops(server: FakeServer) -> None:
    server.responder = lambda _s: Reply(302, {}, headers={"Location": "/v1/campaigns"})
    with pytest.raises(ServiceError, match="more than 3 redirects"):
        client_for(server.url).list_campaigns()
    assert len(server.seen) == 4


def test_post_redirect_that_drops_the_body_is_refused(server: FakeServer) -> None:
    server.responder = lambda _s: Reply(302, {}, headers={"Location": "/elsewhere"})
    with pytest.raises(ServiceError, match="drops the body"):
        client_for(server.url).create_run({"campaign_id": "c"}, "key")
    assert len(server.seen) == 1


def test_connection_refused_is_unreachable_after_retries() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = client_for(f"http://127.0.0.1:{port}")
    with pytest.raises(ServiceError) as caught:
        client.list_campaigns()
    assert caught.value.kind == "unreachable"
    assert f"cannot reach GET http://127.0.0.1:{port}/v1/campaigns" in caught.value.message
    assert "gave up after 3 attempts" in caught.value.message
    assert client.thread_request_count() == 3


def test_401_names_the_variable_never_the_token(server: FakeServer) -> None:
    server.responder = lambda _s: Reply(401, {"detail": f"bad token {TOKEN}"})
    with pytest.raises(ServiceError) as caught:
        client_for(server.url, token_env="MY_TOKEN_VAR").list_campaigns()
    assert caught.value.kind == "auth"
    assert "check the token in MY_TOKEN_VAR" in caught.value.message
    assert TOKEN not in caught.value.message and TOKEN not in str(caught.value)
    assert len(server.seen) == 1  # never retried


def test_missing_token_says_to_set_the_variable(server: FakeServer) -> None:
    server.responder = lambda _s: Reply(403, {"detail": "forbidden"})
    with pytest.raises(ServiceError) as caught:
        SepuruxClient(server.url, None).list_campaigns()
    assert caught.value.message == (
        f"GET {server.url}/v1/campaigns answered 403 (forbidden); "
        "no token was sent: set SEPURUX_API_KEY"
    )
    assert "x-sepurux-token" not in server.seen[0].headers


def test_other_4xx_fails_at_once_with_detail(server: FakeServer) -> None:
    server.responder = lambda _s: Reply(422, {"detail": "thresholds.min_pass_rate: not a number"})
    with pytest.raises(ServiceError) as caught:
        client_for(server.url).create_run({"campaign_id": "c"}, "key")
    assert caught.value.kind == "http"
    assert caught.value.message == (
        f"POST {server.url}/v1/ci/runs answered 422: thresholds.min_pass_rate: not a number"
    )
    assert len(server.seen) == 1


def test_404_is_not_found(server: FakeServer) -> None:
    server.responder = lambda _s: Reply(404, {"detail": "Campaign not found"})
    with pytest.raises(ServiceError) as caught:
        client_for(server.url).get_reliability("c1", RUN)
    assert caught.value.kind == "not_found"
    assert server.seen[0].path == f"/v1/campaigns/c1/reliability?run_id={RUN}"


def test_5xx_retried_then_succeeds(server: FakeServer) -> None:
    replies = iter([Reply(503, {"detail": "busy"}), Reply(200, {"run_id": RUN})])
    server.responder = lambda _s: next(replies)
    assert client_for(server.url).create_run({"campaign_id": "c"}, "k1") == (RUN, "run")
    assert [s.headers["idempotency-key"] for s in server.seen] == ["k1", "k1"]


def test_create_without_key_is_not_retried(server: FakeServer) -> None:
    server.responder = lambda _s: Reply(500, {"detail": "boom"})
    with pytest.raises(ServiceError, match="answered 500: boom"):
        client_for(server.url).create_run({"campaign_id": "c"}, None)
    assert len(server.seen) == 1


@pytest.mark.slow
def test_retry_after_is_honoured(server: FakeServer) -> None:
    server_body_ok = {"status": "queued"}
    replies = iter(
        [
            Reply(429, {"detail": "slow down"}, headers={"Retry-After": "1"}),
            Reply(200, server_body_ok),
        ]
    )
    server.responder = lambda _s: next(replies)
    started = time.monotonic()
    assert client_for(server.url).get_run(RUN, "run") == server_body_ok
    assert time.monotonic() - started >= 1.0


def test_retry_after_beyond_deadline_fails_now(server: FakeServer) -> None:
    server.responder = lambda _s: Reply(429, {"detail": "later"}, headers={"Retry-After": "30"})
    with pytest.raises(ServiceError, match="no time left for a retry"):
        client_for(server.url).get_run(RUN, deadline=time.monotonic() + 2)
    # Failed at once: one request, no wait for the 30 s the server asked for (counted, not timed).
    assert len(server.seen) == 1


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(200, raw=b'{"run_id": "ab'), "answered 200 with invalid JSON"),
        (Reply(200, [1, 2]), "answered an array where a JSON object was expected"),
        (Reply(200, {"batch_id": ""}), "without a non-empty string 'run_id' or 'batch_id'"),
        (Reply(200, {"run_id": 7}), "without a non-empty string 'run_id' or 'batch_id'"),
    ],
)
def test_bad_create_answers_are_payload_errors(
    server: FakeServer, reply: Reply, message: str
) -> None:
    server.responder = lambda _s: reply
    with pytest.raises(ServiceError) as caught:
        client_for(server.url).create_run({"campaign_id": "c"}, "k")
    assert caught.value.kind == "payload"
    assert message in caught.value.message
    assert len(server.seen) == 1


def test_batch_id_accepted_when_run_id_missing(server: FakeServer) -> None:
    server.responder = lambda _s: Reply(200, {"batch_id": "b-1", "run_id": None})
    assert client_for(server.url).create_run({}, "k") == ("b-1", "batch")


def test_response_size_is_limited(server: FakeServer) -> None:
    big = b'{"x": "' + b"a" * 5000 + b'"}'
    server.responder = lambda _s: Reply(200, raw=big)
    with pytest.raises(ServiceError, match="over the 1000-byte limit"):
        client_for(server.url, max_response_bytes=1000).get_run(RUN)


def test_streamed_response_without_length_is_cut(server: FakeServer) -> None:
    big = b'{"x": "' + b"a" * 300_000 + b'"}'
    server.responder = lambda _s: Reply(200, raw=big, chunked=True)
    with pytest.raises(ServiceError, match="more than the 100000-byte limit"):
        client_for(server.url, max_response_bytes=100_000).get_run(RUN)


def test_slow_answer_times_out_and_is_retried(server: FakeServer) -> None:
    def respond(_seen: Seen) -> Reply:
        time.sleep(0.6)
        return Reply(200, {"status": "done"})

    server.responder = respond
    with pytest.raises(ServiceError) as caught:
        client_for(server.url, request_timeout=0.2).get_run(RUN)
    # Each try cut at its 0.2 s timeout, then retried: the message and the count say so.
    assert caught.value.kind == "unreachable"
    assert "within 0.2 s" in caught.value.message
    assert len(server.seen) == 3


def test_campaign_list_shapes(server: FakeServer) -> None:
    server.responder = lambda _s: Reply(200, {"campaigns": [{"campaign_id": "a"}]})
    assert client_for(server.url).list_campaigns() == [{"campaign_id": "a"}]
    server.responder = lambda _s: Reply(200, [{"campaign_id": "a"}, "b"])
    with pytest.raises(ServiceError, match="campaign #1 is a string"):
        client_for(server.url).list_campaigns()


def test_upload_trace(server: FakeServer) -> None:
    server.responder = lambda _s: Reply(200, {"trace_id": "t-1"})
    client = client_for(server.url)
    assert client.upload_trace({"trace_version": "0.1", "events": []}) == "t-1"
    assert client.upload_trace({"events": [], "trace_version": "0.1"}) == "t-1"
    first, second = server.seen
    assert first.body == {"trace_version": "0.1", "events": []}
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
