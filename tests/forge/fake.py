"""A loopback HTTP server that records every request and answers from a test's route table.

Each vendor test gives the routes, built from the vendor's documented request and response
shapes (the doc page is cited beside each route). It also serves as a forward proxy: a
request in absolute form (`PUT http://api.bitbucket.org/2.0/...`) is recorded with its URL.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    target: str  # the request target as sent: a path, or an absolute URL through a proxy
    headers: dict[str, str]
    body: Any


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    reason: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[Request], Answer]


@dataclass
class Fake:
    url: str
    requests: list[Request]

    def calls(self, method: str | None = None) -> list[Request]:
        return [r for r in self.requests if method is None or r.method == method]


@contextmanager
def fake_forge(route: Route) -> Iterator[Fake]:
    recorded: list[Request] = []

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = Request(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                json.loads(raw) if raw else None,
            )
            recorded.append(request)
            answer = route(request)
            payload = b"" if answer.body is None else json.dumps(answer.body).encode()
            self.send_response(answer.status, answer.reason)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Fake(f"http://127.0.0.1:{server.server_port}", recorded)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
