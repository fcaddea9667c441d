"""A few points of bench/decisions.py confirmed end to end: the sandbox and `gate-runner check`.

For each point (true pass rate, attempts per run) one `gate-runner check` process judges
--gates campaigns of one seeded sandbox at once: campaign i is an agent of that true rate
(`pass_rate: {true, trials, icc}`: with icc above 0 each run's rate is drawn from a Beta of
mean true and that intra-class correlation), so each campaign is one independent gate. The
policy is the benchmark's sequential setting (`max_runs: 5`, `statistics: {confidence: 0.95,
trials: trace_count}`, `min_pass_rate: 0.85`, `on_inconclusive: fail`), with no `icc` (the
default run-rates rule) unless `--policy-icc` declares one (`--policy-icc 0`: pooled Wilson +
SPRT, the rule before issue 19).

The sandbox draws each run with `statistics.simulation`, the rule the in-process benchmark
uses, so the same draws can be replayed through `statistics.decide` with the `RunPlan` the
policy file itself loads to (whatever rule it selects): the script checks that every gate's
outcome and number of runs agree with that replay (it prints the match count and exits 1 on
any mismatch), and prints P(block) and mean runs beside the exact operating characteristic
(no sampling error) where one exists (the SPRT: `--policy-icc 0` and runs of fixed rate).

Run: .venv/bin/python bench/decisions_e2e.py [--gates 200] [--seed 12] [--policy-icc RHO]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import yaml
from _common import clean_env, machine, table

from gate_runner.config import load_policy
from gate_runner.sandbox import Sandbox, Scenario
from gate_runner.sandbox.scenario import campaign_uuid
from gate_runner.statistics import Bar, RunPlan, Sample, decide
from gate_runner.statistics.sequential import Sprt, operating_characteristic
from gate_runner.statistics.simulation import draw_successes, run_rng

BAR = 0.85
CONFIDENCE = 0.95
MAX_RUNS = 5
# (true rate, attempts a run, icc): runs of fixed rate, then runs that vary.
POINTS = (
    (0.75, 50, 0.0),
    (0.80, 50, 0.0),
    (0.90, 50, 0.0),
    (0.95, 50, 0.0),
    (0.90, 100, 0.0),
    (0.80, 50, 0.05),
    (0.90, 50, 0.05),
    (0.95, 50, 0.10),
)
TOKEN = "bench-decisions-e2e"  # a local sandbox's token, not a secret


def scenario(true: float, trials: int, icc: float, gates: int, seed: int) -> dict[str, object]:
    return {
        "seed": seed,
        "campaigns": [
            {
                "name": f"agent-{i}",
                "duration": 0.05,
                "metrics": {"pass_rate": {"true": true, "trials": trials, "icc": icc}},
            }
            for i in range(gates)
        ],
    }


def policy(gates: int, declared: float | None) -> dict[str, object]:
    statistics: dict[str, object] = {"confidence": CONFIDENCE, "trials": "trace_count"}
    if declared is not None:
        statistics["icc"] = declared
    return {
        "version": 1,
        "gate": {"timeout": 1800, "concurrency": 32, "max_runs": MAX_RUNS},
        "enforcement": {"mode": "hard"},
        "statistics": statistics,
        "thresholds": {"min_pass_rate": BAR},
        "campaigns": {f"g{i}": {"campaign": f"agent-{i}"} for i in range(gates)},
    }


def replay(
    plan: RunPlan, true: float, trials: int, icc: float, *, seed: int, name: str
) -> tuple[bool, int]:
    """(blocked, runs) of the same gate in process: the sandbox's draws through decide(), with
    the RunPlan the policy loaded to (so whatever rule the policy selects)."""
    bar = Bar("min_pass_rate", "pass_rate", BAR, "min")
    samples: list[Sample] = []
    for index in range(1, plan.budget + 1):
        successes = draw_successes(run_rng(seed, campaign_uuid(name), index), trials, true, icc)
        samples.append(Sample(successes / trials, trials))
        decision = decide(tuple(samples), bar, plan)
        if decision.status != "continue":
            return decision.status != "pass", index
    raise AssertionError("the plan never asked for more than max_runs")


def point(
    true: float, trials: int, icc: float, *, gates: int, seed: int, declared: float | None
) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as work:
        directory = Path(work)
        config = directory / "sepurux.yml"
        config.write_text(yaml.safe_dump(policy(gates, declared), sort_keys=False), "utf-8")
        plans = {c.key: c.runs for c in load_policy(config, env={}).campaigns}
        verdict_path = directory / "verdict.json"
        box = Scenario.from_dict(scenario(true, trials, icc, gates, seed))
        with Sandbox(box, host="127.0.0.1", port=0, token=TOKEN) as sandbox:
            started = time.monotonic()
            command = ["check", "--api-url", sandbox.url, "--config", str(config)]
            subprocess.run(
                [sys.executable, "-m", "gate_runner", *command, "--verdict", str(verdict_path)],
                cwd=directory,
                env=clean_env(SEPURUX_API_KEY=TOKEN),
                capture_output=True,
                check=False,
                timeout=3600,
            )
            wall = time.monotonic() - started
            created = sandbox.runs_created
        verdict = json.loads(verdict_path.read_text(encoding="utf-8"))
    campaigns = {c["key"]: c for c in verdict["campaigns"]}
    blocked = runs = agree = 0
    for i in range(gates):
        campaign = campaigns[f"g{i}"]
        gate_blocked = campaign["outcome"] != "pass"
        gate_runs = len(campaign["runs"])
        blocked += gate_blocked
        runs += gate_runs
        gate = replay(plans[f"g{i}"], true, trials, icc, seed=seed, name=f"agent-{i}")
        agree += gate == (gate_blocked, gate_runs)
    exact_block = exact_runs = "-"  # no closed form for runs that vary, nor for run-rates-t
    if icc == 0.0 and declared == 0.0:
        sprt = Sprt(BAR, "min", 1.0 - CONFIDENCE)
        exact = operating_characteristic(sprt, true, trials, MAX_RUNS)
        exact_block = f"{exact.failed + exact.inconclusive:.3f}"
        exact_runs = f"{exact.mean_runs:.2f}"
    return {
        "true rate": f"{true:.2f}",
        "attempts": trials,
        "icc": f"{icc:g}",
        "gates": gates,
        "P(block) e2e": f"{blocked / gates:.3f}",
        "P(block) exact": exact_block,
        "mean runs e2e": f"{runs / gates:.2f}",
        "mean runs exact": exact_runs,
        "runs created": created,
        "same as in process": f"{agree}/{gates}",
        "wall s": f"{wall:.1f}",
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gates", type=int, default=200)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--policy-icc", type=float, default=None, help="the policy's statistics.icc (default: none)"
    )
    args = parser.parse_args(argv)
    rows = [point(*p, gates=args.gates, seed=args.seed, declared=args.policy_icc) for p in POINTS]
    declared = "" if args.policy_icc is None else f" --policy-icc {args.policy_icc:g}"
    print(f"bench/decisions_e2e.py --gates {args.gates} --seed {args.seed}{declared}; {machine()}")
    print(table(list(rows[0]), [[str(v) for v in row.values()] for row in rows]))
    matched = sum(int(str(row["same as in process"]).split("/")[0]) for row in rows)
    total = args.gates * len(rows)
    print(f"decisions matching the in-process rule: {matched} of {total}")
    return 0 if matched == total else 1


if __name__ == "__main__":
    sys.exit(main())
