"""A loopback HTTP server that records every request and answers from a test's route table.

Each vendor test gives the routes, built from the vendor's documented request and response
shapes (the doc page is cited beside each route). The server is the suite's one loopback
server (tests/support/http.py). It also serves as a forward proxy: a request in absolute form
(`PUT http://api.bitbucket.org/2.0/...`) is recorded with its URL as its `target`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from support import Answer, LoopbackServer, Request, Route

__all__ = ["Answer", "Fake", "Request", "Route", "fake_forge"]


@dataclass
class Fake:
    url: str
    requests: list[Request]

    def calls(self, method: str | None = None) -> list[Request]:
        return [r for r in self.requests if method is None or r.method == method]


@contextmanager
def fake_forge(route: Route) -> Iterator[Fake]:
    with LoopbackServer(route) as server:
        yield Fake(server.url, server.requests)
