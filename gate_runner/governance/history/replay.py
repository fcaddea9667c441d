"""Re-judge saved verdicts under a candidate policy: which merges would it have blocked?"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import chain, islice
from pathlib import Path
from typing import Any

from gate_runner.errors import UsageError
from gate_runner.governance.history.replay_judge import Candidate, Judge, Replayed
from gate_runner.indented_json import Encoded
from gate_runner.safe_text import terminal
from gate_runner.untrusted_json import load_file, loads
from gate_runner.verdict import OUTCOMES

# Below this many verdicts one process is quicker than starting workers.
PARALLEL_FROM = 1000
CHUNK = 250
IN_FLIGHT = 2  # chunks per worker submitted ahead: one judged, one waiting
# Writes a changed verdict's entry of the JSON report (replay_report.json_entry).
Entry = Callable[[Replayed], Encoded]


@dataclass(frozen=True)
class SavedVerdict:
    """A verdict to replay, read lazily (in a worker) from a file or from text a store gave."""

    source: str  # a file path, or "<store>:<commit>"
    path: Path | None = None
    text: str | None = None
    problem: str | None = None  # why a store could not give its text

    def read(self) -> tuple[Any, str | None]:
        """(data, None), or (None, why it cannot be read)."""
        if self.problem is not None:
            return None, self.problem
        try:
            if self.text is not None:
                return loads(self.text), None
            assert self.path is not None  # a SavedVerdict holds one or the other
            return load_file(self.path), None
        except OSError as error:
            return None, f"cannot read: {error.strerror or error}"
        except ValueError as error:
            return None, str(error)


@dataclass(frozen=True)
class Totals:
    """Blocked, newly blocked and no longer blocked among some replayed verdicts; `invalid`:
    blocked because the candidate makes their policy invalid (among `blocked`)."""

    verdicts: int
    blocked: int
    newly_blocked: int
    unblocked: int
    invalid: int = 0

    @classmethod
    def of(cls, items: Sequence[Replayed]) -> Totals:
        return cls(
            len(items),
            sum(1 for r in items if r.after[1]),
            sum(1 for r in items if r.after[1] and not r.before[1]),
            sum(1 for r in items if r.before[1] and not r.after[1]),
            sum(1 for r in items if r.invalid),
        )


@dataclass
class ReplayReport:
    policy: str
    today: date
    # Every verdict judged again, oldest first; `judged` and `alone` split them by basis.
    replayed: list[Replayed] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "source: why"
    replaces: str | None = None  # the file the candidate stood in for

    @property
    def judged(self) -> list[Replayed]:
        """Judged by their own policy (rebuilt with the candidate where it uses that file)."""
        return [r for r in self.replayed if r.basis != "candidate"]

    @property
    def alone(self) -> list[Replayed]:
        """Verdicts without their policy: judged by the candidate alone, counted apart."""
        return [r for r in self.replayed if r.basis == "candidate"]

    @property
    def totals(self) -> Totals:
        return Totals.of(self.judged)

    @property
    def untouched(self) -> int:
        """Verdicts whose own policy does not use the replaced file: nothing changes for them."""
        return sum(1 for r in self.replayed if r.basis == "own")

    def flip_counts(self) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        for item in self.replayed:
            for flip in item.flips:
                pair = (flip.before, flip.after)
                counts[pair] = counts.get(pair, 0) + 1
        return dict(sorted(counts.items()))

    def changed(self) -> list[Replayed]:
        return [r for r in self.replayed if r.changed]

    def repositories(self) -> dict[str, tuple[Totals, int]]:
        """Per repository (judged by its own policy): its totals and how many campaigns flipped."""
        found: dict[str, list[Replayed]] = {}
        for item in self.judged:
            found.setdefault(item.repository or "?", []).append(item)
        return {
            name: (Totals.of(items), sum(len(r.flips) for r in items))
            for name, items in sorted(found.items())
        }


def replay(
    candidate: Candidate,
    verdicts: Iterable[SavedVerdict],
    *,
    today: date,
    last: int | None = None,
    workers: int | None = None,
    entry: Entry | None = None,
) -> ReplayReport:
    """Judge every saved payload again; the newest `last` verdicts when given, oldest first.
    `entry` writes each changed verdict's report entry as it is judged (in the workers)."""
    # Read as judged: a store's 100,000 verdicts are ~2.5 GB of JSON text, and only the
    # chunks in flight are held (a verdict's text is dropped once it is judged).
    chunks = _chunks(iter(verdicts))
    first = list(islice(chunks, _ceil(PARALLEL_FROM, CHUNK)))
    workers = default_workers() if workers is None else workers
    if workers > 1 and sum(map(len, first)) >= PARALLEL_FROM and _can_fork():
        judged = _in_workers(candidate, today, entry, workers, chain(first, chunks))
    else:
        judge = Judge(candidate, today)
        judged = [
            _written(entry, _saved(judge, saved))
            for chunk in chain(first, chunks)
            for saved in chunk
        ]
    report = ReplayReport(candidate.path, today)
    report.skipped = [r for r in judged if isinstance(r, str)]
    done = sorted((r for r in judged if isinstance(r, Replayed)), key=lambda r: r.started_at)
    if last is not None:
        done = done[-last:] if last > 0 else []
    report.replayed = done
    report.replaces = _replaced(candidate, done)
    return report


