"""The test suite's own cost: wall and CPU of a pytest run, and where it waits.

Usage: python bench/suite.py [--top N] [--json FILE] [-- PYTEST ARGS...]
       python bench/suite.py -- -m "not slow"          # the quick subset
       python bench/suite.py -- -n 4                   # the whole suite on 4 xdist workers

Runs pytest once as a child (bench/suite_timing.py records each test), then prints the run's
wall time, its CPU time (every process it started, from wait4), the load average around it,
and the tests and files that wait most: wall minus CPU, i.e. sleeps, poll intervals, timeouts.
CPU time barely moves with load on a shared machine; wall time does, so both are printed
with the load beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from _common import machine, table

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent


def _run(pytest_args: list[str], out: Path) -> tuple[int, float, float]:
    env = dict(os.environ, SUITE_TIMING_OUT=str(out))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH", "")]))
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "suite_timing"]
    started = time.monotonic()
    process = subprocess.Popen([*argv, *pytest_args], cwd=REPO, env=env)
    # wait4: the CPU of pytest and of every process it waited for (workers, gate-runner runs).
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    return os.waitstatus_to_exitcode(status), wall, usage.ru_utime + usage.ru_stime


def _records(out: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for path in out.parent.glob(out.name + ".*"):
        rows.extend(json.loads(line) for line in path.read_text().splitlines() if line)
    return rows


def _wait(row: dict[str, object]) -> float:
    return float(row["wall"]) - float(row["cpu"]) - float(row["children"])  # type: ignore[arg-type]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=25, help="how many tests and files to list")
    parser.add_argument("--json", type=Path, help="also write every test's record here")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest as is")
    args = parser.parse_args()

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "timing"
        code, wall, cpu = _run(args.pytest_args, out)
        rows = _records(out)
    load_after = os.getloadavg()

    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    test_wall = sum(float(r["wall"]) for r in rows)  # type: ignore[arg-type]
    test_wait = sum(max(0.0, _wait(r)) for r in rows)
    failed = sum(r["outcome"] == "failed" for r in rows)
    print(f"\n## pytest {' '.join(args.pytest_args)}  ({machine()})\n")
    print(
        table(
            [
                "tests",
                "failed",
                "wall s",
                "CPU s",
                "CPU/wall",
                "sum of test walls s",
                "of which waiting s",
                "load before",
                "load after",
            ],
            [
                [
                    len(rows),
                    failed,
                    wall,
                    cpu,
                    cpu / wall if wall else 0.0,
                    test_wall,
                    test_wait,
                    f"{load_before[0]:.1f}",
                    f"{load_after[0]:.1f}",
                ]
            ],
        )
    )
    by_wait = sorted(rows, key=_wait, reverse=True)[: args.top]
    print(f"\n### the {args.top} tests that wait most (wall - own CPU - children's CPU)\n")
    print(
        table(
            ["test", "wall s", "CPU s", "children s", "waiting s", "slow"],
            [[r["test"], r["wall"], r["cpu"], r["children"], _wait(r), r["slow"]] for r in by_wait],
        )
    )
    files: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    for r in rows:
        f = files[str(r["test"]).split("::")[0]]
        f[0] += 1
        f[1] += float(r["wall"])  # type: ignore[arg-type]
        f[2] += float(r["cpu"]) + float(r["children"])  # type: ignore[arg-type]
        f[3] += _wait(r)
    worst = sorted(files.items(), key=lambda kv: kv[1][1], reverse=True)[: args.top]
    print(f"\n### the {args.top} files that take longest\n")
    print(
        table(
            ["file", "tests", "wall s", "CPU s", "waiting s"],
            [[name, int(v[0]), v[1], v[2], v[3]] for name, v in worst],
        )
    )
    workers: dict[str, list[dict[str, object]]] = defaultdict(list)
    for r in rows:
        workers[str(r.get("worker", "main"))].append(r)
    if len(workers) > 1:
        print(
            "\n### each worker: its busy time and its last file (the longest one bounds the run)\n"
        )
        print(
            table(
                ["worker", "tests", "busy s", "last file"],
                [
                    [
                        name,
                        len(runs),
                        sum(float(r["wall"]) for r in runs),  # type: ignore[arg-type]
                        str(max(runs, key=lambda r: float(r["start"]))["test"]).split("::")[0],
                    ]  # type: ignore[arg-type]
                    for name, runs in sorted(workers.items())
                ],
            )
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
