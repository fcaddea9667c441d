"""The endpoints the sandbox serves: route templates, the fault target of each, and matching."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gate_runner.sandbox.faults import Target


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # "/v1/ci/runs/{run_id}": also the request-count key with the method
    target: Target

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template) + "$")


ROUTES: tuple[Route, ...] = (
    Route("GET", "/v1/campaigns", "campaigns"),
    Route("GET", "/v1/campaigns/{campaign_id}", "campaigns"),
    Route("GET", "/v1/campaigns/{campaign_id}/reliability", "reliability"),
    Route("GET", "/v1/campaigns/{campaign_id}/failures", "failures"),
    Route("POST", "/v1/traces", "traces"),
    Route("GET", "/v1/traces/{trace_id}", "traces"),
    Route("POST", "/v1/ci/runs", "create"),
    Route("GET", "/v1/ci/runs/{run_id}", "poll"),
    Route("GET", "/v1/ci/batch/{batch_id}", "poll"),
)
_COMPILED = tuple((route, route.pattern) for route in ROUTES)


@dataclass(frozen=True)
class Match:
    """The outcome of routing: a route with its path parameters, or why there is none."""

    route: Route | None
    params: dict[str, str]
    method_allowed: bool  # False with a route of None: the path exists under another method


def match(method: str, path: str) -> Match:
    path_known = False
    for route, pattern in _COMPILED:
        found = pattern.match(path)
        if found is None:
            continue
        if route.method == method:
            return Match(route, found.groupdict(), True)
        path_known = True
    return Match(None, {}, not path_known)


def unmatched_key(method: str) -> str:
    """The request-count key of a request to no known endpoint."""
    return f"{method} <unmatched>"
