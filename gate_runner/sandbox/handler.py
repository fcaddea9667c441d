"""The HTTP side of the sandbox: read a request off the socket, write the reply or drop the line."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gate_runner.sandbox.app import SandboxApp
from gate_runner.sandbox.reply import Reply, detail

MAX_BODY_BYTES = 1024 * 1024


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops the SYNs of a client opening dozens of
    # connections at once, and each dropped one costs a 1 s retransmit.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: SandboxApp, family: int) -> None:
        self.address_family = family
        self.app = app
        # Open keep-alive connections, so that stopping the server also hangs up on its clients.
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, SandboxHandler)

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        with self._connections_lock:
            self._connections.add(connection)
        return connection, address

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def hang_up(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by its handler
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer is routine under fault injection, not worth a traceback.
        return None


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a requests session expects
    server_version = "sepurux-sandbox"
    timeout = 30  # idle keep-alive connections release their thread
    # Headers and body go out in two writes: with Nagle on, the body waits for the client's
    # delayed ACK and every keep-alive request takes ~40 ms more on loopback.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        return None  # the traffic record is the log; stderr stays quiet

    def _serve(self, method: str) -> None:
        app: SandboxApp = self.server.app  # type: ignore[attr-defined]
        pairs = list(self.headers.items())
        lower = {name.lower(): value for name, value in pairs}
        body = self._read_body(lower)
        if body is None:
            self.close_connection = True
            outcome_reply, key, fault = detail(413, "Request body too large"), None, None
        else:
            outcome = app.respond(method, self.path, lower, body)
            outcome_reply, key, fault = outcome.reply, outcome.key, outcome.fault
        if key is not None:
            app.traffic.record(
                method=method,
                path=self.path,
                key=key,
                status=outcome_reply.status,
                headers=pairs,
                fault=fault,
            )
        self._send(outcome_reply)

    def _read_body(self, headers: dict[str, str]) -> bytes | None:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return None  # clients of this API send a Content-Length; refuse rather than guess
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            return None
        if length < 0 or length > MAX_BODY_BYTES:
            return None
        return self.rfile.read(length) if length else b""

    def _send(self, reply: Reply) -> None:
        if reply.reset:
            self._reset()
            return
        data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        try:
            self.send_response(reply.status)
            headers = {"Content-Type": "application/json", **reply.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if reply.drip is None:
                self.wfile.write(data)
            else:
                self._drip(data, reply.drip)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _drip(self, data: bytes, delay: float) -> None:
        # A slow-drip server: every byte arrives in time for a per-read timeout, the whole
        # answer never does. Stopping the sandbox ends it at once.
        app: SandboxApp = self.server.app  # type: ignore[attr-defined]
        self.wfile.flush()
        for index in range(len(data)):
            if index and app.stopping.wait(delay):
                self.close_connection = True
                return
            self.wfile.write(data[index : index + 1])
            self.wfile.flush()

    def _reset(self) -> None:
        # SO_LINGER 0 makes close() send RST: the client sees "connection reset", not an answer.
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
