"""The client and scheduler against the sandbox over loopback HTTP, one test per fault."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gate_runner.api import (
    RetryPolicy,
    RunContext,
    RunEvent,
    RunOutcome,
    RunRequest,
    SepuruxClient,
    execute_runs,
)
from gate_runner.sandbox import Sandbox, Scenario, campaign_uuid

from .conftest import FakeServer

# Each test runs the client against a sandbox and waits out its first poll interval (0.7 s),
# some retries and deadlines too: half a minute in all, so the module is slow.
pytestmark = pytest.mark.slow

TOKEN = "sbx-SECRET-token-0042"
FAST = RetryPolicy(attempts=4, base=0.02, cap=0.05)
CONTEXT = RunContext(repo="acme/agent", pull_request=42, commit="0123abcd")
CREATE = "POST /v1/ci/runs"
POLL = "GET /v1/ci/runs/{run_id}"
LIST = "GET /v1/campaigns"


@dataclass
class Gate:
    outcomes: list[RunOutcome]
    counts: dict[str, int]
    runs_created: int
    events: list[RunEvent] = field(default_factory=list)
    elapsed: float = 0.0
    deadline: float = 0.0

    @property
    def only(self) -> RunOutcome:
        assert len(self.outcomes) == 1
        return self.outcomes[0]


def gate(
    campaigns: list[dict[str, Any]],
    requests: list[RunRequest] | None = None,
    *,
    timeout: float = 15.0,
    token: str = TOKEN,
    retry: RetryPolicy = FAST,
    request_timeout: float = 5.0,
    cancel: threading.Event | None = None,
    global_faults: list[dict[str, Any]] | None = None,
) -> Gate:
    scenario = Scenario.from_dict({"campaigns": campaigns, "faults": global_faults or []})
    if requests is None:
        requests = [RunRequest(c["name"], c["name"], "trace-1", None, {}) for c in campaigns]
    events: list[RunEvent] = []
    with Sandbox(scenario, token=TOKEN) as sandbox:
        client = SepuruxClient(
            sandbox.url, token, token_env="CI_TOKEN", retry=retry, request_timeout=request_timeout
        )
        started = time.monotonic()
        deadline = started + timeout
        outcomes = execute_runs(
            client,
            requests,
            CONTEXT,
            deadline=deadline,
            concurrency=4,
            policy_digest="sha256:abc",
            on_event=events.append,
            cancel=cancel,
        )
        elapsed = time.monotonic() - started
        client.close()
        result = Gate(
            outcomes, sandbox.request_counts(), sandbox.runs_created, events, elapsed, deadline
        )
    for outcome in outcomes:
        if outcome.error is not None:
            assert TOKEN not in str(outcome.error) and TOKEN not in outcome.error.message
    for event in events:
        assert TOKEN not in event.message
    return result


def core(duration: float = 0.3, **extra: Any) -> dict[str, Any]:
    return {"name": "core", "duration": duration, **extra}


def error_of(outcome: RunOutcome) -> tuple[str, str]:
    assert outcome.error is not None, outcome
    return outcome.error.kind, outcome.error.message


def test_clean_run_passes_with_few_requests() -> None:
    result = gate([core(metrics={"pass_rate": 0.95})])
    outcome = result.only
    assert outcome.status == "done" and outcome.error is None
    assert outcome.payload is not None and outcome.payload["decision"] == "pass"
    assert outcome.campaign_id == campaign_uuid("core")
    assert result.counts[LIST] == 1 and result.counts[CREATE] == 1
    assert result.counts[POLL] <= 2
    assert outcome.requests == sum(result.counts.values())
    states = [e.state for e in result.events]
    assert states == ["resolving", "creating", "queued", "done"]


def test_500_on_create_after_commit_is_retried_without_a_second_run() -> None:
    fault = {"kind": "status", "on": "create", "status": 500, "times": 2, "processed": True}
    result = gate([core(faults=[fault])])
    assert result.only.status == "done"
    assert result.counts[CREATE] == 3
    assert result.runs_created == 1  # the Idempotency-Key re-attached to the first run


def test_500_first_polls_then_fine_is_retried() -> None:
    fault = {"kind": "status", "on": "poll", "status": 500, "times": 2}
    result = gate([core(duration=0.1, faults=[fault])])
    assert result.only.status == "done"
    assert result.counts[POLL] == 3


def test_500_always_is_an_http_error_after_retries() -> None:
    fault = {"kind": "status", "on": "poll", "status": 500, "detail": "database down"}
    result = gate([core(faults=[fault])])
    kind, message = error_of(result.only)
    assert result.only.status == "error" and kind == "http"
    assert "answered 500: database down (gave up after 4 attempts)" in message
    assert result.counts[POLL] == FAST.attempts


def test_500_always_on_create_gives_up_with_one_run() -> None:
    fault = {"kind": "status", "on": "create", "status": 503, "processed": True}
    result = gate([core(faults=[fault])])
    kind, message = error_of(result.only)
    assert kind == "http" and "answered 503" in message
    assert result.counts[CREATE] == FAST.attempts
    assert result.runs_created == 1


def test_429_retry_after_is_honoured_on_create() -> None:
    fault = {"kind": "status", "on": "create", "status": 429, "retry_after": 1, "times": 1}
    result = gate([core(duration=0.1, faults=[fault])])
    assert result.only.status == "done"
    assert result.counts[CREATE] == 2
    # Resolve + a 1 s wait + create + poll: the backoff alone (<= 0.05 s) could not take this long.
    assert result.elapsed >= 1.0


def test_429_retry_after_http_date_is_honoured_on_poll() -> None:
    from email.utils import formatdate, parsedate_to_datetime

    when = formatdate(time.time() + 4, usegmt=True)
    fault = {"kind": "status", "on": "poll", "status": 429, "retry_after": when, "times": 1}
    result = gate([core(duration=0.1, faults=[fault])])
    finished = time.time()
    assert result.only.status == "done"
    assert result.counts[POLL] == 2
    # The retry waited for the date: the run ended after it. Measured against the date, not
    # from the gate's start (`elapsed >= 1.0` failed under load: a slow start ate the wait).
    assert finished >= parsedate_to_datetime(when).timestamp()


def test_connection_reset_is_retried() -> None:
    fault = {"kind": "reset", "on": "poll", "times": 2}
    result = gate([core(duration=0.1, faults=[fault])])
    assert result.only.status == "done"
    assert result.counts[POLL] == 3


def test_connection_reset_always_is_unreachable() -> None:
    result = gate([core()], global_faults=[{"kind": "reset", "on": "campaigns"}])
    kind, message = error_of(result.only)
    assert kind == "unreachable" and "gave up after 4 attempts" in message
    assert result.counts[LIST] == FAST.attempts
    assert CREATE not in result.counts


# A request timeout an unfaulted answer meets on a loaded machine (at 0.3 s a stalled list or
# create would be retried too, and the request count off by one); the slow fault waits longer.
LOADED_REQUEST_TIMEOUT = 1.5
SLOW_DELAY = 4.0


def test_slow_answer_beyond_request_timeout_is_retried() -> None:
    fault = {"kind": "slow", "on": "poll", "delay": SLOW_DELAY, "times": 1}
    result = gate([core(duration=0.1, faults=[fault])], request_timeout=LOADED_REQUEST_TIMEOUT)
    assert result.only.status == "done"
    # list + create + the abandoned slow poll + its retry (the sandbox counts a request
    # once it has answered, so the slow one may still be sleeping there).
    assert result.only.requests == 4


def test_slow_answer_always_is_unreachable() -> None:
    fault = {"kind": "slow", "on": "poll", "delay": SLOW_DELAY}
    result = gate([core(faults=[fault])], request_timeout=LOADED_REQUEST_TIMEOUT)
    kind, message = error_of(result.only)
    assert kind == "unreachable"
    assert "within 1.5 s" in message and "gave up after 4 attempts" in message


def test_truncated_json_is_a_payload_error() -> None:
    result = gate([core(faults=[{"kind": "truncated", "on": "poll"}])])
    kind, message = error_of(result.only)
    assert kind == "payload" and "invalid JSON" in message
    assert result.counts[POLL] == 1  # a broken answer is not retried


def test_array_instead_of_object_is_a_payload_error() -> None:
    result = gate([core(faults=[{"kind": "array", "on": "poll"}])])
    kind, message = error_of(result.only)
    assert kind == "payload"
    assert "answered an array where a JSON object was expected" in message


@pytest.mark.parametrize("field_name", ["status", "decision"])
def test_wrong_type_of_a_field_the_client_needs_names_it(field_name: str) -> None:
    fault = {"kind": "wrong_types", "on": "poll", "fields": [field_name], "value": 3}
    result = gate([core(duration=0.1, faults=[fault])])
    kind, message = error_of(result.only)
    assert kind == "payload"
    assert f"field '{field_name}' is a number, expected a string" in message


def test_wrong_metric_types_are_passed_through_raw() -> None:
    # Metrics are the evaluator's to check; the client must not coerce or drop them.
    result = gate([core(duration=0.1, faults=[{"kind": "wrong_types", "on": "poll"}])])
    assert result.only.status == "done"
    assert result.only.payload is not None and result.only.payload["pass_rate"] == "1.0"


def test_missing_decision_on_a_done_run_names_the_field() -> None:
    fault = {"kind": "missing_fields", "on": "poll", "fields": ["decision"]}
    result = gate([core(duration=0.1, faults=[fault])])
    kind, message = error_of(result.only)
    assert kind == "payload" and "field 'decision' is null, expected a string" in message


def test_missing_status_names_the_field() -> None:
    fault = {"kind": "missing_fields", "on": "poll", "fields": ["status"]}
    kind, message = error_of(gate([core(faults=[fault])]).only)
    assert kind == "payload" and "field 'status' is null" in message


def test_failed_status_is_run_failed_whatever_the_decision() -> None:
    result = gate([core(duration=0.1, faults=[{"kind": "run_failed", "on": "poll"}])])
    kind, message = error_of(result.only)
    assert result.only.status == "error" and kind == "run_failed"
    assert "status failed" in message


def test_never_finishes_times_out_at_the_deadline() -> None:
    # 3.5 s: five 0.7 s intervals when answers are instant, and still room for three polls when
    # a loaded machine takes up to ~0.45 s over each answer (2.5 s left room for 0.1 s).
    result = gate([core(faults=[{"kind": "never_finishes", "on": "poll"}])], timeout=3.5)
    outcome = result.only
    kind, message = error_of(outcome)
    assert outcome.status == "timeout" and kind == "timeout"
    assert "no decision by the deadline: the run was still running" in message
    assert outcome.finished - result.deadline < 0.5
    assert result.elapsed >= 3.5
    assert result.events[-1].state == "timeout"
    assert 3 <= result.counts[POLL] <= 8  # adaptive interval, not a busy loop


def test_401_names_the_variable_not_the_token() -> None:
    wrong = "wrong-SECRET-value-99"
    result = gate([core()], token=wrong)
    kind, message = error_of(result.only)
    assert kind == "auth" and "check the token in CI_TOKEN" in message
    assert wrong not in message and TOKEN not in message
    assert result.counts == {LIST: 1}  # never retried, nothing else attempted


def test_unknown_campaign_name_is_not_found_with_close_names() -> None:
    requests = [
        RunRequest("a", "core-reliabilty", None, None, {}),
        RunRequest("b", "core-reliability", None, None, {}),
    ]
    result = gate([core(name="core-reliability")], requests)
    kind, message = error_of(result.outcomes[0])
    assert kind == "not_found"
    assert message == (
        "campaign 'core-reliabilty' not found among the 1 campaigns visible; "
        "did you mean 'core-reliability'?"
    )
    assert result.outcomes[1].status == "done"
    assert result.counts[LIST] == 1 and result.counts[CREATE] == 1


def test_unknown_campaign_uuid_is_not_found_at_create() -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    result = gate([core()], [RunRequest("x", unknown, None, None, {})])
    kind, message = error_of(result.only)
    assert kind == "not_found" and "POST" in message and "answered 404" in message


def test_campaign_uuid_that_is_listed_is_used_directly() -> None:
    cid = campaign_uuid("core")
    result = gate([core()], [RunRequest("x", cid, None, None, {})])
    assert result.only.campaign_id == cid and result.only.status == "done"


def test_failed_campaign_list_fails_every_run() -> None:
    fault = {"kind": "status", "on": "campaigns", "status": 502}
    result = gate([core(), {"name": "other"}], global_faults=[fault])
    errors = [error_of(o) for o in result.outcomes]
    assert errors[0] == errors[1] and errors[0][0] == "http"
    assert CREATE not in result.counts


def test_no_run_id_in_create_is_a_payload_error() -> None:
    result = gate([core(faults=[{"kind": "no_run_id", "on": "create"}])])
    kind, message = error_of(result.only)
    assert kind == "payload" and "'run_id' or 'batch_id'" in message


def test_oversized_answer_is_refused() -> None:
    fault = {"kind": "oversized", "on": "poll", "size": 6 * 1024 * 1024}
    kind, message = error_of(gate([core(faults=[fault])]).only)
    assert kind == "payload" and "5242880-byte limit" in message


def test_redirect_to_another_host_keeps_the_token(other_server: FakeServer) -> None:
    fault = {"kind": "redirect", "on": "poll", "location": other_server.url + "{path}"}
    kind, message = error_of(gate([core(faults=[fault])]).only)
    assert kind == "http" and "another origin" in message
    assert other_server.seen == []


def test_batch_mode_is_polled_by_batch_id() -> None:
    result = gate([core(mode="batch")])
    assert result.only.status == "done"
    assert result.counts.get("GET /v1/ci/batch/{batch_id}", 0) >= 1
    assert POLL not in result.counts


def test_reliability_read_when_payload_lacks_score() -> None:
    requests = [RunRequest("core", "core", "t", None, {}, needs_reliability=True)]
    result = gate([core(metrics={"reliability_score": 87})], requests)
    payload = result.only.payload
    assert payload is not None and payload["reliability"]["reliability_score"] == 0.87
    assert result.counts["GET /v1/campaigns/{campaign_id}/reliability"] == 1


RELIABILITY = "GET /v1/campaigns/{campaign_id}/reliability"


def test_batch_reliability_is_read_with_the_first_member_run_as_the_sdk_does() -> None:
    requests = [RunRequest("core", "core", "t", None, {}, needs_reliability=True)]
    result = gate([core(mode="batch", trace_count=3, metrics={"reliability_score": 87})], requests)
    payload = result.only.payload
    assert payload is not None and payload["reliability"]["reliability_score"] == 0.87
    assert payload["reliability_run_id"] == payload["run_ids"][0] != payload["batch_id"]
    assert payload["reliability"]["run_id"] == payload["run_ids"][0]
    assert result.counts[RELIABILITY] == 1


def test_batch_reliability_falls_back_to_the_batch_id_on_404() -> None:
    requests = [RunRequest("core", "core", "t", None, {}, needs_reliability=True)]
    fault = {"kind": "status", "on": "reliability", "status": 404, "times": 1}
    result = gate([core(mode="batch", faults=[fault])], requests)
    payload = result.only.payload
    assert result.only.error is None and payload is not None
    assert payload["reliability_run_id"] == payload["batch_id"]
    assert payload["reliability"]["run_id"] == payload["batch_id"]
    assert result.counts[RELIABILITY] == 2


def test_single_run_reliability_is_read_with_its_run_id() -> None:
    requests = [RunRequest("core", "core", "t", None, {}, needs_reliability=True)]
    payload = gate([core()], requests).only.payload
    assert payload is not None and payload["reliability_run_id"] == payload["run_id"]


def test_batch_reliability_404_for_both_ids_is_an_error() -> None:
    requests = [RunRequest("core", "core", "t", None, {}, needs_reliability=True)]
    fault = {"kind": "status", "on": "reliability", "status": 404, "detail": "no score"}
    result = gate([core(mode="batch", faults=[fault])], requests)
    kind, message = error_of(result.only)
    assert kind == "not_found" and "no score" in message
    assert result.counts[RELIABILITY] == 2


def test_reliability_failure_is_an_error_of_that_campaign() -> None:
    requests = [RunRequest("core", "core", "t", None, {}, needs_reliability=True)]
    fault = {"kind": "status", "on": "reliability", "status": 404, "detail": "no score"}
    kind, message = error_of(gate([core(faults=[fault])], requests).only)
    assert kind == "not_found" and "no score" in message


def test_trace_file_is_uploaded_before_create(tmp_path: Path) -> None:
    trace = tmp_path / "trace.json"
    trace.write_text(json.dumps({"trace_version": "0.1", "source": "sdk", "events": []}))
    requests = [RunRequest("core", "core", None, str(trace), {})]
    result = gate([core()], requests)
    assert result.only.status == "done"
    assert result.counts["POST /v1/traces"] == 1


def test_invalid_trace_file_is_an_error_naming_it(tmp_path: Path) -> None:
    trace = tmp_path / "trace.json"
    trace.write_text("{not json")
    missing = tmp_path / "missing.json"
    requests = [
        RunRequest("a", "core", None, str(trace), {}),
        RunRequest("b", "core", None, str(missing), {}),
    ]
    result = gate([core()], requests)
    for outcome, name in zip(result.outcomes, (trace, missing), strict=True):
        kind, message = error_of(outcome)
        assert kind == "payload" and str(name) in message
    assert CREATE not in result.counts


def test_cancel_stops_promptly_and_marks_pending_runs() -> None:
    cancel = threading.Event()
    threading.Timer(0.8, cancel.set).start()
    result = gate([core(duration=30), {"name": "b", "duration": 30}], cancel=cancel)
    assert [o.status for o in result.outcomes] == ["cancelled", "cancelled"]
    assert all(error_of(o)[0] == "cancelled" for o in result.outcomes)
    # The campaigns take 30 s: far below that proves the stop; a loaded machine meets it.
    assert result.elapsed < 15
