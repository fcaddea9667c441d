"""The one loopback HTTP server of the suite: 127.0.0.1:0, a route per test, every request kept.

A route is a function from the `Request` to an `Answer`. Vendor fakes are route tables on it,
each built from the vendor's documented shapes (the doc page is cited beside the fake).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One request as the server read it."""

    method: str
    target: str  # as sent: a path and query, or an absolute URL when used as a proxy
    headers: dict[str, str]  # names lower-cased
    raw: bytes

    @property
    def path(self) -> str:
        """The target's path, without its query."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)

    @property
    def body(self) -> Any:
        """The body as JSON; its text if it is not JSON; None if there is none."""
        if not self.raw:
            return None
        try:
            return json.loads(self.raw)
        except ValueError:
            return self.raw.decode("utf-8", "replace")


Writer = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Answer:
    """What the server sends: `raw` bytes, or `body` as JSON (no body when both are None).

    `write` takes over the whole response (a drip, a hang, a half-sent body) instead.
    """

    status: int = 200
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    content_type: str | None = "application/json"
    chunked: bool = False  # no Content-Length: the client cannot check the size up front
    write: Writer | None = None

    def payload(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return b"" if self.body is None else json.dumps(self.body).encode()


Route = Callable[[Request], Answer]


def not_found(_request: Request) -> Answer:
    return Answer(404, {"detail": "Not found"})


def routes(table: Mapping[str, Route | Answer], fallback: Route = not_found) -> Route:
    """A route from a table: keys "/path" or "METHOD /path"; a key ending in `*` is a prefix."""

    def route(request: Request) -> Answer:
        for key, target in table.items():
            method, _, pattern = key.rpartition(" ")
            if method and method != request.method:
                continue
            path = request.path
            if path == pattern or (pattern.endswith("*") and path.startswith(pattern[:-1])):
                return target(request) if callable(target) else target
        return fallback(request)

    return route


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-answer (a deadline, a size cap) is what tests provoke.

    socketserver would print its traceback from the handler thread, and Python 3.11 builds
    a traceback's carets with ast.parse, whose state is not thread-safe: a test parsing
    source at that moment failed with "AST constructor recursion depth mismatch".
    """

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LoopbackServer:
    """A threading HTTP server on 127.0.0.1 (a free port) that answers from `route`.

    `requests` holds every request in arrival order; `hit` is set at the first one; `release`
    is set on close, for routes that hold a request open until the test ends.
    """

    def __init__(self, route: Route = not_found, *, protocol_version: str = "HTTP/1.0") -> None:
        self.route = route
        self.requests: list[Request] = []
        self.hit = threading.Event()
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                server.requests.append(request)
                server.hit.set()
                answer = server.route(request)
                if answer.write is not None:
                    answer.write(self)
                    return
                data = answer.payload()
                self.send_response(answer.status, answer.reason)
                if answer.content_type is not None:
                    self.send_header("Content-Type", answer.content_type)
                if answer.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    data = f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n\r\n"
                else:
                    self.send_header("Content-Length", str(len(data)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            # CONNECT: a test that sets HTTPS_PROXY to this server sees which origin a client
            # set off for (the target is host:port) before anything is sent there.
            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_CONNECT = _serve

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

        Handler.protocol_version = protocol_version
        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port: int = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        # close() waits for the loop to look up from select: short looks, short teardowns.
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()

    def calls(self, method: str | None = None, path: str | None = None) -> list[Request]:
        """The requests so far, those of `method` and `path` only when given."""
        return [
            r
            for r in list(self.requests)
            if (method is None or r.method == method) and (path is None or r.path == path)
        ]

    def targets(self) -> list[str]:
        """The request target of every request so far, as sent."""
        return [r.target for r in list(self.requests)]

    def close(self) -> None:
        """Stop serving (again is a no-op): held requests are released first."""
        if self.release.is_set():
            return
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
