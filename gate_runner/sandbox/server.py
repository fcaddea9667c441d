"""The sandbox server: a threaded loopback HTTP server around one scenario."""

from __future__ import annotations

import ipaddress
import socket
import threading
from types import TracebackType
from typing import Any

from gate_runner.errors import UsageError
from gate_runner.loopback import is_loopback
from gate_runner.sandbox.app import SandboxApp
from gate_runner.sandbox.handler import SandboxHTTPServer
from gate_runner.sandbox.scenario import DEFAULT_TOKEN, Scenario

# serve_forever sees a stop only between selects, so stop() waits up to this long: every
# `check --sandbox` and every test pays it once. 50 idle wake-ups a second cost next to nothing.
_SHUTDOWN_POLL_S = 0.02


def loopback_address(host: str) -> str:
    """The address to bind for `host`, or a UsageError when it is not a loopback address."""
    if not is_loopback(host):
        raise UsageError(
            f"refusing to listen on {host!r}: the sandbox serves loopback only "
            "(127.0.0.1, ::1 or localhost)"
        )
    name = host.strip("[]")
    # A name that is loopback but not an address (localhost, *.localhost) binds to 127.0.0.1.
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return "127.0.0.1"


class Sandbox:
    """A local Sepurux-compatible API on loopback; use as a context manager or start()/stop()."""

    def __init__(
        self,
        scenario: Scenario,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
    ) -> None:
        self._address = loopback_address(host)
        self._port = port
        self.scenario = scenario
        self.token: str = token or scenario.token or DEFAULT_TOKEN
        self._app = SandboxApp(scenario, self.token)
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        port = self._server.server_address[1]
        host = f"[{self._address}]" if ":" in self._address else self._address
        return f"http://{host}:{port}"

    @property
    def runs_created(self) -> int:
        return self._app.service.runs_created

    def request_counts(self) -> dict[str, int]:
        return self._app.traffic.counts()

    def total_requests(self) -> int:
        return self._app.traffic.total()

    def requests_log(self) -> list[dict[str, Any]]:
        return self._app.traffic.log()

    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        self._app.stopping.clear()
        family = socket.AF_INET6 if ":" in self._address else socket.AF_INET
        try:
            server = SandboxHTTPServer((self._address, self._port), self._app, family)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {self._address}:{self._port}: {exc.strerror}"
            ) from exc
        self._server = server
        self._app.service.base_url = self.url
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _SHUTDOWN_POLL_S},
            name="sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._app.stopping.set()
        server.shutdown()
        server.server_close()
        server.hang_up()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
