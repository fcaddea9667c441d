"""One scheduler loop for all runs: due times on a heap, a small worker pool for requests."""

from __future__ import annotations

import heapq
import itertools
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

# How often the loop looks at the cancel event while nothing else wakes it.
CANCEL_TICK = 0.05


@dataclass(frozen=True)
class PollPolicy:
    """Adaptive poll interval: short at first, ×factor towards a cap, jittered.

    The cap is the smaller of ``cap`` and ``elapsed_fraction`` of the time the run has
    taken so far (never below ``initial``), so the delay between a run finishing and
    us noticing stays a small fraction of its duration.
    """

    initial: float = 0.5
    factor: float = 1.5
    cap: float = 5.0
    elapsed_fraction: float = 0.2
    jitter: float = 0.1

    def next_interval(self, previous: float | None, elapsed: float) -> float:
        """The unjittered interval after ``previous`` (None for the first poll)."""
        if previous is None:
            return self.initial
        limit = min(self.cap, max(self.initial, self.elapsed_fraction * elapsed))
        return min(previous * self.factor, limit)

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

    def work(job: Job) -> None:
        try:
            finished.put((job, job.step()))
        except BaseException as error:  # handed to the loop thread, re-raised there
            finished.put((job, error))

    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="gate-runner-api")
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
                pool.submit(work, job)
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
        # In-flight requests are bounded by their own timeouts; nobody waits for them.
        pool.shutdown(wait=outcome == "done", cancel_futures=True)
    return outcome