def _in_workers(
    candidate: Candidate,
    today: date,
    entry: Entry | None,
    workers: int,
    chunks: Iterator[list[SavedVerdict]],
) -> list[Replayed | str]:
    """Each chunk judged in a worker, in order; a few chunks in flight, not the whole input
    (Executor.map would read every verdict before the first is judged)."""
    context = multiprocessing.get_context("fork")
    judged: list[Replayed | str] = []
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(candidate, today, entry)
    ) as pool:
        pending: deque[Future[list[Replayed | str]]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(_judge_in_worker, chunk))
            if len(pending) >= IN_FLIGHT * workers:
                judged += pending.popleft().result()
        while pending:
            judged += pending.popleft().result()
    return judged


def _chunks(items: Iterator[SavedVerdict]) -> Iterator[list[SavedVerdict]]:
    while chunk := list(islice(items, CHUNK)):
        yield chunk


def _ceil(count: int, size: int) -> int:
    return -(-count // size)


def _replaced(candidate: Candidate, done: Sequence[Replayed]) -> str | None:
    """The one file the candidate stood in for; a usage error when that is not one file."""
    named = sorted({name for r in done if r.replaced for name in r.replaced.split("\n")})
    if len(named) > 1:
        listed = "\n".join(f"  --replaces {terminal(n)}" for n in named)
        raise UsageError(
            f"{terminal(candidate.path)} could replace any of {len(named)} files these "
            f"verdicts' policies were built from; say which:\n{listed}"
        )
    if not named and any(r.basis != "candidate" for r in done):
        what = f"--replaces {candidate.replaces}" if candidate.replaces else candidate.path
        raise UsageError(
            f"{terminal(what)} replaces none of the files these verdicts' policies were "
            "built from (matched by URL or path, else by file name); name one with "
            "--replaces URL|PATH"
        )
    return named[0] if named else None


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _can_fork() -> bool:
    # fork shares the loaded policy and imports for free; elsewhere one process is safer.
    return sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()


_WORKER: tuple[Judge, Entry | None] | None = None


def _start_worker(candidate: Candidate, today: date, entry: Entry | None) -> None:
    global _WORKER  # noqa: PLW0603 - one judge per worker process
    gc.enable()  # off in the parent (replay's trees); a worker holds one chunk at a time
    _WORKER = Judge(candidate, today), entry


def _judge_in_worker(chunk: list[SavedVerdict]) -> list[Replayed | str]:
    assert _WORKER is not None
    judge, entry = _WORKER
    return [_written(entry, _saved(judge, saved)) for saved in chunk]


def _saved(judge: Judge, saved: SavedVerdict) -> Replayed | str:
    """The replayed verdict, or "source: why" when it cannot be replayed."""
    data, problem = saved.read()
    problem = problem or _problem(data)
    if problem:
        return f"{saved.source}: {problem}"
    return judge.verdict(saved.source, data)


def _written(entry: Entry | None, judged: Replayed | str) -> Replayed | str:
    """The verdict with its report entry, when it changed and `entry` writes one."""
    if entry is not None and isinstance(judged, Replayed) and judged.changed:
        return replace(judged, json_entry=entry(judged))
    return judged


def _problem(data: Any) -> str | None:
    if not isinstance(data, dict) or "schema_version" not in data:
        return "not a gate-runner verdict"
    campaigns = data.get("campaigns")
    if not isinstance(campaigns, list) or not all(
        isinstance(c, dict) and isinstance(c.get("key"), str) for c in campaigns
    ):
        return "its campaigns are not readable"
    # An outcome is one of five words: anything else (`pass\n::error ...`) is a forged verdict,
    # refused here rather than printed and escaped later.
    for where, outcome in [("outcome", data.get("outcome"))] + [
        (f"campaign {terminal(c['key'])} outcome", c.get("outcome")) for c in campaigns
    ]:
        if outcome is not None and outcome not in OUTCOMES:
            shown = terminal(repr(outcome))[:80]
            return f"its {where} {shown} is not one of {', '.join(OUTCOMES)}"
    return None
