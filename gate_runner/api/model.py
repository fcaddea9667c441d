"""The data that goes into and comes out of execute_runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from gate_runner.errors import ServiceError


@dataclass(frozen=True)
class RunRequest:
    """One campaign to run, as the policy declares it."""

    key: str
    name_or_id: str  # the Sepurux campaign: its name, or its uuid
    trace_id: str | None
    trace_file: str | None
    thresholds: dict[str, Any]
    mutation_pack_id: str | None = None
    needs_reliability: bool = False
    # The n-th run of a repeated campaign (1-based): part of its idempotency key from 2 on.
    repeat_index: int = 1
    # The trace as read with the policy (policy.Campaign.trace_data); None: read trace_file.
    trace_data: bytes | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class RunContext:
    """The CI context sent with each create."""

    repo: str | None
    pull_request: int | None
    commit: str | None


RunOutcomeStatus = Literal["done", "error", "timeout", "cancelled"]


@dataclass
class RunOutcome:
    """What became of one RunRequest; ``started``/``finished`` are time.monotonic() values."""

    key: str
    campaign_id: str | None
    run_id: str | None
    payload: dict[str, Any] | None
    error: ServiceError | None
    status: RunOutcomeStatus
    started: float
    finished: float
    requests: int


@dataclass(frozen=True)
class RunEvent:
    """A change of state of one run, for progress display."""

    key: str
    state: str
    message: str
