"""One scheduler loop for all runs: due times on a heap, a small worker pool for requests."""

from __future__ import annotations

import heapq
import itertools
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from gate_runner.errors import ServiceError

T = TypeVar("T")

# How often the loop looks at the cancel event while nothing else wakes it.
CANCEL_TICK = 0.05


@dataclass(frozen=True)
class PollPolicy:
    """Adaptive poll interval: short at first, ×factor towards a cap, jittered.

    The cap is the smaller of ``cap`` and ``elapsed_fraction`` of the time the run has
    taken so far (never below ``initial``), so the delay between a run finishing and
    us noticing stays a small fraction of its duration.
    """

    # 0.7 s: with -10 % jitter still >= 0.63 s, so never more than 2 polls a second.
    # 5 % of elapsed: the overshoot stays ~2.5 % of a run's length (half an interval);
    # over runs of 1-90 s about 0.8x the requests of a fixed 1-second loop, with a
    # median overshoot under 0.5 s for runs of 1-30 s (bench/time_to_verdict.py).
    initial: float = 0.7
    factor: float = 1.5
    cap: float = 5.0
    elapsed_fraction: float = 0.05
    jitter: float = 0.1

    def next_interval(self, previous: float | None, elapsed: float) -> float:
        """The unjittered interval after ``previous`` (None for the first poll)."""
        if previous is None:
            return self.initial
        limit = min(self.cap, max(self.initial, self.elapsed_fraction * elapsed))
        return min(previous * self.factor, limit)

    def predict(self, duration: float) -> tuple[int, float]:
        """Unjittered polls, and overshoot, to see a run of ``duration`` s finished (no latency)."""
        interval: float | None = None
        elapsed, polls = 0.0, 0
        while elapsed < duration:
            interval = self.next_interval(interval, elapsed)
            elapsed += interval
            polls += 1
        return polls, elapsed - duration

    def jittered(self, interval: float, rng: random.Random) -> float:
        # Spreads polls of runs created together so they do not arrive in bursts.
        return interval * rng.uniform(1.0 - self.jitter, 1.0 + self.jitter)


class Job(Protocol):
    """A run seen by the scheduler. ``step`` runs in a worker; the rest in the loop."""

    def before_step(self) -> None: ...

    def step(self) -> float | None:
        """Do one request; the delay until the next one, or None when finished."""
        ...

    def after_step(self) -> None: ...


def run_jobs(
    jobs: Sequence[Job],
    *,
    concurrency: int,
    deadline: float,
    cancel: threading.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Drive ``jobs`` until all finish (``done``), the deadline (``timeout``) or ``cancelled``.

    Jobs still unfinished when this returns are the caller's to mark.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    counter = itertools.count()
    now = clock()
    heap: list[tuple[float, int, Job]] = [(now, next(counter), job) for job in jobs]
    heapq.heapify(heap)
    finished: queue.Queue[tuple[Job, float | BaseException | None]] = queue.Queue()
    in_flight = 0

    todo: queue.Queue[Job | None] = queue.Queue()

    def work() -> None:
        while (job := todo.get()) is not None:
            try:
                finished.put((job, job.step()))
            except BaseException as error:  # handed to the loop thread, re-raised there
                finished.put((job, error))

    # Daemon threads, not a ThreadPoolExecutor: the interpreter joins an executor's workers
    # at exit, so a cancelled gate would wait out a slow request before exiting.
    workers = [
        threading.Thread(target=work, name=f"gate-runner-api-{i}", daemon=True)
        for i in range(concurrency)
    ]
    for worker in workers:
        worker.start()
    outcome = "done"
    try:
        while heap or in_flight:
            if cancel is not None and cancel.is_set():
                outcome = "cancelled"
                break
            now = clock()
            if now >= deadline:
                outcome = "timeout"
                break
            while heap and heap[0][0] <= now and in_flight < concurrency:
                _, _, job = heapq.heappop(heap)
                job.before_step()
                in_flight += 1
                todo.put(job)
            wait = deadline - now
            if heap and in_flight < concurrency:
                wait = min(wait, heap[0][0] - now)
            if cancel is not None:
                wait = min(wait, CANCEL_TICK)
            try:
                job, result = finished.get(timeout=max(wait, 0.0))
            except queue.Empty:
                continue
            in_flight -= 1
            if isinstance(result, BaseException):
                raise result
            job.after_step()
            if result is not None:
                heapq.heappush(heap, (clock() + result, next(counter), job))
    finally:
        for _ in workers:
            todo.put(None)
        if outcome == "done":
            for worker in workers:
                worker.join()
        # Otherwise in-flight requests are bounded by their own timeouts; nobody waits for them.
    return outcome


def call_cancellable(
    call: Callable[[], T], cancel: threading.Event, *, message: str, tick: float = CANCEL_TICK
) -> T:
    """``call()`` in a daemon thread; a ``cancelled`` ServiceError as soon as ``cancel`` is set.

    A signal does not interrupt a blocking socket read in the main thread (PEP 475
    resumes it), so a slow answer would otherwise hold the process past CI's grace period.
    """
    # The worker hands back a thunk that returns the value or re-raises the error here.
    box: queue.Queue[Callable[[], T]] = queue.Queue(1)

    def run() -> None:
        try:
            value = call()
        except BaseException as error:  # re-raised in the waiting thread
            failure = error

            def reraise() -> T:
                raise failure

            box.put(reraise)
        else:
            box.put(lambda: value)

    threading.Thread(target=run, name="gate-runner-call", daemon=True).start()
    while True:
        try:
            result = box.get(timeout=tick)
        except queue.Empty:
            if cancel.is_set():
                raise ServiceError("cancelled", message) from None
            continue
        return result()
