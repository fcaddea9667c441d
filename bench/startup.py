"""Startup benchmark: median wall time of whole gate-runner processes, timed from outside.

Usage: python bench/startup.py [-n RUNS] [--hyperfine]

Each command is timed as a whole process from outside: by default this script starts it
with os.posix_spawn (no copy of this process, so no parent's fork cost lands on either
side of a ratio) and reads the child's own CPU time from wait4; with --hyperfine, by
`hyperfine -N` (no shell in between; Debian: `apt-get install -y hyperfine`). Commands run
interleaved, round by round, so a burst of load on a shared machine hits all of them.
Wall time is what a user waits; CPU time is the same work, less sensitive to other load.

check-jsonschema validates the same file against the same schema (schema only: no extends,
no semantic checks), so the ratio understates what `validate` does per millisecond. The
floor is `python -c 'import yaml, jsonschema, jmespath'`: what the design's libraries cost
before gate-runner does anything; `validate`, `--help` and `check --help` must stay within
1.3x of it (the script exits 1 past it).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from _common import machine, table

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXAMPLE = "sepurux.yml.example"
SCHEMA = "schemas/sepurux.schema.json"
PYTHON = "python -c pass"
FLOOR = "python -c 'import yaml, jsonschema, jmespath'"
HELP = "gate-runner --help"
CHECK_HELP = "gate-runner check --help"
VALIDATE = "gate-runner validate sepurux.yml.example"
EXPLAIN = "gate-runner explain --config sepurux.yml.example"
CHECK_JSONSCHEMA = "check-jsonschema (same file, same schema)"
FLOOR_LIMIT = 1.3


def commands() -> dict[str, list[str]]:
    gate_runner = str(BIN / "gate-runner")
    return {
        PYTHON: [sys.executable, "-c", "pass"],
        FLOOR: [sys.executable, "-c", "import yaml, jsonschema, jmespath"],
        HELP: [gate_runner, "--help"],
        CHECK_HELP: [gate_runner, "check", "--help"],
        VALIDATE: [gate_runner, "validate", EXAMPLE],
        EXPLAIN: [gate_runner, "explain", "--config", EXAMPLE],
        CHECK_JSONSCHEMA: [
            str(BIN / "check-jsonschema"), "--default-filetype", "yaml",
            "--schemafile", SCHEMA, EXAMPLE,
        ],
    }  # fmt: skip


class Sample(NamedTuple):
    wall: float  # seconds from spawn to exit
    cpu: float  # the child's own user + system seconds (its rusage, from wait4)


def _spawn_once(argv: list[str]) -> Sample:
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        actions = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
        started = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        elapsed = time.perf_counter() - started
    finally:
        os.close(devnull)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed")
    return Sample(elapsed, usage.ru_utime + usage.ru_stime)


def _hyperfine(argv: list[str], runs: int) -> list[Sample]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = " ".join(_quote(a) for a in argv)
        subprocess.run(
            ["hyperfine", "-N", "--style", "none", "-r", str(runs), "--export-json", str(report),
             command],
            check=True, capture_output=True,
        )  # fmt: skip
        result = json.loads(report.read_text())["results"][0]
        cpu = result["user"] + result["system"]  # hyperfine gives only their means
        return [Sample(wall, cpu) for wall in result["times"]]


def _quote(arg: str) -> str:
    # hyperfine -N splits the command like a shell would: quote what has spaces or quotes.
    return "'" + arg.replace("'", "'\\''") + "'" if any(c in arg for c in " '\"") else arg


def measure(runs: int, tool: str) -> dict[str, tuple[float, float]]:
    """command -> (median wall seconds, median CPU seconds)."""
    samples: dict[str, list[Sample]] = {name: [] for name in commands()}
    os.chdir(REPO)
    # An installed wheel has its bytecode, like the libraries in site-packages; an editable
    # checkout under PYTHONDONTWRITEBYTECODE would compile gate_runner on every start.
    compileall.compile_dir(REPO / "gate_runner", quiet=1)
    for argv in commands().values():
        _spawn_once(argv)  # warm the page cache once
    # Rounds, every command in each: a burst of load on a shared machine hits all alike.
    rounds, per_round = (max(runs // 5, 1), 5) if tool == "hyperfine" else (runs, 1)
    for _ in range(rounds):
        for name, argv in commands().items():
            if tool == "hyperfine":
                samples[name] += _hyperfine(argv, per_round)
            else:
                samples[name].append(_spawn_once(argv))
    return {
        name: (statistics.median(s.wall for s in found), statistics.median(s.cpu for s in found))
        for name, found in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Median startup time of gate-runner commands.")
    parser.add_argument("-n", "--runs", type=int, default=30)
    parser.add_argument(
        "--hyperfine", action="store_true", help="time with hyperfine -N (must be on PATH)"
    )
    args = parser.parse_args()
    if args.hyperfine and not shutil.which("hyperfine"):
        raise SystemExit("hyperfine is not on PATH (Debian: apt-get install -y hyperfine)")
    tool = "hyperfine -N" if args.hyperfine else "posix_spawn + wait4"
    results = measure(args.runs, "hyperfine" if args.hyperfine else "spawn")
    wall_base = results[PYTHON][0]
    wall_floor, cpu_floor = results[FLOOR]
    print(f"## Start-up (median of {args.runs} runs, {tool}; {machine()})\n")
    rows = [
        [
            f"`{name}`",
            f"{wall * 1000:.1f}",
            f"{cpu * 1000:.1f}",
            f"{wall / wall_base:.2f}",
            f"{wall / wall_floor:.2f}",
            f"{cpu / cpu_floor:.2f}",
        ]
        for name, (wall, cpu) in results.items()
    ]
    headers = ["command", "wall ms", "CPU ms", "x python -c pass", "x floor (wall)",
               "x floor (CPU)"]  # fmt: skip
    print(table(headers, rows))
    validate, checker = results[VALIDATE], results[CHECK_JSONSCHEMA]
    print(
        f"\ncheck-jsonschema / gate-runner validate: {checker[0] / validate[0]:.2f}x wall, "
        f"{checker[1] / validate[1]:.2f}x CPU"
    )
    over = 0.0
    for name in (VALIDATE, HELP, CHECK_HELP):
        wall, cpu = results[name]
        print(
            f"{name.split(' sepurux')[0]} / import floor: {wall / wall_floor:.2f}x wall, "
            f"{cpu / cpu_floor:.2f}x CPU (limit {FLOOR_LIMIT}x)"
        )
        over = max(over, wall / wall_floor, cpu / cpu_floor)
    if checker[0] <= validate[0] or over > FLOOR_LIMIT:
        raise SystemExit("start-up budget missed")


if __name__ == "__main__":
    main()
