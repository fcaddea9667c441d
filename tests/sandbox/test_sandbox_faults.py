"""Each fault kind over loopback HTTP, and how `times`, `after` and per-campaign counts line up."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from gate_runner.errors import UsageError
from gate_runner.sandbox import Sandbox, Scenario, campaign_uuid

from .conftest import TOKEN, MakeSandbox

Client = Callable[..., requests.Session]
CORE = campaign_uuid("core")
METRICS = {"pass_rate": 0.9, "failures": 2, "reliability_score": 81, "mutation_categories": ["a"]}


def scenario(
    *faults: dict[str, Any], campaign_faults: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "campaigns": [
            {"name": "core", "duration": 0, "metrics": METRICS, "faults": campaign_faults or []},
            {"name": "other", "duration": 0, "metrics": METRICS},
        ],
        "faults": list(faults),
    }


def start_run(s: requests.Session, sandbox: Sandbox, campaign: str = CORE) -> requests.Response:
    return s.post(f"{sandbox.url}/v1/ci/runs", json={"campaign_id": campaign}, timeout=5)


def poll(s: requests.Session, sandbox: Sandbox, run_id: str, **kw: Any) -> requests.Response:
    return s.get(f"{sandbox.url}/v1/ci/runs/{run_id}", timeout=kw.pop("timeout", 5), **kw)


def test_status_first_n_requests_then_fine(make_sandbox: MakeSandbox, client: Client) -> None:
    sandbox = make_sandbox(scenario({"on": "create", "kind": "status", "status": 500, "times": 2}))
    s = client(sandbox)
    answers = [start_run(s, sandbox) for _ in range(3)]
    assert [a.status_code for a in answers] == [500, 500, 200]
    assert answers[0].json() == {"detail": "Internal Server Error"}
    assert sandbox.runs_created == 1  # a 500 before processing starts nothing


def test_status_429_with_retry_after_and_detail(make_sandbox: MakeSandbox, client: Client) -> None:
    fault = {"on": "poll", "kind": "status", "status": 429, "retry_after": 2, "detail": "slow down"}
    http_date = {
        "on": "campaigns",
        "kind": "status",
        "status": 503,
        "retry_after": "Wed, 21 Oct 2026 07:28:00 GMT",
    }
    sandbox = make_sandbox(scenario(fault, http_date))
    s = client(sandbox)
    run_id = start_run(s, sandbox).json()["run_id"]
    answer = poll(s, sandbox, run_id)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "2"
    assert answer.json() == {"detail": "slow down"}
    listed = s.get(f"{sandbox.url}/v1/campaigns", timeout=5)
    assert listed.headers["Retry-After"] == "Wed, 21 Oct 2026 07:28:00 GMT"


def test_processed_status_starts_the_run_and_a_keyed_retry_reattaches(
    make_sandbox: MakeSandbox, client: Client
) -> None:
    fault = {"on": "create", "kind": "status", "status": 502, "times": 1, "processed": True}
    sandbox = make_sandbox(scenario(fault))
    s = client(sandbox)
    key = {"Idempotency-Key": "k1"}
    body = {"campaign_id": CORE}
    first = s.post(f"{sandbox.url}/v1/ci/runs", json=body, headers=key, timeout=5)
    assert first.status_code == 502 and sandbox.runs_created == 1
    retry = s.post(f"{sandbox.url}/v1/ci/runs", json=body, headers=key, timeout=5)
    assert retry.status_code == 200 and sandbox.runs_created == 1
    assert poll(s, sandbox, retry.json()["run_id"]).json()["status"] == "done"


def test_reset_drops_the_connection(make_sandbox: MakeSandbox, client: Client) -> None:
    sandbox = make_sandbox(scenario({"on": "campaigns", "kind": "reset", "times": 1}))
    s = client(sandbox)
    with pytest.raises(requests.ConnectionError):
        s.get(f"{sandbox.url}/v1/campaigns", timeout=5)
    assert s.get(f"{sandbox.url}/v1/campaigns", timeout=5).status_code == 200
    log = sandbox.requests_log()
    assert [(e["status"], e["fault"]) for e in log] == [(0, "reset"), (200, None)]


def test_slow_answers_after_the_delay(make_sandbox: MakeSandbox, client: Client) -> None:
    sandbox = make_sandbox(scenario({"on": "poll", "kind": "slow", "delay": 0.6, "times": 2}))
    s = client(sandbox)
    run_id = start_run(s, sandbox).json()["run_id"]
    with pytest.raises(requests.ReadTimeout):
        poll(s, sandbox, run_id, timeout=0.2)
    started = time.monotonic()
    assert poll(s, sandbox, run_id).json()["status"] == "done"
    assert time.monotonic() - started >= 0.55
    poll(s, sandbox, run_id)
    # Its two times spent, the fault lets the third poll through: counted, not timed.
    polls = [
        e["fault"] for e in sandbox.requests_log() if e["route"].startswith("GET /v1/ci/runs/")
    ]
    assert polls == ["slow", "slow", None]


def test_truncated_is_half_a_valid_json_body(make_sandbox: MakeSandbox, client: Client) -> None:
    sandbox = make_sandbox(scenario({"on": "poll", "kind": "truncated", "times": 1}))
    s = client(sandbox)
    run_id = start_run(s, sandbox).json()["run_id"]
    cut = poll(s, sandbox, run_id)
    whole = poll(s, sandbox, run_id)
    assert cut.status_code == 200 and cut.headers["Content-Type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.content)
    assert len(cut.content) == len(whole.content) // 2
    assert whole.content.startswith(cut.content)


def test_array_instead_of_an_object(make_sandbox: MakeSandbox, client: Client) -> None:
    sandbox = make_sandbox(scenario({"on": "create", "kind": "array"}))
    s = client(sandbox)
    body = start_run(s, sandbox).json()
    assert isinstance(body, list) and set(body[0]) == {"run_id", "batch_id", "status"}


def test_wrong_types_default_turns_metrics_into_strings_and_nulls(
    make_sandbox: MakeSandbox, client: Client
) -> None:
    sandbox = make_sandbox(scenario({"on": "poll", "kind": "wrong_types"}))
    s = client(sandbox)
    body = poll(s, sandbox, start_run(s, sandbox).json()["run_id"]).json()
    assert body["pass_rate"] == "0.9" and body["failures"] == "2"
    assert body["unsafe_attempts"] == "0"
    assert body["mutation_categories"] is None and body["top_failing_tools"] is None
    assert body["status"] == "done" and body["decision"] == "pass"  # only metrics are bent


def test_wrong_types_with_named_fields_and_value(make_sandbox: MakeSandbox, client: Client) -> None:
    fault = {"on": "create", "kind": "wrong_types", "fields": ["run_id", "batch_id"], "value": 7}
    sandbox = make_sandbox(scenario(fault))
    s = client(sandbox)
    assert start_run(s, sandbox).json() == {"run_id": 7, "batch_id": 7, "status": "queued"}


def test_a_run_id_only_create_answer(make_sandbox: MakeSandbox, client: Client) -> None:
    # The CI docs' answer, for clients that read run_id: the batch id taken away by a fault.
    fault = {"on": "create", "kind": "missing_fields", "fields": ["batch_id"]}
    sandbox = make_sandbox(scenario(fault))
    s = client(sandbox)
    assert set(start_run(s, sandbox).json()) == {"run_id", "status"}


def test_wrong_types_on_a_list_bends_each_item(make_sandbox: MakeSandbox, client: Client) -> None:
    sandbox = make_sandbox(scenario({"on": "campaigns", "kind": "wrong_types", "value": None}))
    s = client(sandbox)
    listed = s.get(f"{sandbox.url}/v1/campaigns", timeout=5).json()
    assert listed == [{"campaign_id": None, "name": None, "mode": "run"}] * 2


def test_missing_fields(make_sandbox: MakeSandbox, client: Client) -> None:
    fault = {"on": "poll", "kind": "missing_fields", "fields": ["pass_rate", "decision"]}
    sandbox = make_sandbox(scenario(fault))
    s = client(sandbox)
    body = poll(s, sandbox, start_run(s, sandbox).json()["run_id"]).json()
    assert "pass_rate" not in body and "decision" not in body
    assert body["failures"] == 2 and body["status"] == "done"


def test_missing_fields_default_removes_the_metrics(
    make_sandbox: MakeSandbox, client: Client
) -> None:
    sandbox = make_sandbox(scenario({"on": "reliability", "kind": "missing_fields"}))
    s = client(sandbox)
    body = s.get(f"{sandbox.url}/v1/campaigns/{CORE}/reliability", timeout=5).json()
    assert "reliability_score" not in body and "classified_failures" not in body
    assert body["status"] == "healthy"


def test_run_failed_says_failed_with_decision_pass(
    make_sandbox: MakeSandbox, client: Client
) -> None:
    sandbox = make_sandbox(scenario({"on": "poll", "kind": "run_failed"}))
    s = client(sandbox)
    body = poll(s, sandbox, start_run(s, sandbox).json()["run_id"]).json()
    assert body["status"] == "failed" and body["decision"] == "pass"


def test_never_finishes_only_for_the_campaign_that_declares_it(
    make_sandbox: MakeSandbox, client: Client
) -> None:
    sandbox = make_sandbox(scenario(campaign_faults=[{"on": "poll", "kind": "never_finishes"}]))
    s = client(sandbox)
    stuck = start_run(s, sandbox).json()["run_id"]
    fine = start_run(s, sandbox, campaign_uuid("other")).json()["run_id"]
    time.sleep(0.05)
    body = poll(s, sandbox, stuck).json()
    assert body["status"] == "running" and body["decision"] == "pending"
    assert "pass_rate" not in body and body["run_id"] == stuck
    assert poll(s, sandbox, fine).json()["status"] == "done"


def test_no_run_id_answers_an_empty_object(make_sandbox: MakeSandbox, client: Client) -> None:
    sandbox = make_sandbox(scenario({"on": "any", "kind": "no_run_id"}))
    s = client(sandbox)
    answer = start_run(s, sandbox)
    assert answer.status_code == 200 and answer.json() == {}
    assert sandbox.runs_created == 1
    assert s.get(f"{sandbox.url}/v1/campaigns", timeout=5).json()[0]["name"] == "core"


def test_oversized_body_is_exactly_size_bytes_of_json(
    make_sandbox: MakeSandbox, client: Client
) -> None:
    size = 2_000_000
    sandbox = make_sandbox(scenario({"on": "poll", "kind": "oversized", "size": size}))
    s = client(sandbox)
    answer = poll(s, sandbox, start_run(s, sandbox).json()["run_id"])
    assert int(answer.headers["Content-Length"]) == size == len(answer.content)
    assert answer.json()["status"] == "done"


def test_redirect_points_elsewhere_and_shows_a_naive_client_forwarding_the_token(
    make_sandbox: MakeSandbox, client: Client
) -> None:
    elsewhere = make_sandbox(scenario(), token="another-token")
    fault = {"on": "campaigns", "kind": "redirect", "location": elsewhere.url + "{path}"}
    sandbox = make_sandbox(scenario(fault))
    s = client(sandbox)
    answer = s.get(f"{sandbox.url}/v1/campaigns?x=1", allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"{elsewhere.url}/v1/campaigns?x=1"
    # requests itself forwards custom headers across hosts: the sandbox's log can prove it.
    s.get(f"{sandbox.url}/v1/campaigns", timeout=5)
    received = elsewhere.requests_log()[0]["headers"]
    assert received["X-Sepurux-Token"] == "***"
    assert TOKEN not in repr(elsewhere.requests_log())


def test_times_and_after_line_up_on_one_timeline(make_sandbox: MakeSandbox, client: Client) -> None:
    sandbox = make_sandbox(
        scenario(
            {"on": "campaigns", "kind": "status", "status": 503, "times": 2},
            {"on": "campaigns", "kind": "status", "status": 429, "after": 2, "times": 1},
            {"on": "campaigns", "kind": "status", "status": 500, "after": 4},
        )
    )
    s = client(sandbox)
    codes = [s.get(f"{sandbox.url}/v1/campaigns", timeout=5).status_code for _ in range(6)]
    assert codes == [503, 503, 429, 200, 500, 500]


def test_campaign_faults_count_per_campaign(make_sandbox: MakeSandbox, client: Client) -> None:
    fault = {"on": "create", "kind": "status", "status": 500, "times": 1}
    data = scenario()
    for campaign in data["campaigns"]:
        campaign["faults"] = [fault]
    sandbox = make_sandbox(data)
    s = client(sandbox)
    other = campaign_uuid("other")
    codes = [start_run(s, sandbox, cid).status_code for cid in (CORE, CORE, other, other)]
    assert codes == [500, 200, 500, 200]


def test_campaign_fault_reaches_its_polls_reliability_and_failures_only(
    make_sandbox: MakeSandbox, client: Client
) -> None:
    sandbox = make_sandbox(
        scenario(campaign_faults=[{"on": "any", "kind": "status", "status": 418, "after": 1}])
    )
    s = client(sandbox)
    run_id = start_run(s, sandbox).json()["run_id"]  # the first request about core goes through
    other_id = start_run(s, sandbox, campaign_uuid("other")).json()["run_id"]
    assert poll(s, sandbox, run_id).status_code == 418
    assert s.get(f"{sandbox.url}/v1/campaigns/{CORE}/reliability", timeout=5).status_code == 418
    assert s.get(f"{sandbox.url}/v1/campaigns/{CORE}/failures", timeout=5).status_code == 418
    assert poll(s, sandbox, other_id).status_code == 200
    assert (
        s.get(f"{sandbox.url}/v1/campaigns", timeout=5).status_code == 200
    )  # not about one campaign


def test_faults_come_after_auth(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(scenario({"on": "any", "kind": "reset"}))
    answer = requests.get(f"{sandbox.url}/v1/campaigns", headers={"X-API-Key": "wrong"}, timeout=5)
    assert answer.status_code == 401


def test_drip_sends_the_whole_answer_a_byte_at_a_time(
    make_sandbox: MakeSandbox, client: Client
) -> None:
    sandbox = make_sandbox(scenario({"on": "campaigns", "kind": "drip", "delay": 0.001}))
    s = client(sandbox)
    answer = s.get(f"{sandbox.url}/v1/campaigns", timeout=5, stream=True)
    declared = int(answer.headers["Content-Length"])
    reads = []
    while chunk := answer.raw.read1(64 * 1024):
        reads.append(chunk)
    body = b"".join(reads)
    assert len(body) == declared and json.loads(body)[0]["name"] == "core"
    assert len(reads) > declared // 2  # arrived in pieces, not in one write


def test_drip_defaults_to_a_byte_a_second_and_takes_delay_only() -> None:
    loaded = Scenario.from_dict(scenario({"on": "any", "kind": "drip"}))
    assert loaded.faults[0].delay == 1.0
    with pytest.raises(UsageError, match="`size` applies only to kind oversized, not drip"):
        Scenario.from_dict(scenario({"on": "any", "kind": "drip", "size": 3}))


@pytest.mark.parametrize(
    ("variant", "raw"), [("huge_integer", "1" + "0" * 4300), ("lone_surrogate", '"\\ud800"')]
)
def test_unsafe_json_adds_a_field_json_loads_cannot_carry(
    make_sandbox: MakeSandbox, client: Client, variant: str, raw: str
) -> None:
    fault = {"on": "create", "kind": "unsafe_json", "variant": variant}
    sandbox = make_sandbox(scenario(fault))
    answer = start_run(client(sandbox), sandbox)
    assert answer.status_code == 200
    assert answer.text.startswith('{"unsafe": ' + raw + ', "run_id": ')


def test_unsafe_json_with_a_status_is_the_detail(make_sandbox: MakeSandbox, client: Client) -> None:
    fault = {"on": "campaigns", "kind": "unsafe_json", "status": 500}
    sandbox = make_sandbox(scenario(fault))
    answer = client(sandbox).get(f"{sandbox.url}/v1/campaigns", timeout=5)
    assert answer.status_code == 500
    assert answer.text == '{"detail": 1' + "0" * 4300 + "}"
