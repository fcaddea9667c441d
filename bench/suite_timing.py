"""A pytest plugin for bench/suite.py: each test's wall, CPU (own and its children's), outcome.

Loaded with `-p suite_timing` (bench/ on PYTHONPATH); writes one JSON line per test to the
file named by SUITE_TIMING_OUT (one file per xdist worker: the worker id is appended).
Wall much greater than CPU means the test waits: a sleep, a poll interval, a timeout.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Iterator
from typing import Any

import pytest

_OUT = os.environ.get("SUITE_TIMING_OUT", "")
_outcomes: dict[str, str] = {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Iterator[None]:
    start, own, children = time.monotonic(), time.process_time(), _children_cpu()
    yield
    if not _OUT:
        return
    record = {
        "test": item.nodeid,
        "start": start,  # CLOCK_MONOTONIC: comparable across the workers
        "wall": time.monotonic() - start,
        # process_time counts every thread of this process: in-process servers included.
        "cpu": time.process_time() - own,
        # Only children already waited for: subprocess.run and Popen.wait both wait.
        "children": _children_cpu() - children,
        "slow": item.get_closest_marker("slow") is not None,
        "outcome": _outcomes.pop(item.nodeid, "passed"),
        "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
    }
    with open(f"{_OUT}.{record['worker']}", "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        _outcomes[report.nodeid] = "failed"
    elif report.skipped and report.nodeid not in _outcomes:
        _outcomes[report.nodeid] = "skipped"
