"""Replay benchmark: `gate-runner replay` over 10,000 saved verdicts, whole process timed.

The verdicts are real ones (judged by the runner from payloads with three campaigns,
failing tools and mutation categories), varied per commit and written to a temp dir;
each records its policy (a repository file over a central one, issue 20), and the
candidate, a central policy with four thresholds and three assertions, replaces the
central file in every one: each distinct policy is rebuilt once. Target (#13): under
10 s on this machine.

Run: .venv/bin/python bench/replay.py [--verdicts 10000] [--reps 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from _common import GATE_RUNNER, clean_env, machine, median, table

from gate_runner.config import load_policy
from gate_runner.runner import GateOptions, evaluate_payloads
from gate_runner.verdict import CIContext

TARGET_S = 10.0
CENTRAL = """version: 1
thresholds: {min_pass_rate: 0.8, max_unsafe: 0}
"""
# Each repository's own file; a few keep their own bar for one campaign.
POLICY_IN_FORCE = """version: 1
extends: [central.yml]
campaigns: {{core: {{}}, refunds: {{}}, search: {own}}}
"""
CANDIDATE = """version: 1
thresholds: {min_pass_rate: 0.85, max_unsafe: 0, max_failures: 6, min_mutation_categories: 2}
assertions:
  - name: refund-tool-stable
    expr: "length(top_failing_tools[?tool=='payments.refund']) == `0`"
  - name: few-tools-failing
    expr: "length(top_failing_tools) <= `3`"
    level: warn
  - {name: categories, expr: "contains(mutation_categories, 'tool_timeout')"}
"""


def payload(rng: random.Random, index: int) -> dict[str, Any]:
    tools = rng.sample(
        ["payments.refund", "search", "mail", "calendar", "crm.lookup"], rng.randint(0, 3)
    )
    return {
        "run_id": f"run-{index}",
        "status": "done",
        "decision": "pass",
        "pass_rate": round(rng.uniform(0.8, 1.0), 3),
        "unsafe_attempts": 0,
        "failures": rng.randint(0, 8),
        "top_failing_tools": [{"tool": t, "count": rng.randint(1, 4)} for t in tools],
        "mutation_categories": ["tool_timeout", "schema_drift", "rate_limit"][: rng.randint(1, 3)],
        "dashboard_url": f"https://app.sepurux.dev/runs/{index}",
    }


def write_verdicts(folder: Path, count: int) -> None:
    (folder / "central.yml").write_text(CENTRAL, encoding="utf-8")
    policies = []
    here = Path.cwd()
    os.chdir(folder)  # loaded from the repository's root, as CI runs it
    try:
        for repo in range(40):
            own = "{thresholds: {min_pass_rate: 0.8}}" if repo % 4 == 0 else "{}"
            Path("sepurux.yml").write_text(POLICY_IN_FORCE.format(own=own), encoding="utf-8")
            policies.append(load_policy(Path("sepurux.yml"), env={}))
    finally:
        os.chdir(here)
    rng = random.Random(13)
    out = folder / "verdicts"
    out.mkdir()
    for i in range(count):
        payloads = {key: payload(rng, i) for key in ("core", "refunds", "search")}
        verdict = evaluate_payloads(
            policies[i % 40],
            payloads,
            GateOptions(campaign_keys=tuple(payloads)),
            ci=CIContext(
                "github", repository=f"acme/agent-{i % 40}", commit=f"{i:08x}".ljust(40, "0")
            ),
            today=date(2026, 11, 29),
        )
        (out / f"{i:05d}.json").write_text(verdict.to_json(), encoding="utf-8")
    (folder / "candidate.yml").write_text(CANDIDATE, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verdicts", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as scratch:
        folder = Path(scratch)
        write_verdicts(folder, args.verdicts)
        size = sum(p.stat().st_size for p in (folder / "verdicts").iterdir())
        command = [
            GATE_RUNNER,
            "replay",
            "--policy",
            "candidate.yml",
            "--replaces",
            "central.yml",
            "verdicts",
            "--format",
            "json",
        ]
        samples, cpu, report = [], [], {}
        for _ in range(args.reps):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run(
                command, cwd=folder, env=clean_env(), capture_output=True, check=True
            )
            samples.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            report = json.loads(done.stdout)
    seconds = median(samples)
    # On a shared machine the wall time follows the load; the CPU seconds (every process
    # of the run, workers included) say what replay itself costs.
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f} at the end")
    print(
        f"{args.verdicts} verdicts, 3 campaigns each, {size / 1e6:.1f} MB on disk; "
        f"median of {args.reps}"
    )
    print(
        table(
            ["command", "wall s", "cpu s", "target s", "verdicts judged", "blocked"],
            [
                [
                    "gate-runner replay --format json",
                    seconds,
                    median(cpu),
                    TARGET_S,
                    report["verdicts"],
                    report["blocked"],
                ]
            ],
        )
    )
    print("met" if seconds < TARGET_S else "MISSED")


if __name__ == "__main__":
    main()
