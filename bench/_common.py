"""Helpers shared by the benchmarks: sandbox timings, child processes, tables."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GATE_RUNNER = str(BIN / "gate-runner")

# Variables that would make gate-runner believe it runs in CI (and e.g. post comments).
_CI_VARIABLES = (
    "CI",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "CIRCLECI",
    "JENKINS_URL",
    "BUILDKITE",
    "TF_BUILD",
    "BITBUCKET_BUILD_NUMBER",
)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CI_VARIABLES}
    env.update(extra)
    return env


class Stamps:
    """Wraps a Sandbox's traffic record so every request also gets a monotonic timestamp.

    ``time.monotonic`` is CLOCK_MONOTONIC on Linux, shared by all processes, so the
    sandbox's clock and the moment a child process exits can be compared directly.
    """

    def __init__(self, sandbox: Any) -> None:
        self.times: list[tuple[float, str, str]] = []  # (when, route key, path)
        self._lock = threading.Lock()
        traffic = sandbox._app.traffic  # the sandbox exposes counts, not times: wrap its record
        original = traffic.record

        def record(**kwargs: Any) -> None:
            with self._lock:
                self.times.append((time.monotonic(), kwargs["key"], kwargs["path"]))
            original(**kwargs)

        traffic.record = record

    def snapshot(self) -> list[tuple[float, str, str]]:
        with self._lock:
            return list(self.times)


def run_finishes(sandbox: Any) -> dict[str, tuple[str, float]]:
    """run id -> (campaign name, the monotonic moment it finished: created + duration)."""
    service = sandbox._app.service  # the sandbox knows when each run started; read it directly
    with service._lock:
        runs = list(service._runs.values())
    return {r.id: (r.campaign.name, r.started + r.campaign.duration) for r in runs}


def max_in_window(times: Iterable[float], window: float = 1.0) -> int:
    """The most requests inside any ``window``-second interval."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


@dataclass
class Child:
    """A child process with its launch and exit moments and its own peak RSS."""

    argv: Sequence[str]
    env: dict[str, str]
    cwd: Path | None = None
    launched: float = 0.0
    exited: float = 0.0
    returncode: int | None = None
    max_rss_kib: int = 0
    output: str = ""

    def run(self, timeout: float) -> Child:
        self.launched = time.monotonic()
        process = subprocess.Popen(
            list(self.argv),
            env=self.env,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        reader = threading.Thread(target=self._read, args=(process,), daemon=True)
        reader.start()
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            # wait4 gives this child's own rusage: its peak RSS, not the highest of all children.
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        self.exited = time.monotonic()
        process.returncode = self.returncode = os.waitstatus_to_exitcode(status)
        self.max_rss_kib = usage.ru_maxrss  # KiB on Linux
        reader.join(timeout=5)
        return self

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        self.output = process.stdout.read().decode(errors="replace")


def median(values: Iterable[float]) -> float:
    data = list(values)
    return statistics.median(data) if data else float("nan")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table, so the output pastes into the README as is."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for index, row in enumerate(cells):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if index == 0:
            lines.append("| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def machine() -> str:
    import platform

    return (
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )
