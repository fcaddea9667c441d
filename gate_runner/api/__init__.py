"""The Sepurux API: an HTTP client with timeouts and retries, and the poll scheduler."""

from __future__ import annotations

from gate_runner.api.client import SepuruxClient
from gate_runner.api.execute import execute_runs, idempotency_key, run_key
from gate_runner.api.model import RunContext, RunEvent, RunOutcome, RunRequest
from gate_runner.api.retry import RetryPolicy
from gate_runner.api.scheduler import PollPolicy

__all__ = [
    "PollPolicy",
    "RetryPolicy",
    "RunContext",
    "RunEvent",
    "RunOutcome",
    "RunRequest",
    "SepuruxClient",
    "execute_runs",
    "idempotency_key",
    "run_key",
]
