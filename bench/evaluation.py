"""Evaluation: what the gate adds to JMESPath, and the cost of a big policy behind `extends`.

1. 50 assertions over a payload with 10,000 failing tools: `evaluate_campaign` against
   calling the same compiled expressions directly (the ratio is the gate's overhead).
2. 500 campaigns behind a 5-level `extends` chain (generated in a temp dir): `load_policy`
   (parse, extends, merge, schema + semantic validation, build), `validate_files`, and
   `evaluate_campaign` for all 500.

Run: .venv/bin/python bench/evaluation.py [--reps 7]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from _common import machine, median, table

from gate_runner.config import load_policy, validate_files
from gate_runner.evaluate import evaluate_campaign
from gate_runner.expressions import compile_expression

TOOLS = 10_000
ASSERTIONS = 50
LEVELS = 5
CAMPAIGNS = 500


def timed(action: Callable[[], Any], reps: int) -> float:
    action()  # warm caches (the parser cache, imports)
    samples = []
    for _ in range(reps):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return median(samples)


def big_payload() -> dict[str, Any]:
    return {
        "run_id": "bench",
        "status": "done",
        "decision": "pass",
        "pass_rate": 0.91,
        "unsafe_attempts": 0,
        "failures": 2,
        "reliability_score": 88,
        "mutation_categories": ["tool_timeout", "prompt_injection", "schema_drift"],
        "mutation_coverage_score": 75,
        "top_failing_tools": [{"tool": f"tool-{i}", "count": 1 + i % 7} for i in range(TOOLS)],
    }


def assertion_exprs() -> list[str]:
    shapes = [
        "length(top_failing_tools[?tool=='payments.refund-{i}']) == `0`",
        "sum(top_failing_tools[].count) > `{i}`",
        "max_by(top_failing_tools, &count).count <= `{i}0`",
        "length(top_failing_tools[?count > `{i}`]) < `100000`",
        "contains(top_failing_tools[].tool, 'tool-{i}')",
        "baseline == null || pass_rate >= baseline.pass_rate - `0.0{i}`",
        "pass_rate - `0.{i}` <= `1` && failures <= `{i}`",
    ]
    return [shapes[i % len(shapes)].replace("{i}", str(i % 9 + 1)) for i in range(ASSERTIONS)]


def write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n")


def assertions_policy(workdir: Path) -> Path:
    lines = ["version: 1", "thresholds: {min_pass_rate: 0.85}", "assertions:"]
    for index, expr in enumerate(assertion_exprs()):
        lines += [f"  - name: a{index:02d}", f"    expr: {quote(expr)}"]
    lines += ["campaigns:", "  big: {trace_id: 7d3f0c2e-5b1a-4c8e-9f6d-2a4b6c8e0f13}"]
    path = workdir / "assertions.yml"
    write(path, lines)
    return path


def quote(expr: str) -> str:
    return '"' + expr.replace("\\", "\\\\").replace('"', '\\"') + '"'


def chain_policy(workdir: Path) -> Path:
    """sepurux.yml -> level-1.yml -> ... -> level-5.yml, 100 campaigns defined at each level."""
    per_level = CAMPAIGNS // LEVELS
    for level in range(1, LEVELS + 1):
        lines = ["version: 1"]
        if level < LEVELS:
            lines += ["extends:", f"  - level-{level + 1}.yml"]
        lines += [
            f"thresholds: {{min_pass_rate: 0.{80 + level}, max_unsafe: {level}}}",
            "assertions:",
            f"  - name: level-{level}",
            f'    expr: "failures <= `{level * 10}`"',
            "campaigns:",
        ]
        for index in range(per_level):
            name = f"l{level}-c{index:03d}"
            lines += [
                f"  {name}:",
                f"    trace_id: 7d3f0c2e-5b1a-4c8e-9f6d-{level:04d}{index:08d}",
                f"    thresholds: {{max_failures: {index % 5}}}",
                "    assertions:",
                f"      - name: {name}-tools",
                f"        expr: \"length(top_failing_tools[?tool=='t{index}']) == `0`\"",
            ]
        write(workdir / f"level-{level}.yml", lines)
    root = workdir / "sepurux.yml"
    write(
        root,
        [
            "version: 1",
            "extends: [level-1.yml]",
            "gate: {timeout: 900, concurrency: 32}",
            "enforcement: {mode: hard}",
            "thresholds: {min_pass_rate: 0.9}",
        ],
    )
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    reps = parser.parse_args().reps
    today = date.today()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        policy = load_policy(assertions_policy(workdir), env={})
        campaign = policy.campaigns[0]
        payload = big_payload()
        compiled = [compile_expression(a.expr) for a in campaign.assertions]
        assert len(compiled) == ASSERTIONS
        data = {**payload, "baseline": None}
        evaluation = evaluate_campaign(campaign, payload, waivers=policy.waivers, today=today)
        assert [c.status for c in evaluation.checks if c.kind == "assertion"].count("error") == 0
        direct = timed(lambda: [e.search(data) for e in compiled], reps)
        gate = timed(
            lambda: evaluate_campaign(campaign, payload, waivers=policy.waivers, today=today), reps
        )

        root = chain_policy(workdir)
        load = timed(lambda: load_policy(root, env={}), reps)
        validate = timed(lambda: validate_files([root], env={}), reps)
        chain = load_policy(root, env={})
        assert len(chain.campaigns) == CAMPAIGNS
        small = {**payload, "top_failing_tools": payload["top_failing_tools"][:20]}

        def evaluate_all() -> None:
            for entry in chain.campaigns:
                evaluate_campaign(entry, small, waivers=chain.waivers, today=today)

        everything = timed(evaluate_all, reps)

    print(f"## Evaluation (median of {reps} runs; {machine()})\n")
    rows = [
        [f"{ASSERTIONS} compiled expressions, called directly", f"{direct * 1000:.1f}", "1.00"],
        [
            f"evaluate_campaign: {ASSERTIONS} assertions + 1 threshold",
            f"{gate * 1000:.1f}",
            f"{gate / direct:.2f}",
        ],
    ]
    print(f"payload: {TOOLS:,} entries in top_failing_tools\n")
    print(table(["work", "ms", "x direct"], rows))
    print(
        f"\npolicy: {CAMPAIGNS} campaigns behind a {LEVELS}-level extends chain "
        f"({CAMPAIGNS // LEVELS} campaigns per file, each with a threshold and an assertion)\n"
    )
    rows = [
        ["load_policy (parse, extends, merge, validate, build)", f"{load * 1000:.0f}"],
        ["validate_files (what `gate-runner validate` runs)", f"{validate * 1000:.0f}"],
        [f"evaluate_campaign x {CAMPAIGNS} (20-tool payload)", f"{everything * 1000:.0f}"],
    ]
    print(table(["work", "ms"], rows))


if __name__ == "__main__":
    main()
