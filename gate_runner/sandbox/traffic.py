"""What the sandbox served: request counts per endpoint and a log with every token masked."""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Iterable
from typing import Any

MASK = "***"
# Headers that carry credentials, whatever their value: never kept.
_SECRET_HEADERS = frozenset(
    {"x-sepurux-token", "x-api-key", "authorization", "proxy-authorization", "cookie"}
)
_LOG_LIMIT = (
    100_000  # a benchmark of thousands of requests fits; a runaway client cannot exhaust memory
)


class Traffic:
    """Thread-safe counters and log of the requests served."""

    def __init__(self, token: str) -> None:
        self._token = token
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._log: deque[dict[str, Any]] = deque(maxlen=_LOG_LIMIT)

    def mask(self, text: str) -> str:
        return text.replace(self._token, MASK) if self._token else text

    def record(
        self,
        *,
        method: str,
        path: str,
        key: str,
        status: int,
        headers: Iterable[tuple[str, str]],
        fault: str | None,
    ) -> None:
        kept = {
            name: MASK if name.lower() in _SECRET_HEADERS else self.mask(value)
            for name, value in headers
        }
        entry = {
            "method": method,
            "path": self.mask(path),
            "route": key,
            "status": status,  # 0: the connection was dropped without an answer
            "headers": kept,
            "fault": fault,
        }
        with self._lock:
            self._counts[key] += 1
            self._log.append(entry)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def log(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry, headers=dict(entry["headers"])) for entry in self._log]
