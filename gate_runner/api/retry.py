"""Retry with exponential backoff and full jitter, honouring Retry-After, bounded by a deadline."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeVar

from gate_runner.errors import ServiceError, ServiceErrorKind

T = TypeVar("T")


class TransientError(ServiceError):
    """A failure worth another attempt: connection error, timeout, 429 or 5xx."""

    def __init__(
        self, kind: ServiceErrorKind, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(kind, message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a transient failure is retried."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 8.0
    # A server asking for more than this is treated as "not within this gate".
    max_retry_after: float = 120.0

    def delay(self, failures: int, retry_after: float | None, rng: random.Random) -> float:
        """Wait before the next attempt after ``failures`` consecutive failures."""
        # Full jitter (AWS architecture blog): spreads clients that failed together.
        backoff = rng.uniform(0.0, min(self.cap, self.base * 2 ** (failures - 1)))
        if retry_after is not None:
            return max(backoff, min(retry_after, self.max_retry_after))
        return backoff


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    wall = time.time() if now is None else now
    return max(0.0, when.timestamp() - wall)


def call_with_retry(
    attempt: Callable[[], T],
    *,
    policy: RetryPolicy,
    deadline: float | None,
    cancel: threading.Event | None,
    rng: random.Random,
) -> T:
    """Run ``attempt`` until it succeeds, fails for good, or time runs out."""
    failures = 0
    while True:
        try:
            return attempt()
        except TransientError as error:
            failures += 1
            if failures >= policy.attempts:
                raise ServiceError(
                    error.kind, f"{error.message} (gave up after {failures} attempts)"
                ) from error
            wait = policy.delay(failures, error.retry_after, rng)
            if deadline is not None and time.monotonic() + wait >= deadline:
                raise ServiceError(
                    error.kind,
                    f"{error.message} (no time left for a retry in {wait:.1f} s "
                    f"before the deadline, after {failures} attempts)",
                ) from error
            waiter = cancel if cancel is not None else threading.Event()
            if waiter.wait(wait):
                raise ServiceError("cancelled", "cancelled while waiting to retry") from error
