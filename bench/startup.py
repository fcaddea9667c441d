"""Startup benchmark: median wall time of gate-runner commands against the interpreter's own start.

Usage: python bench/startup.py [-n RUNS]

check-jsonschema validates the same file against the same schema (schema only: no extends,
no semantic checks), so the ratio understates what `validate` does per millisecond.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import machine, table

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXAMPLE = str(REPO / "sepurux.yml.example")
SCHEMA = str(REPO / "schemas" / "sepurux.schema.json")
VALIDATE = "gate-runner validate sepurux.yml.example"
EXPLAIN = "gate-runner explain --config sepurux.yml.example"
CHECK_JSONSCHEMA = "check-jsonschema (same file, same schema)"


def commands() -> dict[str, list[str]]:
    gate_runner = str(BIN / "gate-runner")
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "gate-runner --help": [gate_runner, "--help"],
        VALIDATE: [gate_runner, "validate", EXAMPLE],
        EXPLAIN: [gate_runner, "explain", "--config", EXAMPLE],
        CHECK_JSONSCHEMA: [
            str(BIN / "check-jsonschema"), "--default-filetype", "yaml",
            "--schemafile", SCHEMA, EXAMPLE,
        ],
    }  # fmt: skip


def median_seconds(argv: list[str], runs: int) -> float:
    subprocess.run(argv, capture_output=True, check=True, cwd=REPO)  # warm the page cache once
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, cwd=REPO)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description="Median startup time of gate-runner commands.")
    parser.add_argument("-n", "--runs", type=int, default=20)
    runs = parser.parse_args().runs
    results = {name: median_seconds(argv, runs) for name, argv in commands().items()}
    base = results["python -c pass"]
    print(f"## Start-up (median of {runs} runs; {machine()})\n")
    rows = [
        [f"`{name}`", f"{seconds * 1000:.1f}", f"{seconds / base:.2f}"]
        for name, seconds in results.items()
    ]
    print(table(["command", "ms", "x python -c pass"], rows))
    speedup = results[CHECK_JSONSCHEMA] / results[VALIDATE]
    print(f"\ncheck-jsonschema / gate-runner validate: {speedup:.2f}x")


if __name__ == "__main__":
    main()
