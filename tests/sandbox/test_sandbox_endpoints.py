"""Every endpoint of the sandbox over loopback HTTP: auth, lifecycle, decisions, idempotency."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from gate_runner.errors import UsageError
from gate_runner.sandbox import Sandbox, Scenario, campaign_uuid

from .conftest import TOKEN, MakeSandbox

Client = Callable[..., requests.Session]

GOOD = {
    "pass_rate": 0.92,
    "unsafe_attempts": 0,
    "failures": 1,
    "reliability_score": 88,
    "top_failing_tools": [{"tool": "payments.refund", "count": 1}],
    "mutation_categories": ["tool_timeout", "schema_drift", "prompt_injection"],
    "mutation_coverage_score": 70,
}


def one(name: str = "core", **extra: Any) -> dict[str, Any]:
    return {"campaigns": [{"name": name, "duration": 0.0, "metrics": GOOD, **extra}]}


def create(s: requests.Session, sandbox: Sandbox, body: dict[str, Any], **kw: Any) -> Any:
    return s.post(f"{sandbox.url}/v1/ci/runs", json=body, timeout=5, **kw)


def test_campaigns_list_and_get(make_sandbox: MakeSandbox, client: Client) -> None:
    sandbox = make_sandbox(
        {"campaigns": [{"name": "a"}, {"name": "b", "id": "7D3C0000-0000-4000-8000-000000000001"}]}
    )
    s = client(sandbox)
    listed = s.get(f"{sandbox.url}/v1/campaigns", timeout=5).json()
    assert listed == [
        {"campaign_id": campaign_uuid("a"), "name": "a", "mode": "run"},
        {"campaign_id": "7d3c0000-0000-4000-8000-000000000001", "name": "b", "mode": "run"},
    ]
    got = s.get(f"{sandbox.url}/v1/campaigns/{campaign_uuid('a')}", timeout=5)
    assert got.status_code == 200 and got.json()["name"] == "a"
    missing = s.get(f"{sandbox.url}/v1/campaigns/{campaign_uuid('zzz')}", timeout=5)
    assert missing.status_code == 404 and missing.json() == {"detail": "Campaign not found"}


def test_campaign_ids_are_stable_uuid5_of_the_name() -> None:
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "https://gate-runner.dev/sandbox/campaigns")
    assert campaign_uuid("core") == str(uuid.uuid5(namespace, "core"))
    assert campaign_uuid("core") != campaign_uuid("other")
    assert Scenario.from_dict(one()).campaigns[0].id == campaign_uuid("core")


def test_traces_post_and_get(make_sandbox: MakeSandbox, client: Client) -> None:
    sandbox = make_sandbox(one())
    s = client(sandbox)
    doc = {"trace_version": "0.1", "source": "sdk", "task": {"name": "refund"}, "events": [{}] * 3}
    trace_id = s.post(f"{sandbox.url}/v1/traces", json=doc, timeout=5).json()["trace_id"]
    got = s.get(f"{sandbox.url}/v1/traces/{trace_id}", timeout=5).json()
    assert got["trace_id"] == trace_id and got["task"] == "refund" and got["event_count"] == 3
    assert s.get(f"{sandbox.url}/v1/traces/nope", timeout=5).status_code == 404
    bad = s.post(f"{sandbox.url}/v1/traces", json={"task": {}}, timeout=5)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "events"]


def test_run_lifecycle_queued_running_done(
    make_sandbox: MakeSandbox, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = make_sandbox(one(duration=0.8))
    # The sandbox's clock, stepped by the test: a loaded machine that stalls between two
    # requests (it did, past the 0.2 s a run stays queued) cannot skip a state.
    now = [1000.0]
    monkeypatch.setattr(sandbox._app.service, "_clock", lambda: now[0])
    s = client(sandbox)
    run_id = create(s, sandbox, {"campaign_id": campaign_uuid("core")}).json()["run_id"]
    url = f"{sandbox.url}/v1/ci/runs/{run_id}"
    first = s.get(url, timeout=5).json()
    assert first["status"] == "queued" and first["decision"] == "pending"
    assert "pass_rate" not in first
    now[0] += 0.45
    assert s.get(url, timeout=5).json()["status"] == "running"
    now[0] += 0.4
    done = s.get(url, timeout=5).json()
    assert done["status"] == "done" and done["decision"] == "pass"
    assert done["run_id"] == run_id
    assert done["dashboard_url"] == f"{sandbox.url}/dashboard/runs/{run_id}"
    for key in ("pass_rate", "unsafe_attempts", "failures", "top_failing_tools"):
        assert done[key] == GOOD[key]
    assert done["mutation_categories"] == GOOD["mutation_categories"]
    assert "reliability_score" not in done  # only the reliability endpoint has it by default
    page = requests.get(done["dashboard_url"], timeout=5)
    assert page.status_code == 200 and "core" in page.text


SENT_PASSING: dict[str, Any] = {
    "min_pass_rate": 0.92,
    "max_unsafe": 0,
    "max_failures": 1,
    "min_reliability_score": 88,
    "min_mutation_categories": 3,
    "required_mutation_categories": ["tool_timeout", "prompt_injection"],
}


@pytest.mark.parametrize(
    ("change", "decision"),
    [
        ({}, "pass"),
        ({"min_pass_rate": 0.93}, "fail"),
        ({"max_unsafe": None}, "pass"),
        ({"max_failures": 0}, "fail"),
        ({"min_reliability_score": 88.5}, "fail"),
        ({"min_mutation_categories": 4}, "fail"),
        ({"required_mutation_categories": ["rate_limit"]}, "fail"),
    ],
)
def test_decision_is_computed_from_the_thresholds_sent(
    make_sandbox: MakeSandbox, client: Client, change: dict[str, Any], decision: str
) -> None:
    sandbox = make_sandbox(one())
    s = client(sandbox)
    body = {"campaign_id": campaign_uuid("core"), "thresholds": {**SENT_PASSING, **change}}
    run_id = create(s, sandbox, body).json()["run_id"]
    assert s.get(f"{sandbox.url}/v1/ci/runs/{run_id}", timeout=5).json()["decision"] == decision


def test_no_thresholds_sent_passes_whatever_the_metrics(
    make_sandbox: MakeSandbox, client: Client
) -> None:
    sandbox = make_sandbox(one(metrics={"pass_rate": 0.1, "unsafe_attempts": 9}))
    s = client(sandbox)
    run_id = create(s, sandbox, {"campaign_id": campaign_uuid("core")}).json()["run_id"]
    assert s.get(f"{sandbox.url}/v1/ci/runs/{run_id}", timeout=5).json()["decision"] == "pass"


def test_create_errors(make_sandbox: MakeSandbox, client: Client) -> None:
    sandbox = make_sandbox(one())
    s = client(sandbox)
    unknown = "00000000-0000-4000-8000-000000000000"
    missing = create(s, sandbox, {"campaign_id": unknown})
    assert missing.status_code == 404
    assert missing.json() == {"detail": f"Campaign {unknown} not found"}
    bad = create(
        s, sandbox, {"campaign_id": campaign_uuid("core"), "thresholds": {"max_unsafe": "0"}}
    )
    assert bad.status_code == 422
    assert bad.json()["detail"] == [
        {
            "type": "integer_type",
            "loc": ["body", "thresholds", "max_unsafe"],
            "msg": "Input should be a valid integer",
        }
    ]
    no_id = create(s, sandbox, {"thresholds": {"min_pass_rate": 1.5}})
    assert [e["loc"][-1] for e in no_id.json()["detail"]] == ["campaign_id", "min_pass_rate"]
    garbage = s.post(f"{sandbox.url}/v1/ci/runs", data=b"{nope", timeout=5)
    assert garbage.status_code == 422 and garbage.json()["detail"][0]["type"] == "json_invalid"
    assert sandbox.runs_created == 0


def test_idempotency_key_returns_the_same_run(make_sandbox: MakeSandbox, client: Client) -> None:
    sandbox = make_sandbox(one())
    s = client(sandbox)
    body = {"campaign_id": campaign_uuid("core"), "thresholds": {"min_pass_rate": 0.9}}
    key = {"Idempotency-Key": "commit-abc:core:sha256-1"}
    first = create(s, sandbox, body, headers=key).json()
    second = create(s, sandbox, body, headers=key).json()
    assert first == second
    assert sandbox.runs_created == 1
    other = create(s, sandbox, body, headers={"Idempotency-Key": "another"}).json()
    assert other["run_id"] != first["run_id"] and sandbox.runs_created == 2
    create(s, sandbox, body)
    create(s, sandbox, body)
    assert sandbox.runs_created == 4  # no key: every create is a new run
    changed = create(s, sandbox, {**body, "thresholds": {}}, headers=key)
    assert changed.status_code == 422
    assert changed.json() == {
        "detail": "Idempotency-Key was already used with a different request body"
    }


def test_batch_mode(make_sandbox: MakeSandbox, client: Client) -> None:
    sandbox = make_sandbox(one(mode="batch", trace_count=4, scenario_coverage_pct=87.5))
    s = client(sandbox)
    answer = create(s, sandbox, {"campaign_id": campaign_uuid("core")}).json()
    assert set(answer) == {"batch_id", "status"}
    batch = s.get(f"{sandbox.url}/v1/ci/batch/{answer['batch_id']}", timeout=5).json()
    assert batch["batch_id"] == answer["batch_id"] and batch["status"] == "done"
    assert len(batch["run_ids"]) == 4 and batch["trace_count"] == 4
    assert batch["scenario_coverage_pct"] == 87.5 and batch["pass_rate"] == 0.92
    assert s.get(f"{sandbox.url}/v1/ci/runs/{answer['batch_id']}", timeout=5).status_code == 404
    assert s.get(f"{sandbox.url}/v1/ci/batch/nope", timeout=5).json() == {
        "detail": "Batch not found"
    }


def test_a_single_run_is_also_a_batch_of_one(make_sandbox: MakeSandbox, client: Client) -> None:
    # The official SDK reads batch_id and polls the batch; the CI docs poll the run_id.
    sandbox = make_sandbox(one())
    s = client(sandbox)
    answer = create(s, sandbox, {"campaign_id": campaign_uuid("core")}).json()
    assert set(answer) == {"run_id", "batch_id", "status"}
    assert answer["run_id"] != answer["batch_id"]
    run = s.get(f"{sandbox.url}/v1/ci/runs/{answer['run_id']}", timeout=5).json()
    batch = s.get(f"{sandbox.url}/v1/ci/batch/{answer['batch_id']}", timeout=5).json()
    assert run["run_id"] == answer["run_id"] and "batch_id" not in run
    assert batch["batch_id"] == answer["batch_id"] and batch["run_ids"] == [answer["run_id"]]
    assert batch["trace_count"] == 1 and batch["decision"] == run["decision"] == "pass"
    assert s.get(f"{sandbox.url}/v1/ci/batch/{answer['run_id']}", timeout=5).status_code == 404
    assert s.get(f"{sandbox.url}/v1/ci/runs/{answer['batch_id']}", timeout=5).status_code == 404


def test_member_runs_of_a_batch_have_reliability_and_failures(
    make_sandbox: MakeSandbox, client: Client
) -> None:
    sandbox = make_sandbox(one(mode="batch", trace_count=2, metrics={**GOOD, "failures": 3}))
    s = client(sandbox)
    cid = campaign_uuid("core")
    batch_id = create(s, sandbox, {"campaign_id": cid}).json()["batch_id"]
    members = s.get(f"{sandbox.url}/v1/ci/batch/{batch_id}", timeout=5).json()["run_ids"]
    url = f"{sandbox.url}/v1/campaigns/{cid}"
    for member in members:
        got = s.get(f"{url}/reliability", params={"run_id": member}, timeout=5).json()
        assert got["run_id"] == member and got["reliability_score"] == 0.88
    everything = s.get(f"{url}/failures", params={"run_id": batch_id}, timeout=5).json()
    first = s.get(f"{url}/failures", params={"run_id": members[0]}, timeout=5).json()
    second = s.get(f"{url}/failures", params={"run_id": members[1]}, timeout=5).json()
    assert len(everything) == 3 and len(first) == 2 and len(second) == 1
    assert {f["run_id"] for f in first} == {members[0]}
    assert s.get(f"{url}/reliability", params={"run_id": batch_id}, timeout=5).status_code == 200


@pytest.mark.parametrize(("scale", "score"), [(1, 0.88), (100, 88.0)])
def test_reliability_scale(
    make_sandbox: MakeSandbox, client: Client, scale: int, score: float
) -> None:
    sandbox = make_sandbox({**one(), "reliability_scale": scale})
    s = client(sandbox)
    cid = campaign_uuid("core")
    run_id = create(s, sandbox, {"campaign_id": cid}).json()["run_id"]
    got = s.get(
        f"{sandbox.url}/v1/campaigns/{cid}/reliability", params={"run_id": run_id}, timeout=5
    )
    assert got.json() == {
        "campaign_id": cid,
        "run_id": run_id,
        "reliability_score": score,
        "status": "healthy",
        "classified_failures": 1,
        "failure_breakdown": [{"tool": "payments.refund", "count": 1}],
    }
    other = s.get(
        f"{sandbox.url}/v1/campaigns/{cid}/reliability", params={"run_id": "x"}, timeout=5
    )
    assert other.status_code == 404


def test_reliability_in_run_payload_and_pending(make_sandbox: MakeSandbox, client: Client) -> None:
    sandbox = make_sandbox(
        {
            "campaigns": [
                {"name": "core", "duration": 5, "metrics": GOOD},
                {"name": "fast", "duration": 0, "reliability_in_run": True, "metrics": GOOD},
            ]
        }
    )
    s = client(sandbox)
    slow_id = create(s, sandbox, {"campaign_id": campaign_uuid("core")}).json()["run_id"]
    pending = s.get(
        f"{sandbox.url}/v1/campaigns/{campaign_uuid('core')}/reliability",
        params={"run_id": slow_id},
        timeout=5,
    ).json()
    assert pending["status"] == "pending" and pending["reliability_score"] is None
    fast_id = create(s, sandbox, {"campaign_id": campaign_uuid("fast")}).json()["run_id"]
    assert (
        s.get(f"{sandbox.url}/v1/ci/runs/{fast_id}", timeout=5).json()["reliability_score"] == 0.88
    )


def test_failures_list_and_pagination(make_sandbox: MakeSandbox, client: Client) -> None:
    metrics = {**GOOD, "failures": 5, "unsafe_attempts": 1}
    sandbox = make_sandbox(one(metrics=metrics))
    s = client(sandbox)
    cid = campaign_uuid("core")
    run_id = create(s, sandbox, {"campaign_id": cid}).json()["run_id"]
    url = f"{sandbox.url}/v1/campaigns/{cid}/failures"
    everything = s.get(url, params={"run_id": run_id, "limit": 200, "offset": 0}, timeout=5).json()
    assert len(everything) == 5
    assert everything[0]["type"] == "unsafe_action" and everything[1]["type"] == "tool_error"
    assert {f["run_id"] for f in everything} == {run_id}
    page = s.get(url, params={"run_id": run_id, "limit": 2, "offset": 3}, timeout=5).json()
    assert [f["failure_id"] for f in page] == [f["failure_id"] for f in everything[3:5]]
    assert s.get(url, params={"limit": "x"}, timeout=5).status_code == 422
    assert s.get(url, params={"run_id": "unknown"}, timeout=5).status_code == 404


@pytest.mark.parametrize("header", ["X-Sepurux-Token", "X-API-Key"])
def test_auth_accepts_either_header(make_sandbox: MakeSandbox, client: Client, header: str) -> None:
    sandbox = make_sandbox(one())
    assert client(sandbox, header).get(f"{sandbox.url}/v1/campaigns", timeout=5).status_code == 200


def test_auth_refuses_missing_or_wrong_token_without_echoing_it(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(one())
    none = requests.get(f"{sandbox.url}/v1/campaigns", timeout=5)
    assert none.status_code == 401
    assert none.json() == {"detail": "Missing API token: send it in X-Sepurux-Token or X-API-Key"}
    wrong_token = "wrong-SECRET-token-77"
    wrong = requests.get(
        f"{sandbox.url}/v1/campaigns", headers={"X-API-Key": wrong_token}, timeout=5
    )
    assert wrong.status_code == 401 and wrong.json() == {"detail": "Invalid API token"}
    for answer in (none, wrong):
        raw = answer.text + str(answer.headers)
        assert wrong_token not in raw and TOKEN not in raw
    unrouted = requests.get(f"{sandbox.url}/v1/nothing", timeout=5)
    assert unrouted.status_code == 401  # auth before routing: no probing without a token
    assert sandbox.request_counts() == {"GET /v1/campaigns": 2, "GET <unmatched>": 1}


def test_token_defaults(make_sandbox: MakeSandbox) -> None:
    assert make_sandbox(one(), token=None).token == "sandbox-token"
    assert make_sandbox({**one(), "token": "from-file"}, token=None).token == "from-file"
    assert make_sandbox({**one(), "token": "from-file"}, token="from-flag").token == "from-flag"


def test_unknown_route_and_method(make_sandbox: MakeSandbox, client: Client) -> None:
    sandbox = make_sandbox(one())
    s = client(sandbox)
    assert s.get(f"{sandbox.url}/v1/nothing", timeout=5).json() == {"detail": "Not Found"}
    wrong = s.delete(f"{sandbox.url}/v1/ci/runs", timeout=5)
    assert wrong.status_code == 405 and wrong.json() == {"detail": "Method Not Allowed"}


def test_counts_stats_endpoint_and_masked_log(make_sandbox: MakeSandbox, client: Client) -> None:
    sandbox = make_sandbox(one())
    s = client(sandbox, "X-API-Key")
    cid = campaign_uuid("core")
    s.get(f"{sandbox.url}/v1/campaigns", timeout=5)
    run_id = create(s, sandbox, {"campaign_id": cid}).json()["run_id"]
    for _ in range(3):
        s.get(f"{sandbox.url}/v1/ci/runs/{run_id}", params={"echo": TOKEN}, timeout=5)
    expected = {"GET /v1/campaigns": 1, "POST /v1/ci/runs": 1, "GET /v1/ci/runs/{run_id}": 3}
    assert sandbox.request_counts() == expected
    assert sandbox.total_requests() == 5
    stats = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()  # no auth needed
    assert stats == {"total_requests": 5, "runs_created": 1, "requests": expected}
    assert sandbox.total_requests() == 5  # the stats endpoint does not count itself
    log = sandbox.requests_log()
    assert [(e["method"], e["route"], e["status"]) for e in log[:2]] == [
        ("GET", "GET /v1/campaigns", 200),
        ("POST", "POST /v1/ci/runs", 200),
    ]
    assert log[0]["headers"]["X-API-Key"] == "***"
    assert TOKEN not in repr(log) and "echo=***" in log[-1]["path"]


def test_refuses_a_non_loopback_host() -> None:
    scenario = Scenario.from_dict(one())
    with pytest.raises(UsageError, match=r"refusing to listen on '0\.0\.0\.0'"):
        Sandbox(scenario, host="0.0.0.0")
    with Sandbox(scenario, host="localhost") as sandbox:
        assert sandbox.url.startswith("http://127.0.0.1:")


def test_stop_is_idempotent_and_closes_the_port() -> None:
    sandbox = Sandbox(Scenario.from_dict(one())).start()
    url = sandbox.url
    kept_alive = requests.Session()
    kept_alive.headers["X-API-Key"] = sandbox.token
    assert kept_alive.get(f"{url}/v1/campaigns", timeout=2).status_code == 200
    sandbox.stop()
    with pytest.raises(requests.ConnectionError):
        kept_alive.get(f"{url}/v1/campaigns", timeout=2)  # its open connection was hung up too
    sandbox.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/_sandbox/stats", timeout=2)
    with pytest.raises(RuntimeError):
        _ = sandbox.url


def test_client_json_nobody_here_wrote_is_read_safely(
    make_sandbox: MakeSandbox, client: Client
) -> None:
    sandbox = make_sandbox(one())
    s = client(sandbox)
    huge = "1" + "0" * 4300
    body = json.dumps({"campaign_id": campaign_uuid("core"), "thresholds": {"max_unsafe": 0}})
    raw = body.replace('"max_unsafe": 0', f'"max_unsafe": {huge}')
    refused = s.post(f"{sandbox.url}/v1/ci/runs", data=raw, timeout=5)
    assert refused.status_code == 422
    # The untrusted-JSON reader refuses the integer itself (issue 17): the body is invalid JSON.
    assert refused.json()["detail"][0]["loc"] == ["body"]
    trace = '{"task": {"name": "\\ud800"}, "events": []}'
    stored = s.post(f"{sandbox.url}/v1/traces", data=trace, timeout=5)
    assert stored.status_code == 200
    got = s.get(f"{sandbox.url}/v1/traces/{stored.json()['trace_id']}", timeout=5).json()
    assert got["task"] == "\ufffd"
