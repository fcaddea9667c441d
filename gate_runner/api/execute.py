"""Run many campaigns at once: resolve names, create runs, poll them to a decision."""

from __future__ import annotations

import hashlib
import random
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from gate_runner.api.campaigns import resolve_campaign
from gate_runner.api.client import SepuruxClient
from gate_runner.api.model import RunContext, RunEvent, RunOutcome, RunRequest
from gate_runner.api.scheduler import PollPolicy, call_cancellable, run_jobs
from gate_runner.api.task import RunTask
from gate_runner.errors import ServiceError


def idempotency_key(commit: str | None, campaign: str, policy_digest: str, fresh: bool) -> str:
    """Stable for the same commit, campaign and policy, so a retried CI job re-attaches."""
    parts = [commit or "", campaign, policy_digest]
    if fresh:
        parts.append(secrets.token_hex(16))
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    return f"gate-runner-{digest[:40]}"


def run_key(request: RunRequest, context: RunContext, policy_digest: str, fresh: bool) -> str:
    """The Idempotency-Key of one campaign's create: what `check` sends and `--dry-run` shows."""
    # The key also names the policy entry, so two entries running one campaign with
    # different thresholds never share a run. Without a commit there is nothing to tie
    # a run to the code under test, so each gate starts its own.
    # Run 1 keeps the key of a single-run gate; runs 2.. of a repeated campaign get their
    # own, the same on every retry, so a retried job re-attaches to the same N runs.
    repeat = f"\0run {request.repeat_index}" if request.repeat_index > 1 else ""
    return idempotency_key(
        context.commit,
        f"{request.key}\0{request.name_or_id}{repeat}",
        policy_digest,
        fresh or context.commit is None,
    )


def execute_runs(
    client: SepuruxClient,
    requests: Sequence[RunRequest],
    context: RunContext,
    *,
    deadline: float,
    concurrency: int,
    policy_digest: str,
    fresh: bool = False,
    on_event: Callable[[RunEvent], None] | None = None,
    cancel: threading.Event | None = None,
    poll: PollPolicy | None = None,
    rng: random.Random | None = None,
) -> list[RunOutcome]:
    """Run every request to an outcome, in the order given; never raises ServiceError."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    emit = on_event or (lambda _event: None)
    source = rng or random.Random()  # noqa: S311 - jitter only
    tasks = [
        RunTask(
            request,
            client=client,
            context=context,
            idempotency_key=run_key(request, context, policy_digest, fresh),
            deadline=deadline,
            cancel=cancel,
            poll=poll or PollPolicy(),
            rng=random.Random(source.random()),  # noqa: S311 - jitter only
            emit=emit,
        )
        for request in requests
    ]
    if not tasks:
        return []
    for task in tasks:
        task.announce("resolving", f"resolving campaign {task.request.name_or_id!r}")
    ready = _resolve(client, tasks, deadline, cancel)
    if ready:
        result = run_jobs(ready, concurrency=concurrency, deadline=deadline, cancel=cancel)
        for task in ready:
            if result == "cancelled":
                task.finish("cancelled", ServiceError("cancelled", "cancelled before a decision"))
            else:
                task.timed_out()
    outcomes = [task.outcome for task in tasks]
    assert all(outcome is not None for outcome in outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


def _resolve(
    client: SepuruxClient,
    tasks: list[RunTask],
    deadline: float,
    cancel: threading.Event | None,
) -> list[RunTask]:
    """Resolve every campaign from one list call; the tasks that can go on."""
    if time.monotonic() >= deadline:
        for task in tasks:
            task.timed_out()
        return []
    sent = [0]

    def fetch() -> list[dict[str, Any]]:
        before = client.thread_request_count()
        try:
            return client.list_campaigns(deadline=deadline, cancel=cancel)
        finally:
            sent[0] = client.thread_request_count() - before

    try:
        if cancel is None:
            campaigns = fetch()
        else:
            campaigns = call_cancellable(fetch, cancel, message="cancelled while resolving")
    except ServiceError as error:
        status = error.kind if error.kind in ("timeout", "cancelled") else "error"
        for task in tasks:
            task.finish(status, error)
        return []
    finally:
        # The one shared request is counted against the first run only.
        tasks[0].requests += sent[0]
    ready = []
    for task in tasks:
        try:
            task.resolved(resolve_campaign(task.request.name_or_id, campaigns))
        except ServiceError as error:
            task.finish("error", error)
        else:
            ready.append(task)
    return ready
