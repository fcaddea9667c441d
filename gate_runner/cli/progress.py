"""Progress while campaigns run: a live line on a terminal, a line per change in a CI log."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from gate_runner.channel import Channel
from gate_runner.safe_text import terminal

if TYPE_CHECKING:
    from gate_runner.api import RunEvent

HEARTBEAT_SECONDS = 30.0
_FINAL = ("done", "error", "timeout", "cancelled")


class Progress:
    """Receives RunEvents from the scheduler's threads and shows them without flooding the log."""

    def __init__(self, channel: Channel, *, total: int, live: bool | None = None) -> None:
        # Every line leaves through the channel: API text (a status echoing the token) is scrubbed.
        self._channel = channel
        self._live = channel.is_terminal("stderr") if live is None else live
        self._total = total
        self._states: dict[str, str] = {}
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(
            target=self._beat, name="gate-runner-heartbeat", daemon=True
        )

    def __enter__(self) -> Progress:
        self._heartbeat.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._live:
            with self._lock:
                self._channel.err("\r\x1b[2K")

    def on_event(self, event: RunEvent) -> None:
        with self._lock:
            # Every retry is news; any other state only when it changes.
            if self._states.get(event.key) == event.state and event.state != "retrying":
                return
            self._states[event.key] = event.state
            if self._live:
                self._channel.err("\r\x1b[2K" + self._status_line())
            else:
                self._channel.err(
                    f"[{self._elapsed()}] {_clean(event.key)}: {_clean(event.message)}\n"
                )

    def _beat(self) -> None:
        # A live view redraws each second; a CI log gets a heartbeat so it never looks hung.
        interval = 1.0 if self._live else HEARTBEAT_SECONDS
        while not self._stop.wait(interval):
            with self._lock:
                if self._live:
                    self._channel.err("\r\x1b[2K" + self._status_line())
                else:
                    self._channel.err(f"[{self._elapsed()}] still waiting: {self._status_line()}\n")

    def _status_line(self) -> str:
        finished = sum(1 for s in self._states.values() if s in _FINAL)
        waiting = sorted(k for k, s in self._states.items() if s not in _FINAL)
        shown = ", ".join(_clean(k) for k in waiting[:3]) + (" …" if len(waiting) > 3 else "")
        text = f"{finished}/{self._total} campaigns finished ({self._elapsed()})"
        return text + (f"; waiting on {shown}" if waiting else "")

    def _elapsed(self) -> str:
        seconds = int(time.monotonic() - self._started)
        return f"{seconds // 60}m{seconds % 60:02d}s"


def _clean(text: str) -> str:
    """One printable line: API text must not inject terminal escapes or CI workflow commands."""
    return terminal(text).replace("::", ": :")
