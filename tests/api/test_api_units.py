"""Pure parts of the api package: payload rules, retry timing, poll interval, keys, scheduler."""

from __future__ import annotations

import itertools
import random
import threading
import time
from email.utils import formatdate

import pytest
from support import LOADED_BOUND_S

from gate_runner.api import PollPolicy, RetryPolicy, idempotency_key
from gate_runner.api.campaigns import resolve_campaign
from gate_runner.api.payload import poll_state
from gate_runner.api.retry import TransientError, call_with_retry, parse_retry_after
from gate_runner.api.scheduler import run_jobs
from gate_runner.errors import ServiceError


@pytest.mark.parametrize(
    ("payload", "state"),
    [
        ({"status": "queued"}, "queued"),
        ({"status": "running", "decision": "pending"}, "running"),
        ({"status": "pending", "decision": None}, "pending"),
        ({"status": "done", "decision": "pending"}, "pending"),
        ({"status": "done", "decision": "pass"}, "done"),
        ({"status": "done", "decision": "fail"}, "done"),
    ],
)
def test_poll_states(payload: dict[str, object], state: str) -> None:
    assert poll_state(payload, "run r") == state


@pytest.mark.parametrize(
    ("payload", "kind", "message"),
    [
        ({"status": "failed", "decision": "pass"}, "run_failed", "status failed"),
        ({"status": "error", "error": "worker lost"}, "run_failed", "(status error): worker lost"),
        ({"status": "paused"}, "payload", "unknown status 'paused'"),
        ({"decision": "pass"}, "payload", "field 'status' is null, expected a string"),
        ({"status": "done"}, "payload", "field 'decision' is null, expected a string"),
        ({"status": "done", "decision": True}, "payload", "field 'decision' is a boolean"),
        ({"status": "done", "decision": "maybe"}, "payload", "unknown decision 'maybe'"),
        ({"status": "running", "decision": 1}, "payload", "field 'decision' is a number"),
    ],
)
def test_poll_errors(payload: dict[str, object], kind: str, message: str) -> None:
    with pytest.raises(ServiceError) as caught:
        poll_state(payload, "run r")
    assert caught.value.kind == kind
    assert caught.value.message.startswith("run r: ")
    assert message in caught.value.message


def test_retry_after_parsing() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = time.time()
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now) == pytest.approx(30, abs=1)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now) == 0.0


def test_backoff_is_full_jitter_bounded_and_honours_retry_after() -> None:
    policy = RetryPolicy(base=0.5, cap=4.0)
    rng = random.Random(1)
    delays = [policy.delay(n, None, rng) for n in range(1, 8) for _ in range(50)]
    assert min(delays) >= 0.0 and max(delays) <= 4.0
    assert max(policy.delay(1, None, rng) for _ in range(50)) <= 0.5
    assert policy.delay(1, 3.0, rng) >= 3.0
    assert policy.delay(1, 10_000.0, rng) == policy.max_retry_after


def test_call_with_retry_only_retries_transient_errors() -> None:
    calls: list[int] = []

    def permanent() -> None:
        calls.append(1)
        raise ServiceError("http", "400")

    with pytest.raises(ServiceError, match="400"):
        call_with_retry(
            permanent, policy=RetryPolicy(), deadline=None, cancel=None, rng=random.Random(0)
        )
    assert len(calls) == 1


def test_call_with_retry_is_cut_by_cancel() -> None:
    cancel = threading.Event()

    calls: list[int] = []

    def busy() -> None:
        calls.append(1)
        cancel.set()
        raise TransientError("http", "503", retry_after=60)

    started = time.monotonic()
    with pytest.raises(ServiceError) as caught:
        call_with_retry(
            busy, policy=RetryPolicy(), deadline=None, cancel=cancel, rng=random.Random()
        )
    assert caught.value.kind == "cancelled"
    assert calls == [1]  # no retry after the cancel
    # Far below the 60 s Retry-After it would have slept, far above what a loaded machine takes.
    assert time.monotonic() - started < LOADED_BOUND_S


