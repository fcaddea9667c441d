"""SepuruxClient: one HTTP session to the Sepurux API, errors translated into ServiceError."""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from gate_runner import __version__
from gate_runner.api.answers import innermost_cause, interpret, read_body
from gate_runner.api.payload import campaign_list, create_answer, json_object
from gate_runner.api.retry import RetryPolicy, TransientError, call_with_retry
from gate_runner.api.urls import check_base_url, redirect_target
from gate_runner.config.schema import policy_default
from gate_runner.errors import ServiceError, UsageError
from gate_runner.origins import describe_origin, same_origin
from gate_runner.secrets import Secrets
from gate_runner.settings import DEFAULT_REQUEST_TIMEOUT

MAX_RESPONSE_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
_REDIRECTS = (301, 302, 303, 307, 308)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]+$")


def is_uuid(value: str) -> bool:
    """True when ``value`` is written as a uuid (8-4-4-4-12 hex digits)."""
    return bool(_UUID.match(value))


class SepuruxClient:
    """The calls gate-runner makes to Sepurux; thread-safe enough for a small worker pool."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        # None: the schema's defaults (the gate always passes the policy's own).
        token_env: str | None = None,
        auth_header: str | None = None,
        project: str | None = None,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        rng: random.Random | None = None,
    ) -> None:
        import requests  # imported late: keeps CLI start-up fast
        from requests.adapters import HTTPAdapter

        token_env = token_env or policy_default("api", "token_env")
        auth_header = auth_header or policy_default("api", "auth_header")
        if not _HEADER_NAME.match(auth_header):
            raise UsageError(f"auth header {auth_header!r} is not a valid HTTP header name")
        if request_timeout <= 0:
            raise UsageError(f"request timeout must be positive, got {request_timeout}")
        self.base_url = check_base_url(base_url)
        self.token_env = token_env
        self.request_timeout = request_timeout
        self.retry = retry or RetryPolicy()
        self.max_response_bytes = max_response_bytes
        self._token = token or None
        self._auth_header = auth_header
        self._project = project
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._rng_lock = threading.Lock()
        self._local = threading.local()
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update(
            {"User-Agent": f"gate-runner/{__version__}", "Accept": "application/json"}
        )

    def __repr__(self) -> str:
        state = "set" if self._token else "unset"
        return f"SepuruxClient({self.base_url!r}, token from {self.token_env} {state})"

    # -- endpoints -------------------------------------------------------------------

    def list_campaigns(
        self, *, deadline: float | None = None, cancel: threading.Event | None = None
    ) -> list[dict[str, Any]]:
        url = self._url("/v1/campaigns")
        return campaign_list(
            self._call("GET", url, None, {}, retry=True, deadline=deadline, cancel=cancel), url
        )

    def upload_trace(
        self,
        document: dict[str, Any],
        *,
        deadline: float | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        url = self._url("/v1/traces")
        # The same document gets the same key, so a retried upload stores one trace
        # on a server that honours it (and a duplicate trace is harmless otherwise).
        canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
        key = "trace-" + hashlib.sha256(canonical.encode()).hexdigest()[:32]
        answer = json_object(
            self._call(
                "POST",
                url,
                document,
                {"Idempotency-Key": key},
                retry=True,
                deadline=deadline,
                cancel=cancel,
            ),
            url,
        )
        trace_id = answer.get("trace_id")
        if not isinstance(trace_id, str) or not trace_id:
            raise ServiceError("payload", f"POST {url} answered without a string 'trace_id'")
        return trace_id

    def create_run(
        self,
        body: dict[str, Any],
        idempotency_key: str | None,
        *,
        deadline: float | None = None,
        cancel: threading.Event | None = None,
    ) -> tuple[str, str]:
        url = self._url("/v1/ci/runs")
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        # Without a key a retried create could start (and bill) a second run.
        retry = idempotency_key is not None
        return create_answer(
            self._call("POST", url, body, headers, retry=retry, deadline=deadline, cancel=cancel),
            url,
        )

    def get_run(
        self,
        run_id: str,
        kind: str = "run",
        *,
        retries: bool = True,
        deadline: float | None = None,
        cancel: threading.Event | None = None,
    ) -> dict[str, Any]:
        if kind not in ("run", "batch"):
            raise ValueError(f"kind must be 'run' or 'batch', not {kind!r}")
        prefix = "/v1/ci/runs/" if kind == "run" else "/v1/ci/batch/"
        url = self._url(prefix + quote(run_id, safe=""))
        return json_object(
            self._call("GET", url, None, {}, retry=retries, deadline=deadline, cancel=cancel), url
        )

    def get_reliability(
        self,
        campaign_id: str,
        run_id: str,
        *,
        deadline: float | None = None,
        cancel: threading.Event | None = None,
    ) -> dict[str, Any]:
        path = f"/v1/campaigns/{quote(campaign_id, safe='')}/reliability"
        url = self._url(path) + "?" + urlencode({"run_id": run_id})
        return json_object(
            self._call("GET", url, None, {}, retry=True, deadline=deadline, cancel=cancel), url
        )

    def thread_request_count(self) -> int:
        """HTTP requests this client has sent from the calling thread (for accounting)."""
        count: int = getattr(self._local, "count", 0)
        return count

    def close(self) -> None:
        self._session.close()

    # -- transport -------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _call(
        self,
        method: str,
        url: str,
        body: dict[str, Any] | None,
        headers: Mapping[str, str],
        *,
        retry: bool,
        deadline: float | None,
        cancel: threading.Event | None,
    ) -> Any:
        def attempt() -> Any:
            if cancel is not None and cancel.is_set():
                raise ServiceError("cancelled", f"cancelled before {method} {url}")
            return self._attempt(method, url, body, headers, deadline)

        try:
            if not retry:
                return attempt()
            with self._rng_lock:
                rng = random.Random(self._rng.random())  # noqa: S311 - jitter only
            return call_with_retry(
                attempt, policy=self.retry, deadline=deadline, cancel=cancel, rng=rng
            )
        except TransientError as error:
            raise TransientError(
                error.kind, self._scrub(error.message), error.retry_after
            ) from None
        except ServiceError as error:
            raise ServiceError(error.kind, self._scrub(error.message)) from None

    def _headers(self, extra: Mapping[str, str]) -> dict[str, str]:
        headers = dict(extra)
        if self._token:
            headers[self._auth_header] = self._token
        if self._project and is_uuid(self._project):
            headers["X-Project-Id"] = self._project
        return headers

    def _timeout(self, deadline: float | None) -> float:
        timeout = self.request_timeout
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ServiceError("timeout", "the gate's deadline passed before the request")
            timeout = min(timeout, left)
        return max(timeout, 0.05)

    def _attempt(
        self,
        method: str,
        url: str,
        body: dict[str, Any] | None,
        extra: Mapping[str, str],
        deadline: float | None,
    ) -> Any:
        import requests

        target = url
        for _ in range(MAX_REDIRECTS + 1):
            timeout = self._timeout(deadline)
            started = time.monotonic()
            self._local.count = self.thread_request_count() + 1
            try:
                response = self._session.request(
                    method,
                    target,
                    json=body,
                    headers=self._headers(extra),
                    timeout=(timeout, timeout),
                    allow_redirects=False,
                    stream=True,
                )
            except requests.Timeout:
                if deadline is not None and started + timeout >= deadline:  # cut by the deadline
                    raise ServiceError(
                        "timeout", f"no answer from {method} {target} by the gate's deadline"
                    ) from None
                raise TransientError(
                    "unreachable", f"no answer from {method} {target} within {timeout:.1f} s"
                ) from None
            except requests.ConnectionError as error:
                raise TransientError(
                    "unreachable", f"cannot reach {method} {target}: {innermost_cause(error)}"
                ) from None
            except requests.RequestException as error:
                raise ServiceError(
                    "unreachable", f"{method} {target} failed: {innermost_cause(error)}"
                ) from None
            with response:
                location = response.headers.get("Location")
                if response.status_code in _REDIRECTS and location:
                    target = self._follow(method, target, response.status_code, location)
                    continue
                raw = read_body(
                    response,
                    method,
                    target,
                    limit=self.max_response_bytes,
                    by=started + timeout,
                    deadline=deadline,
                )
                return interpret(method, target, response, raw, auth_fix=self._auth_fix())
        raise ServiceError("http", f"{method} {url}: more than {MAX_REDIRECTS} redirects")

    def _follow(self, method: str, current: str, status: int, location: str) -> str:
        target = redirect_target(current, location)
        if not same_origin(current, target):
            # requests would forward our custom auth header to the new host; we refuse.
            raise ServiceError(
                "http",
                f"{method} {current} redirected ({status}) to {describe_origin(target)}; "
                f"not followed, so the token stays with {self.base_url}",
            )
        if method != "GET" and status not in (307, 308):
            raise ServiceError(
                "http", f"{method} {current} redirected ({status}) in a way that drops the body"
            )
        return target

    def _auth_fix(self) -> str:
        # Names the variable, never its value.
        if self._token is None:
            return f"no token was sent: set {self.token_env}"
        return f"check the token in {self.token_env}"

    def _scrub(self, text: str) -> str:
        return Secrets((self._token,) if self._token else ()).scrub(text)
