"""One forge API: JSON over requests, a timeout on every call, a few retries, one origin only."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from gate_runner.origins import same_origin

if TYPE_CHECKING:
    import requests

TIMEOUT = (5.0, 20.0)  # connect, read
RETRIES = 2
_RETRY_AFTER_CAP = 10.0
_PRINTABLE = re.compile(r"[^\x20-\x7e]")


class PublishError(Exception):
    """A failure already phrased as the warning a user reads (never a token, never a body)."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class ForgeAPI:
    """Calls below `base` only: a path is joined to it, an absolute URL must share its origin."""

    def __init__(
        self,
        base: str,
        headers: Mapping[str, str],
        *,
        proxy: str | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        import requests  # lazily: only --publish pays for it

        self.base = base.rstrip("/")
        self._sleep = sleep
        self._session = requests.Session()
        self._session.trust_env = False  # no ~/.netrc credentials, no proxy but the one given
        self._session.headers.update(headers)
        self._session.headers["User-Agent"] = "gate-runner"
        if proxy:
            self._session.proxies = {"http": proxy, "https": proxy}

    def __enter__(self) -> ForgeAPI:
        return self

    def __exit__(self, *_: object) -> None:
        self._session.close()

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """The decoded JSON answer (None when empty); PublishError for anything but 2xx."""
        url = path if "://" in path else self.base + path
        if not same_origin(self.base, url):  # the one same-origin rule (gate_runner.origins)
            raise PublishError(f"{method} {_path(url)}: not on the forge's API origin")
        response = self._send(method, url, body)
        if response.status_code >= 300:
            reason = _PRINTABLE.sub("", response.reason or "")[:80]
            raise PublishError(
                f"{method} {_path(url)} answered {response.status_code} {reason}".rstrip(),
                status=response.status_code,
                body=_json(response),
            )
        return _json(response)

    def _pause(self, seconds: float) -> None:
        (self._sleep or time.sleep)(seconds)

    def _send(self, method: str, url: str, body: Any) -> requests.Response:
        import requests

        for attempt in range(RETRIES + 1):
            try:
                response = self._session.request(
                    method, url, json=body, timeout=TIMEOUT, allow_redirects=False
                )
            except requests.Timeout:
                failure = f"{method} {_path(url)} timed out"
            except requests.RequestException as exc:
                failure = f"{method} {_path(url)} failed: {type(exc).__name__}"
            else:
                if response.status_code != 429 and response.status_code < 500:
                    return response
                if attempt == RETRIES:
                    return response
                self._pause(_retry_after(response, attempt))
                continue
            if attempt == RETRIES:
                raise PublishError(failure)
            self._pause(2.0**attempt)
        raise AssertionError("unreachable")


def _retry_after(response: requests.Response, attempt: int) -> float:
    value = response.headers.get("Retry-After", "")
    if value.isdigit():
        return min(float(value), _RETRY_AFTER_CAP)
    return 2.0**attempt


def _json(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _path(url: str) -> str:
    """The URL's path only: the query and any credentials stay out of warnings."""
    return urlsplit(url).path
