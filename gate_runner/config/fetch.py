"""Pinned remote policies: https only (http for loopback), size-limited, sha256-checked, cached."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from gate_runner.loopback import is_loopback
from gate_runner.origins import same_origin


class Fetcher(Protocol):
    """GETs a URL; `headers` (the entry's `auth`) is passed only when there are any."""

    def __call__(self, url: str, headers: Mapping[str, str] | None = None, /) -> bytes: ...


MAX_BYTES = 1_048_576
TIMEOUT_S = 15.0


class FetchError(Exception):
    """A remote policy that cannot be used; the message says why and what to do."""


class Unreachable(FetchError):
    """Nothing arrived (no connection, an HTTP error, the deadline): no decision, exit 3."""


class NotCached(FetchError):
    """Offline, and the pinned policy is not in the cache: skipped, with a warning."""


def default_cache_dir() -> Path:
    override = os.environ.get("GATE_RUNNER_CACHE_DIR")
    return Path(override) if override else Path.home() / ".cache" / "gate-runner" / "policies"


def check_url(url: str) -> None:
    # Imported here (~3 ms with ipaddress): validate needs them only for a policy with URLs.
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return
    if parts.scheme == "http":
        raise FetchError(f"{url}: plain http is only allowed for a loopback host; use https")
    raise FetchError(f"{url}: expected an https URL")


def http_fetch(
    url: str, within: float = TIMEOUT_S, headers: Mapping[str, str] | None = None
) -> bytes:
    """GET a URL, whole within `within` seconds, size-capped, refusing a redirect elsewhere.

    A socket timeout bounds each read, not the answer: a server that sends one byte a second
    never trips it. So the request runs on a worker thread and is abandoned at the deadline
    (the thread dies with the process); a signal still reaches the waiting main thread.
    """
    import threading

    answer: list[bytes] = []
    failure: list[Exception] = []
    finished = threading.Event()

    def work() -> None:
        try:
            answer.append(_get(url, min(within, TIMEOUT_S), headers or {}))
        except Exception as exc:  # handed to the caller's thread as it is
            failure.append(exc)
        finally:
            finished.set()

    threading.Thread(target=work, name="gate-runner-extends", daemon=True).start()
    if not finished.wait(max(within, 0.0)):
        raise Unreachable(
            f"{url}: the answer was not complete in time (a remote policy must arrive within "
            f"{TIMEOUT_S:g} s and before the gate's --timeout); nothing cached for this pin"
        )
    if failure:
        raise failure[0]
    return answer[0]


def _get(url: str, timeout: float, headers: Mapping[str, str]) -> bytes:
    import urllib.error  # only needed when a policy extends a URL
    import urllib.request

    class SameHostRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(  # type: ignore[no-untyped-def]  # noqa: PLR0917
            self, req, fp, code, msg, headers, newurl
        ):
            if not same_origin(url, newurl):
                raise FetchError(f"{url}: redirected to another host ({newurl}); refusing")
            check_url(newurl)
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    opener = urllib.request.build_opener(SameHostRedirects)
    # A redirect keeps the headers only within the origin: any other is refused above.
    sent = {"User-Agent": "gate-runner", **headers}
    request = urllib.request.Request(url, headers=sent)  # noqa: S310
    try:
        with opener.open(request, timeout=timeout) as response:
            body: bytes = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise Unreachable(f"{url}: the server answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unreachable(f"{url}: cannot fetch ({reason}); nothing cached for this pin") from None
    return body


def fetcher_until(deadline: float | None) -> Fetcher:
    """http_fetch with each fetch ending by `deadline` (time.monotonic()) or TIMEOUT_S, sooner."""

    def fetch(url: str, headers: Mapping[str, str] | None = None, /) -> bytes:
        left = time_left(deadline)
        if left <= 0:
            raise Unreachable(
                f"{url}: not fetched, the gate's --timeout has passed; nothing cached for this pin"
            )
        return http_fetch(url, left, headers)

    return fetch


def time_left(deadline: float | None) -> float:
    """Seconds a remote fetch may take: TIMEOUT_S, or less when `deadline` comes sooner."""
    import time

    return TIMEOUT_S if deadline is None else min(TIMEOUT_S, deadline - time.monotonic())


def fetch_pinned(
    url: str,
    sha256: str,
    cache_dir: Path,
    fetcher: Fetcher | None = None,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """The bytes of a pinned policy: from the cache when present, else fetched and checked.

    headers: the entry's credential (`auth`), sent to the URL's origin only.
    """
    import hashlib  # ~5 ms (OpenSSL), only for a policy that extends a URL

    check_url(url)
    expected = sha256.lower()
    cached = cache_dir / f"{expected}.yml"
    try:
        data = cached.read_bytes()
        if hashlib.sha256(data).hexdigest() == expected:
            return data
    except OSError:
        pass
    fetch = fetcher or fetcher_until(None)
    data = fetch(url, headers) if headers else fetch(url)
    if len(data) > MAX_BYTES:
        raise FetchError(f"{url}: larger than {MAX_BYTES} bytes; refusing")
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise FetchError(
            f"sha256 mismatch for {url}: the policy pins {expected} but the file has {actual}; "
            "if the change is expected, review it and update the pin"
        )
    _store(cached, data)
    return data


def _store(path: Path, data: bytes) -> None:
    import tempfile  # ~3 ms at startup otherwise, for a rare path

    # A cache we cannot write (read-only home in CI) only costs a fetch next time.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError:
        return