def test_poll_interval_grows_and_is_capped() -> None:
    policy = PollPolicy(initial=0.5, factor=1.5, cap=5.0, elapsed_fraction=0.2)
    interval, elapsed, seen = None, 0.0, []
    for _ in range(60):
        interval = policy.next_interval(interval, elapsed)
        elapsed += interval
        seen.append(interval)
    assert seen[0] == 0.5
    assert all(b >= a for a, b in itertools.pairwise(seen))
    assert max(seen) == 5.0
    # Never more than a fifth of the time already waited (once past the initial floor).
    waited = 0.0
    for value in seen:
        assert value <= max(0.5, 0.2 * waited) + 1e-9 or waited == 0.0
        waited += value
    rng = random.Random(3)
    jittered = [policy.jittered(1.0, rng) for _ in range(200)]
    assert min(jittered) >= 0.9 and max(jittered) <= 1.1 and len(set(jittered)) > 100


def test_idempotency_key_is_stable_and_fresh_is_not() -> None:
    key = idempotency_key("abc", "core", "sha256:1", False)
    assert key == idempotency_key("abc", "core", "sha256:1", False)
    assert key.startswith("gate-runner-") and len(key) <= 64
    assert key != idempotency_key("abd", "core", "sha256:1", False)
    assert key != idempotency_key("abc", "other", "sha256:1", False)
    assert key != idempotency_key("abc", "core", "sha256:2", False)
    assert idempotency_key("abc", "core", "sha256:1", True) != idempotency_key(
        "abc", "core", "sha256:1", True
    )


CAMPAIGNS = [
    {"campaign_id": "11111111-1111-4111-8111-111111111111", "name": "core"},
    {"campaign_id": "22222222-2222-4222-8222-222222222222", "name": "twin"},
    {"campaign_id": "33333333-3333-4333-8333-333333333333", "name": "twin"},
]


def test_resolution_by_id_and_name() -> None:
    assert resolve_campaign("core", CAMPAIGNS) == CAMPAIGNS[0]["campaign_id"]
    cid = CAMPAIGNS[1]["campaign_id"]
    assert resolve_campaign(cid, CAMPAIGNS) == cid
    with pytest.raises(ServiceError, match="ambiguous"):
        resolve_campaign("twin", CAMPAIGNS)
    with pytest.raises(ServiceError, match=r"among the 2 campaigns visible$"):
        resolve_campaign("zzz", CAMPAIGNS)


class SleepJob:
    """Steps ``steps`` times, each ``work`` long, then waits ``delay``; records concurrency."""

    active = 0
    peak = 0
    lock = threading.Lock()

    def __init__(self, steps: int, work: float, delay: float) -> None:
        self.steps, self.work, self.delay = steps, work, delay
        self.thread_names: set[str] = set()

    def before_step(self) -> None:
        pass

    def after_step(self) -> None:
        self.thread_names.add(threading.current_thread().name)

    def step(self) -> float | None:
        with SleepJob.lock:
            SleepJob.active += 1
            SleepJob.peak = max(SleepJob.peak, SleepJob.active)
        time.sleep(self.work)
        with SleepJob.lock:
            SleepJob.active -= 1
        self.steps -= 1
        return self.delay if self.steps else None


def test_scheduler_bounds_requests_in_flight_and_uses_one_loop() -> None:
    SleepJob.peak = 0
    jobs = [SleepJob(3, 0.05, 0.01) for _ in range(12)]
    before = threading.active_count()
    assert run_jobs(jobs, concurrency=3, deadline=time.monotonic() + 10) == "done"
    assert SleepJob.peak == 3
    assert all(job.steps == 0 for job in jobs)
    # Loop-side callbacks all ran on the calling thread, not one thread per job.
    assert {name for job in jobs for name in job.thread_names} == {threading.current_thread().name}
    assert threading.active_count() <= before + 3


def test_scheduler_stops_at_deadline_and_on_cancel() -> None:
    # The jobs would take 200 s and 5000 s: ending within LOADED_BOUND_S proves the stop, and
    # a loaded machine meets it (0.7 s and 0.5 s bounds did not; bench/polling.py times it).
    started = time.monotonic()
    timed_out = SleepJob(1000, 0.0, 0.2)
    result = run_jobs([timed_out], concurrency=1, deadline=started + 0.5)
    assert result == "timeout" and time.monotonic() - started < LOADED_BOUND_S
    assert timed_out.steps > 0  # stopped with steps left
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    started = time.monotonic()
    cancelled = SleepJob(1000, 0.0, 5.0)
    result = run_jobs([cancelled], concurrency=1, deadline=started + 60, cancel=cancel)
    assert result == "cancelled" and time.monotonic() - started < LOADED_BOUND_S
    assert cancelled.steps > 0
