"""The one forge HTTP client: JSON, one overall deadline, capped answers, one origin."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from gate_runner import untrusted_json
from gate_runner.api.answers import read_body
from gate_runner.api.retry import parse_retry_after
from gate_runner.errors import ServiceError
from gate_runner.origins import same_origin

if TYPE_CHECKING:
    import requests

TIMEOUT = (5.0, 20.0)  # connect, read: each also ends at the deadline
RETRIES = 2
RETRY_AFTER_CAP = 10.0
# Everything one `check` sends to forges (statuses, review, comment) ends by then unless
# --timeout leaves less: a forge that hangs or drips cannot hold the job.
DEFAULT_BUDGET_S = 60.0
# ...and at least this, so a gate that used all of --timeout can still say so on the forge.
MIN_BUDGET_S = 5.0
# No forge answer we read is near this (a page of 100 comments, a check run); a bigger one
# is hostile or broken, and reading it whole would cost its size several times in memory.
MAX_ANSWER_BYTES = 32 * 1024 * 1024
_PRINTABLE = re.compile(r"[^\x20-\x7e]")


class PublishError(Exception):
    """A failure already phrased as the warning a user reads (never a token, never a body)."""

    def __init__(
        self, message: str, status: int | None = None, body: Any = None, *, late: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.late = late  # the publishing deadline passed: no later call can be sent either


@dataclass(frozen=True)
class Page:
    """One decoded answer and the URL of its next page (Link rel=next), if any."""

    body: Any
    next_url: str | None


def publish_deadline(gate_deadline: float | None = None) -> float:
    """The monotonic time every forge call of this run ends by: what --timeout leaves (the
    gate's deadline), but at least MIN_BUDGET_S and at most DEFAULT_BUDGET_S from now."""
    now = time.monotonic()
    if gate_deadline is None:
        return now + DEFAULT_BUDGET_S
    return min(max(gate_deadline, now + MIN_BUDGET_S), now + DEFAULT_BUDGET_S)


class ForgeAPI:
    """Calls below `base` only: a path is joined to it, an absolute URL must share its origin."""

    def __init__(
        self,
        base: str,
        headers: Mapping[str, str],
        *,
        proxy: str | None = None,
        sleep: Callable[[float], None] | None = None,
        deadline: float | None = None,
        max_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        import requests  # lazily: only --publish and --comment pay for it

        self.base = base.rstrip("/")
        self.deadline = deadline if deadline is not None else publish_deadline()
        self.max_bytes = max_bytes
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
        return self.page(method, path, body).body

    def page(self, method: str, path: str, body: Any = None) -> Page:
        """Like `call`, with the next page's URL from the Link header (a listing)."""
        url = path if "://" in path else self.base + path
        if not same_origin(self.base, url):  # the one same-origin rule (gate_runner.origins)
            raise PublishError(f"{method} {_path(url)}: not on the forge's API origin")
        return self._send(method, url, body)

    def _pause(self, seconds: float) -> None:
        (self._sleep or time.sleep)(seconds)

    def _left(self, method: str, url: str) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise PublishError(
                f"{method} {_path(url)}: not sent, the publishing deadline passed", late=True
            )
        return left

    def _send(self, method: str, url: str, body: Any) -> Page:
        import requests

        for attempt in range(RETRIES + 1):
            left = self._left(method, url)
            timeout = (min(TIMEOUT[0], left), min(TIMEOUT[1], left))
            try:
                response = self._session.request(
                    method, url, json=body, timeout=timeout, allow_redirects=False, stream=True
                )
            except requests.Timeout:
                failure = f"{method} {_path(url)} timed out"
            except requests.RequestException as exc:
                failure = f"{method} {_path(url)} failed: {type(exc).__name__}"
            else:
                with response:
                    retry = response.status_code == 429 or response.status_code >= 500
                    if not retry or attempt == RETRIES:
                        return self._answer(method, url, response)
                    pause = _retry_after(response, attempt)
                self._wait(pause, method, url, f"answered {response.status_code}")
                continue
            if attempt == RETRIES:
                raise PublishError(failure)
            self._wait(2.0**attempt, method, url, failure.removeprefix(f"{method} {_path(url)} "))
        raise AssertionError("unreachable")

    def _wait(self, seconds: float, method: str, url: str, what: str) -> None:
        # A pause that would end past the deadline is not taken: the call fails now.
        if time.monotonic() + seconds >= self.deadline:
            raise PublishError(
                f"{method} {_path(url)} {what}; no time left to retry before the publishing "
                "deadline",
                late=True,
            )
        self._pause(seconds)

    def _answer(self, method: str, url: str, response: requests.Response) -> Page:
        try:
            raw = read_body(response, method, _path(url), limit=self.max_bytes, by=self.deadline)
        except ServiceError as exc:
            # Over the cap, still arriving at the deadline, or cut off: the reader's sentence.
            late = time.monotonic() >= self.deadline
            raise PublishError(str(exc), status=response.status_code, late=late) from None
        decoded = _json(raw)
        if response.status_code >= 300:
            reason = _PRINTABLE.sub("", response.reason or "")[:80]
            raise PublishError(
                f"{method} {_path(url)} answered {response.status_code} {reason}".rstrip(),
                status=response.status_code,
                body=decoded,
            )
        return Page(decoded, response.links.get("next", {}).get("url"))


def _retry_after(response: requests.Response, attempt: int) -> float:
    asked = parse_retry_after(response.headers.get("Retry-After"))
    return min(asked, RETRY_AFTER_CAP) if asked is not None else 2.0**attempt


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return untrusted_json.loads(raw)
    except ValueError:
        return None


def _path(url: str) -> str:
    """The URL's path only: the query and any credentials stay out of warnings."""
    return urlsplit(url).path
