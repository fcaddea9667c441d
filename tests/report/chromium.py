"""Headless Chromium driven over the DevTools protocol (--remote-debugging-pipe), and a PNG reader.

A tiny client, no dependency: the browser reads JSON messages on fd 3 and writes them on fd 4,
each ended by a NUL byte. Console messages, exceptions and log entries (CSP violations land
there) are collected from the moment the page starts loading.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
)
# Generous: two cores are shared by many jobs. Nothing asserts on how fast the browser is.
WAIT_S = 120.0


def find_chromium() -> str | None:
    for candidate in ("chromium", "chromium-browser", "/usr/bin/chromium"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


class BrowserError(Exception):
    pass


@dataclass
class Page:
    """What one page load left behind: its problems, and handles to look at it."""

    browser: Browser
    session: str
    problems: list[str] = field(default_factory=list)

    def evaluate(self, expression: str, *, wait: bool = False) -> Any:
        """The expression's value; with `wait`, the value its promise resolves to."""
        answer = self.browser.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": wait},
            session=self.session,
        )
        if "exceptionDetails" in answer:
            raise BrowserError(f"{expression!r} threw {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def screenshot(self, width: int, height: int | None = None) -> bytes:
        """A PNG of the page at `width` CSS pixels; the whole page when no height is given."""
        self.resize(width, height or 800)
        if height is None:
            full = int(self.evaluate("document.documentElement.scrollHeight"))
            self.resize(width, full)
        answer = self.browser.call(
            "Page.captureScreenshot", {"format": "png"}, session=self.session
        )
        import base64

        return base64.b64decode(answer["data"])

    def resize(self, width: int, height: int) -> None:
        self.browser.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
            session=self.session,
        )

    def color_scheme(self, scheme: str) -> None:
        self.browser.call(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
            session=self.session,
        )


class Browser:
    """One Chromium process with a fresh profile; `with Browser() as b: page = b.open(url)`."""

    def __init__(self, executable: str) -> None:
        self._profile = tempfile.mkdtemp(prefix="gate-runner-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire() -> None:  # in the child: fd 3 is what it reads, fd 4 what it writes
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self._process = subprocess.Popen(
            [
                executable,
                *FLAGS,
                f"--user-data-dir={self._profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,  # noqa: PLW1509 - single-threaded test process
            pass_fds=(3, 4),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next_id = 0
        self._buffer = b""
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):
            self.call("Browser.close", {})
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    def call(self, method: str, params: dict[str, Any], session: str | None = None) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        for index, event in enumerate(self.events):
            if event.get("method") == method and event.get("sessionId") == session:
                return self.events.pop(index)
        while True:
            event = self._receive()
            if event.get("method") == method and event.get("sessionId") == session:
                return event
            self.events.append(event)

    def open(self, url: str, *, scheme: str | None = None, width: int = 1024) -> Page:
        """Load `url` in a new tab with console and log capture on before the first byte."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", {}, session=session)
        page.resize(width, 800)
        if scheme:
            page.color_scheme(scheme)
        self.events.clear()
        self.call("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        # A round trip after load so late console messages are in the queue.
        page.evaluate("document.readyState")
        page.problems = [
            problem for e in self.events if (problem := _problem(e, session)) is not None
        ]
        return page

    def _receive(self) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_S
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(left, 0))
            if not ready:
                raise BrowserError(f"no answer from Chromium within {WAIT_S:.0f} s")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError(f"Chromium exited (code {self._process.poll()})")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message


def _problem(event: dict[str, Any], session: str) -> str | None:
    """A console error or warning, an uncaught exception, or an error-level log entry."""
    if event.get("sessionId") != session:
        return None
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.exceptionThrown":
        return f"exception: {params.get('exceptionDetails', {}).get('text')}"
    if method == "Runtime.consoleAPICalled" and params.get("type") in (
        "error",
        "warning",
        "assert",
    ):
        args = [a.get("value", a.get("description")) for a in params.get("args", [])]
        return f"console.{params.get('type')}: {args}"
    if method == "Log.entryAdded" and params.get("entry", {}).get("level") in ("error", "warning"):
        entry = params["entry"]
        return f"log {entry.get('source')}/{entry.get('level')}: {entry.get('text')}"
    return None


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    pixels: list[tuple[int, ...]]  # RGB(A) tuples, row by row

    def at(self, x: int, y: int) -> tuple[int, ...]:
        return self.pixels[y * self.width + x]


def read_png(data: bytes) -> Image:
    """Decode an 8-bit RGB or RGBA PNG (what Chromium writes) with zlib and struct only."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    offset, idat, header = 8, b"", None
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("PNG without IHDR")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}")
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = zlib.decompress(idat)
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                best = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + best) & 0xFF
        rows.append(line)
        previous = line
    pixels = [tuple(row[x * channels : x * channels + 3]) for row in rows for x in range(width)]
    return Image(width, height, pixels)


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
