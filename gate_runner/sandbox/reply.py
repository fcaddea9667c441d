"""What the sandbox answers to one request, before it is written to the socket."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any


@dataclass
class Reply:
    status: int
    body: Any  # JSON-able; bytes are sent verbatim
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False  # drop the connection instead of answering
    drip: float | None = None  # send the body one byte at a time, this many seconds apart

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def detail(status: int, message: str | None = None) -> Reply:
    """A FastAPI-style error: {"detail": message}, the status phrase by default."""
    return Reply(status, {"detail": message or HTTPStatus(status).phrase})
