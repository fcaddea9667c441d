"""One campaign's run as a small state machine the scheduler steps: upload, create, poll."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gate_runner import untrusted_json
from gate_runner.api.model import (
    RunContext,
    RunEvent,
    RunOutcome,
    RunOutcomeStatus,
    RunRequest,
)
from gate_runner.api.payload import poll_state
from gate_runner.api.request_body import create_body
from gate_runner.api.retry import TransientError
from gate_runner.api.scheduler import PollPolicy
from gate_runner.errors import ServiceError

if TYPE_CHECKING:
    from gate_runner.api.client import SepuruxClient


def reliability_run_id(payload: dict[str, Any], run_id: str, kind: str) -> str:
    """The run id to read reliability with: a batch's first member run, as the SDK reads it.

    ``sepurux`` 0.7.0 asks for ``run_ids[0]`` of a batch (the batch id when there is none);
    a single run is asked for by its own id.
    """
    members = payload.get("run_ids") if kind == "batch" else None
    if isinstance(members, list):
        for member in members:
            if isinstance(member, str) and member:
                return member
    return run_id


class RunTask:
    """The life of one RunRequest; ``step`` runs in a worker, everything else in the loop."""

    def __init__(
        self,
        request: RunRequest,
        *,
        client: SepuruxClient,
        context: RunContext,
        idempotency_key: str,
        deadline: float,
        cancel: threading.Event | None,
        poll: PollPolicy,
        rng: random.Random,
        emit: Callable[[RunEvent], None],
    ) -> None:
        self.request = request
        self._client = client
        self._context = context
        self._key = idempotency_key
        self._deadline = deadline
        self._cancel = cancel
        self._poll = poll
        self._rng = rng
        self._emit = emit
        self._lock = threading.Lock()
        self.phase = "resolving"  # resolving, upload, create, poll, reliability, finished
        self.campaign_id: str | None = None
        self.trace_id = request.trace_id
        self.run_id: str | None = None
        self.run_kind = "run"
        self.payload: dict[str, Any] | None = None
        self.last_seen = "resolving"  # the state named in a timeout message
        self.started = time.monotonic()
        self.requests = 0
        self.created_at: float | None = None
        self._interval: float | None = None
        self._poll_failures = 0
        self._last_poll_error: str | None = None
        self._announced: str | None = None
        self._pending_end: tuple[RunOutcomeStatus, ServiceError | None] | None = None
        self.outcome: RunOutcome | None = None

    # -- loop thread -----------------------------------------------------------------

    def announce(self, state: str, message: str) -> None:
        """Emit an event when the state changed since the last one."""
        if state != self._announced:
            self._announced = state
            self._emit(RunEvent(self.request.key, state, message))

    def resolved(self, campaign_id: str) -> None:
        self.campaign_id = campaign_id
        self.started = time.monotonic()
        self.phase = "upload" if self.request.trace_file and not self.trace_id else "create"

    def finish(self, status: RunOutcomeStatus, error: ServiceError | None = None) -> None:
        """Close the task once, snapshotting its outcome; a late worker result is ignored."""
        with self._lock:
            if self.outcome is not None:
                return
            self.phase = "finished"
            self.outcome = RunOutcome(
                key=self.request.key,
                campaign_id=self.campaign_id,
                run_id=self.run_id,
                payload=self.payload,
                error=error,
                status=status,
                started=self.started,
                finished=time.monotonic(),
                requests=self.requests,
            )
        if error is not None:
            self.announce(status, error.message)
        else:
            decision = (self.payload or {}).get("decision")
            self.announce("done", f"decision {decision} (run {self.run_id})")

    def before_step(self) -> None:
        if self.phase == "create":
            self.announce("creating", f"creating a run of campaign {self.campaign_id}")
            self.last_seen = "creating"

    def after_step(self) -> None:
        if self._pending_end is not None:
            self.finish(*self._pending_end)
        elif self.phase == "poll":
            self.announce(self.last_seen, f"run {self.run_id} is {self.last_seen}")

    def timed_out(self) -> None:
        self.finish("timeout", self.timeout_error())

    def timeout_error(self) -> ServiceError:
        detail = f"; last poll failed: {self._last_poll_error}" if self._last_poll_error else ""
        where = f" (run {self.run_id})" if self.run_id else ""
        return ServiceError(
            "timeout",
            f"no decision by the deadline: the run was still {self.last_seen}{where}{detail}",
        )

    # -- worker thread ---------------------------------------------------------------

    def step(self) -> float | None:
        before = self._client.thread_request_count()
        try:
            delay = self._step()
        except ServiceError as error:
            if error.kind == "timeout":
                self._pending_end = ("timeout", self.timeout_error())
            elif error.kind == "cancelled":
                self._pending_end = ("cancelled", error)
            else:
                self._pending_end = ("error", error)
            delay = None
        else:
            if delay is None:
                self._pending_end = ("done", None)
        finally:
            self.requests += self._client.thread_request_count() - before
        return delay

    def _budget(self) -> dict[str, Any]:
        return {"deadline": self._deadline, "cancel": self._cancel}

    def _step(self) -> float | None:
        if self.phase == "upload":
            self.trace_id = self._client.upload_trace(self._read_trace(), **self._budget())
            self.phase = "create"
            return 0.0
        if self.phase == "create":
            return self._create()
        if self.phase == "poll":
            return self._poll_once()
        if self.phase == "reliability":
            self._read_reliability()
            return None
        raise AssertionError(f"step in phase {self.phase}")

    def _read_reliability(self) -> None:
        assert self.payload is not None and self.campaign_id and self.run_id
        asked = reliability_run_id(self.payload, self.run_id, self.run_kind)
        try:
            answer = self._client.get_reliability(self.campaign_id, asked, **self._budget())
        except ServiceError as error:
            if error.kind != "not_found" or asked == self.run_id:
                raise
            # The SDK's member run is unknown here: the batch id is the older reading.
            asked = self.run_id
            answer = self._client.get_reliability(self.campaign_id, asked, **self._budget())
        # A new dict: the one already shared with a finished outcome stays unchanged.
        self.payload = {**self.payload, "reliability": answer, "reliability_run_id": asked}

    def _read_trace(self) -> dict[str, Any]:
        path, data = self.request.trace_file, self.request.trace_data
        try:
            if data is not None:  # read with the policy: from the ref under --policy-ref
                document = untrusted_json.loads(data)
            else:
                document = untrusted_json.load_file(Path(str(path)))
        except OSError as error:
            raise ServiceError(
                "payload", f"cannot read trace file {path}: {error.strerror or error}"
            ) from None
        except untrusted_json.UntrustedJSONError as error:
            raise ServiceError("payload", f"trace file {path} is not valid JSON: {error}") from None
        if not isinstance(document, dict):
            raise ServiceError("payload", f"trace file {path} must hold a JSON object")
        return document

    def _create(self) -> float:
        assert self.campaign_id is not None
        body = create_body(self.request, self._context, self.campaign_id, trace_id=self.trace_id)
        self.run_id, self.run_kind = self._client.create_run(body, self._key, **self._budget())
        self.created_at = time.monotonic()
        self.phase = "poll"
        self.last_seen = "queued"
        self._interval = self._poll.next_interval(None, 0.0)
        return self._poll.jittered(self._interval, self._rng)

    def _poll_once(self) -> float | None:
        assert self.run_id is not None and self.created_at is not None
        where = f"run {self.run_id}"
        try:
            answer = self._client.get_run(
                self.run_id, self.run_kind, retries=False, **self._budget()
            )
        except TransientError as error:
            # Retried here rather than in the client so no worker sleeps through a backoff.
            self._poll_failures += 1
            self._last_poll_error = error.message
            policy = self._client.retry
            if self._poll_failures >= policy.attempts:
                raise ServiceError(
                    error.kind, f"{error.message} (gave up after {self._poll_failures} attempts)"
                ) from None
            delay = policy.delay(self._poll_failures, error.retry_after, self._rng)
            # Said in the log even when the next poll succeeds: a flaky API should be visible.
            self._emit(
                RunEvent(
                    self.request.key,
                    "retrying",
                    f"{error.message}; retry {self._poll_failures} of {policy.attempts - 1} "
                    f"in {delay:.1f} s",
                )
            )
            return delay
        self._poll_failures = 0
        self._last_poll_error = None
        state = poll_state(answer, where)
        self.payload = answer
        self.last_seen = state
        if state == "done":
            if self.request.needs_reliability and "reliability_score" not in answer:
                self.phase = "reliability"
                return 0.0
            return None
        elapsed = time.monotonic() - self.created_at
        self._interval = self._poll.next_interval(self._interval, elapsed)
        return self._poll.jittered(self._interval, self._rng)
