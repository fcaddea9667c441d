"""One request through the sandbox: auth, routing, faults, then the service; no sockets here."""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from gate_runner.sandbox.effects import REPLACING_KINDS, bend, replacement
from gate_runner.sandbox.faults import FaultBook
from gate_runner.sandbox.reply import Reply, detail
from gate_runner.sandbox.routes import match, unmatched_key
from gate_runner.sandbox.scenario import Scenario
from gate_runner.sandbox.service import SandboxService
from gate_runner.sandbox.traffic import Traffic

AUTH_HEADERS = ("x-sepurux-token", "x-api-key")
STATS_PATH = "/_sandbox/stats"
DASHBOARD_PREFIX = "/dashboard/runs/"


@dataclass(frozen=True)
class Outcome:
    reply: Reply
    key: str | None  # request-count key; None for the sandbox's own pages, which are not counted
    fault: str | None


class SandboxApp:
    """Composes the service, the fault book and the traffic record behind one `respond` call."""

    def __init__(
        self, scenario: Scenario, token: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.token = token
        self.service = SandboxService(scenario, clock)
        self.faults = FaultBook(scenario.faults, {c.id: c.faults for c in scenario.campaigns})
        self.traffic = Traffic(token)
        self.stopping = threading.Event()  # wakes slow faults so that stop() is quick

    def stats(self) -> dict[str, object]:
        return {
            "total_requests": self.traffic.total(),
            "runs_created": self.service.runs_created,
            "requests": self.traffic.counts(),
        }

    def respond(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Outcome:
        """Answer one request; `headers` must have lower-case names."""
        split = urlsplit(target)
        path = split.path
        if path == STATS_PATH and method == "GET":
            return Outcome(Reply(200, self.stats()), None, None)
        if path.startswith(DASHBOARD_PREFIX) and method == "GET":
            return Outcome(self.service.dashboard(path[len(DASHBOARD_PREFIX) :]), None, None)
        found = match(method, path)
        key = found.route.key if found.route else unmatched_key(method)
        refused = self._refuse(headers)
        if refused is not None:
            return Outcome(refused, key, None)
        if found.route is None:
            return Outcome(detail(405 if not found.method_allowed else 404), key, None)
        route = found.route
        campaign_id = self.service.campaign_of(route, found.params, body)
        fault = self.faults.pick(route.target, campaign_id)
        if fault is not None and fault.kind == "slow":
            self.stopping.wait(fault.delay)
        if fault is not None and fault.kind in REPLACING_KINDS and not fault.processed:
            return Outcome(replacement(fault, target), key, fault.kind)
        query = parse_qs(split.query)
        reply = self.service.handle(
            route, found.params, query, body, headers.get("idempotency-key") or None
        )
        if fault is None:
            return Outcome(reply, key, None)
        if fault.kind in REPLACING_KINDS:
            return Outcome(replacement(fault, target), key, fault.kind)
        return Outcome(bend(fault, reply, route.target), key, fault.kind)

    def _refuse(self, headers: Mapping[str, str]) -> Reply | None:
        sent = [headers[name] for name in AUTH_HEADERS if name in headers]
        if not sent:
            return detail(401, "Missing API token: send it in X-Sepurux-Token or X-API-Key")
        expected = self.token.encode()
        if any(hmac.compare_digest(value.encode(), expected) for value in sent):
            return None
        # Never echo what was sent: it may be a real token pointed at the wrong server.
        return detail(401, "Invalid API token")
