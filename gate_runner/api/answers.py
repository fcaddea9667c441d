"""Reading an HTTP answer safely and translating it: size limit, JSON, status -> ServiceError."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from gate_runner import untrusted_json
from gate_runner.api.retry import TransientError, parse_retry_after
from gate_runner.errors import ServiceError

if TYPE_CHECKING:
    import requests


def read_body(
    response: requests.Response,
    method: str,
    url: str,
    *,
    limit: int,
    by: float,
    deadline: float | None = None,
) -> bytes:
    """The body, stopped at ``limit`` bytes and at ``by`` in total; broken streams are transient.

    Every read waits at most until ``by`` (a server dripping a byte at a time cannot stretch
    it), and returns what has arrived rather than waiting for a full buffer. Past the gate's
    ``deadline`` the error is a ``timeout``; past ``by`` alone it is worth a retry.
    """
    import requests
    from urllib3.exceptions import HTTPError as Urllib3Error
    from urllib3.exceptions import ReadTimeoutError

    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ServiceError(
            "payload",
            f"{method} {url} answered {int(declared)} bytes, over the {limit}-byte limit",
        )
    raw = response.raw
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            left = by - time.monotonic()
            if left <= 0:
                raise _late(method, url, by, deadline)
            if sock is not None:
                # Whatever this read waits ends by `by`: a total, not a per-read timeout.
                sock.settimeout(left)
            chunk = raw.read1(64 * 1024, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise ServiceError(
                    "payload", f"{method} {url} answered more than the {limit}-byte limit"
                )
            chunks.append(chunk)
    except (requests.Timeout, TimeoutError, ReadTimeoutError):
        raise _late(method, url, by, deadline) from None  # a read that waited until `by`
    except (Urllib3Error, OSError, requests.RequestException) as error:
        raise TransientError(
            "unreachable", f"{method} {url}: connection broken mid-answer: {innermost_cause(error)}"
        ) from None
    return b"".join(chunks)


def _late(method: str, url: str, by: float, deadline: float | None) -> ServiceError:
    """The error of an answer still arriving at ``by``: a timeout when that was the deadline."""
    if deadline is not None and (by >= deadline or time.monotonic() >= deadline):
        return ServiceError(
            "timeout", f"{method} {url}: the answer was still arriving at the gate's deadline"
        )
    return TransientError(
        "unreachable", f"{method} {url}: the answer was still arriving at timeout"
    )


def interpret(
    method: str, url: str, response: requests.Response, raw: bytes, *, auth_fix: str
) -> Any:
    """The parsed JSON of a 2xx answer, or the ServiceError its status means."""
    status = response.status_code
    if 200 <= status < 300:
        try:
            return untrusted_json.loads(raw)
        except untrusted_json.UntrustedJSONError as error:
            raise ServiceError(
                "payload", f"{method} {url} answered {status} with invalid JSON: {error}"
            ) from None
    detail = _detail(raw) or response.reason or "no detail"
    where = f"{method} {url} answered {status}"
    if status in (401, 403):
        raise ServiceError("auth", f"{where} ({detail}); {auth_fix}")
    if status == 404:
        raise ServiceError("not_found", f"{where}: {detail}")
    if status in (408, 429) or status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise TransientError("http", f"{where}: {detail}", retry_after)
    raise ServiceError("http", f"{where}: {detail}")


def _detail(raw: bytes) -> str | None:
    """The server's FastAPI-style ``detail``, shortened for a one-line message."""
    try:
        body = untrusted_json.loads(raw)
    except untrusted_json.UntrustedJSONError:
        return None
    if isinstance(body, dict) and "detail" in body:
        detail = body["detail"]
        text = detail if isinstance(detail, str) else json.dumps(detail)
        return text if len(text) <= 300 else text[:297] + "..."
    return None


def innermost_cause(error: Exception) -> str:
    """The innermost cause of a requests error, which is the readable part."""
    cause: BaseException = error
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    text = str(cause) or type(cause).__name__
    return text if len(text) <= 200 else text[:197] + "..."
