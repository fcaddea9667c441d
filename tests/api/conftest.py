"""A tiny scripted HTTP server on 127.0.0.1 for transport tests the sandbox cannot stage."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from support import Answer, LoopbackServer, Request

TOKEN = "tok-SECRET-1234567890"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    chunked: bool = False  # no Content-Length: the client cannot check the size up front


Responder = Callable[[Seen], Reply]


class FakeServer(LoopbackServer):
    """The shared loopback server (tests/support/http.py), scripted by one `responder`."""

    def __init__(self) -> None:
        self.responder: Responder = lambda _seen: Reply(404, {"detail": "no route"})
        super().__init__(self._answer, protocol_version="HTTP/1.1")

    @staticmethod
    def _seen(request: Request) -> Seen:
        return Seen(request.method, request.target, request.headers, request.body)

    @property
    def seen(self) -> list[Seen]:
        """Every request so far, its path with the query as sent."""
        return [self._seen(r) for r in self.requests]

    def _answer(self, request: Request) -> Answer:
        reply = self.responder(self._seen(request))
        raw = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        return Answer(reply.status, raw=raw, headers=reply.headers, chunked=reply.chunked)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    yield fake
    fake.close()


@pytest.fixture
def other_server() -> Iterator[FakeServer]:
    fake = FakeServer()
    yield fake
    fake.close()
