"""Delivery: a saved verdict with 5,000 campaigns rendered through every reporter, whole process.

`gate-runner evaluate --payload VERDICT` judges the saved payloads again and delivers: the
verdict file, every report format, the GitHub step summary and outputs, with a token set
(so the scrubber works too). The same command without reports is timed as well; the
difference is what delivery costs. Each figure is the median of whole-process runs timed
from outside (the process's own start-up included).

Run: .venv/bin/python bench/delivery.py [--campaigns 5000] [--reps 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import machine, median, table

FORMATS = ("text", "json", "junit", "sarif", "gitlab", "github", "markdown")
TOKEN = "tok_BENCH_SECRET_9d1e"


def write_inputs(folder: Path, campaigns: int) -> tuple[Path, Path]:
    """A policy with `campaigns` campaigns, and a verdict holding a failing payload for each."""
    policy = {
        "version": 1,
        "enforcement": {"mode": "hard"},
        "thresholds": {"min_pass_rate": 0.9, "max_unsafe": 0},
        "campaigns": {f"c{i}": {} for i in range(campaigns)},
    }
    (folder / "sepurux.yml").write_text(json.dumps(policy), encoding="utf-8")
    payload: dict[str, Any] = {
        "status": "done",
        "decision": "fail",
        "pass_rate": 0.5,
        "unsafe_attempts": 1,
        "failures": 3,
        "top_failing_tools": [{"tool": f"tool.{n}", "count": n} for n in range(5)],
    }
    saved = {
        "schema_version": 1,
        "campaigns": [{"key": f"c{i}", "payload": payload} for i in range(campaigns)],
    }
    verdict = folder / "saved.json"
    verdict.write_text(json.dumps(saved), encoding="utf-8")
    return folder / "sepurux.yml", verdict


def run(folder: Path, reports: bool) -> float:
    args = [sys.executable, "-m", "gate_runner", "evaluate", "--payload", "saved.json"]
    if reports:
        args += [f"--report={name}=out/{name}.out" for name in FORMATS]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI", "SEPURUX_"))}
    env["SEPURUX_API_KEY"] = TOKEN
    if reports:
        env["GITHUB_ACTIONS"] = "true"
        env["GITHUB_STEP_SUMMARY"] = str(folder / "summary.md")
        env["GITHUB_OUTPUT"] = str(folder / "output.txt")
        (folder / "summary.md").write_text("", encoding="utf-8")
    started = time.perf_counter()
    done = subprocess.run(args, cwd=folder, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 1:
        raise SystemExit(f"expected exit 1 (blocked), got {done.returncode}: {done.stderr!r}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_inputs(folder, options.campaigns)
        bare = median([run(folder, reports=False) for _ in range(options.reps)])
        full = median([run(folder, reports=True) for _ in range(options.reps)])
    print(machine())
    print(
        table(
            ["gate-runner evaluate", f"{options.campaigns} campaigns (s, median)"],
            [
                ["verdict file only", f"{bare:.2f}"],
                ["verdict + 7 reports + step summary + outputs", f"{full:.2f}"],
                ["delivery's share (difference)", f"{full - bare:.2f}"],
            ],
        )
    )


if __name__ == "__main__":
    main()
