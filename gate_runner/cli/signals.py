"""SIGINT/SIGTERM for `check`: held from start-up, then a stop the flow answers with a verdict."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from gate_runner.channel import Channel

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_held: list[int] = []


class StopNow(BaseException):
    """Raised in the main thread by a signal before the run starts (loading a policy, a fetch).

    A BaseException, so no `except Exception` on the way (a policy fetch) can swallow it.
    """


def hold_signals() -> None:
    """At start-up: remember a signal instead of dying, until `check` can write a verdict."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in _SIGNALS:
        signal.signal(sig, lambda signum, _frame: _held.append(signum))


class Stopper:
    """The stop request: `cancel` is what the scheduler watches; `raise_now` while loading."""

    def __init__(self, channel: Channel) -> None:
        self.cancel = threading.Event()
        self.raise_now = True
        self._channel = channel

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.cancel.is_set():
            raise KeyboardInterrupt  # a second signal: stop now
        self.note(signum)
        if self.raise_now:
            raise StopNow

    def note(self, signum: int) -> None:
        self.cancel.set()
        name = signal.Signals(signum).name
        self._channel.line(f"gate-runner: {name} received; stopping and writing the verdict")


@contextmanager
def stop_on_signals(channel: Channel) -> Iterator[Stopper]:
    """SIGINT/SIGTERM stop the gate; one held since start-up is answered at once."""
    stopper = Stopper(channel)
    if threading.current_thread() is not threading.main_thread():
        stopper.raise_now = False
        yield stopper
        return
    previous = {sig: signal.signal(sig, stopper.handle) for sig in _SIGNALS}
    try:
        if _held:
            stopper.note(_held.pop(0))
        yield stopper
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
