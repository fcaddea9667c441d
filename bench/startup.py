"""Startup benchmark: median wall time of whole gate-runner processes, timed from outside.

Usage: python bench/startup.py [-n RUNS]

Each command is timed as a whole process by hyperfine (`-N`: no shell in between) when it is
on PATH (Debian: `apt-get install -y hyperfine`), else by this script with os.posix_spawn,
which starts the child without copying this process, so no parent's fork cost lands on
either side of a ratio. Runs are interleaved round by round, so a burst of load on a shared
machine hits every command alike.

check-jsonschema validates the same file against the same schema (schema only: no extends,
no semantic checks), so the ratio understates what `validate` does per millisecond. The
floor is `python -c 'import yaml, jsonschema, jmespath'`: what the design's libraries cost
before gate-runner does anything; `validate` must stay within 1.3x of it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine, table

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXAMPLE = "sepurux.yml.example"
SCHEMA = "schemas/sepurux.schema.json"
PYTHON = "python -c pass"
FLOOR = "python -c 'import yaml, jsonschema, jmespath'"
VALIDATE = "gate-runner validate sepurux.yml.example"
EXPLAIN = "gate-runner explain --config sepurux.yml.example"
CHECK_JSONSCHEMA = "check-jsonschema (same file, same schema)"
FLOOR_LIMIT = 1.3


def commands() -> dict[str, list[str]]:
    gate_runner = str(BIN / "gate-runner")
    return {
        PYTHON: [sys.executable, "-c", "pass"],
        FLOOR: [sys.executable, "-c", "import yaml, jsonschema, jmespath"],
        "gate-runner --help": [gate_runner, "--help"],
        VALIDATE: [gate_runner, "validate", EXAMPLE],
        EXPLAIN: [gate_runner, "explain", "--config", EXAMPLE],
        CHECK_JSONSCHEMA: [
            str(BIN / "check-jsonschema"), "--default-filetype", "yaml",
            "--schemafile", SCHEMA, EXAMPLE,
        ],
    }  # fmt: skip


def _spawn_once(argv: list[str]) -> float:
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        actions = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
        started = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
        _, status = os.waitpid(pid, 0)
        elapsed = time.perf_counter() - started
    finally:
        os.close(devnull)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed")
    return elapsed


def _hyperfine_once(argv: list[str], runs: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = " ".join(_quote(a) for a in argv)
        subprocess.run(
            ["hyperfine", "-N", "--style", "none", "-r", str(runs), "--export-json", str(report),
             command],
            check=True, capture_output=True,
        )  # fmt: skip
        times: list[float] = json.loads(report.read_text())["results"][0]["times"]
        return times


def _quote(arg: str) -> str:
    # hyperfine -N splits the command like a shell would: quote what has spaces or quotes.
    return "'" + arg.replace("'", "'\\''") + "'" if any(c in arg for c in " '\"") else arg


def measure(runs: int, tool: str) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in commands()}
    os.chdir(REPO)
    for argv in commands().values():
        _spawn_once(argv)  # warm the page cache once
    # Rounds of a few runs each, every command per round: load bursts hit all of them.
    rounds, per_round = (max(runs // 5, 1), 5) if tool == "hyperfine" else (runs, 1)
    for _ in range(rounds):
        for name, argv in commands().items():
            if tool == "hyperfine":
                samples[name] += _hyperfine_once(argv, per_round)
            else:
                samples[name].append(_spawn_once(argv))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description="Median startup time of gate-runner commands.")
    parser.add_argument("-n", "--runs", type=int, default=30)
    parser.add_argument("--spawn", action="store_true", help="posix_spawn even with hyperfine")
    args = parser.parse_args()
    tool = "hyperfine" if shutil.which("hyperfine") and not args.spawn else "posix_spawn"
    results = measure(args.runs, tool)
    base, floor = results[PYTHON], results[FLOOR]
    print(f"## Start-up (median of {args.runs} runs, {tool}; {machine()})\n")
    rows = [
        [f"`{name}`", f"{seconds * 1000:.1f}", f"{seconds / base:.2f}", f"{seconds / floor:.2f}"]
        for name, seconds in results.items()
    ]
    print(table(["command", "ms", "x python -c pass", "x import floor"], rows))
    speedup = results[CHECK_JSONSCHEMA] / results[VALIDATE]
    over_floor = results[VALIDATE] / floor
    print(f"\ncheck-jsonschema / gate-runner validate: {speedup:.2f}x")
    print(f"gate-runner validate / import floor: {over_floor:.2f}x (limit {FLOOR_LIMIT}x)")
    if speedup <= 1 or over_floor > FLOOR_LIMIT:
        raise SystemExit("start-up budget missed")


if __name__ == "__main__":
    main()
