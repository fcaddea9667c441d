"""The budget sweep (issue 21): a fixed total budget across campaigns, the planner's
allocation against an even split.

Each seeded gate has 4 campaigns whose true pass rates are drawn from {0.70, 0.75, 0.80,
0.90, 0.95, 1.00} (at least 0.05 from the bar 0.85, so every answer is right or wrong);
runs of 50 attempts, ρ 0.02, the default rule (confidence 0.95, repeat 2, max_runs 20,
on_inconclusive fail). The campaigns' runs are drawn once and replayed to both
allocations (common random numbers):

  planner     the gate's own loop: round 1 starts every `repeat`, then one more run per
              undecided campaign while the budget lasts; when it cannot serve all, the runs
              go by `statistics.budget.next_run_priority` (runner._serve)
  even split  each campaign may spend at most budget / 4 runs (the remainder to the first)

A correct blocking answer blocks an agent at or below 0.80 and passes one at or above 0.90.
Run from decisions.py: .venv/bin/python bench/decisions.py --budget-sweep
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from multiprocessing import Pool

from gate_runner.statistics import Bar, RunPlan, Sample, decide_bar
from gate_runner.statistics.budget import next_run_priority
from gate_runner.statistics.simulation import draw_successes

BAR = Bar("min_pass_rate", "pass_rate", 0.85, "min")
PLAN = RunPlan(repeat=2, max_runs=20, confidence=0.95)
CAMPAIGNS = 4
TRIALS = 50
RHO = 0.02
TRUES = (0.70, 0.75, 0.80, 0.90, 0.95, 1.00)
BUDGETS = (8, 12, 16, 24, 32, 48)
ALLOCATIONS = ("planner", "even split")

Runs = list[list[Sample]]


def _gate(budget: int, runs: Sequence[Sequence[Sample]], allocation: str) -> list[str]:
    """Each campaign's final status under `budget` runs in all ("pass", "fail", "inconclusive")."""
    caps = [budget // CAMPAIGNS + (i < budget % CAMPAIGNS) for i in range(CAMPAIGNS)]
    taken = [PLAN.repeat] * CAMPAIGNS
    final: list[str | None] = [None] * CAMPAIGNS
    while True:
        waiting = []
        for i in range(CAMPAIGNS):
            if final[i] is not None:
                continue
            status = decide_bar(tuple(runs[i][: taken[i]]), BAR, PLAN).status
            if status != "continue":
                final[i] = status
            elif allocation == "even split" and taken[i] >= caps[i]:
                final[i] = "inconclusive"
            else:
                waiting.append(i)
        left = budget - sum(taken)
        if not waiting:
            break
        if allocation == "planner" and left < len(waiting):
            served = sorted(waiting, key=lambda i: _priority(runs[i][: taken[i]]), reverse=True)
            served = served[: max(left, 0)]
        else:
            served = waiting
        for i in waiting:
            if i in served:
                taken[i] += 1
            else:
                final[i] = "inconclusive"
    return [s or "inconclusive" for s in final]


def _priority(runs: Sequence[Sample]) -> tuple[float, float]:
    return next_run_priority(tuple(runs), BAR, PLAN)


def _job(job: tuple[int, int, int]) -> dict[tuple[int, str], tuple[int, int]]:
    """(budget, allocation) -> (correct answers, campaigns) over `gates` seeded gates."""
    first, gates, seed = job
    out = {(b, a): (0, 0) for b in BUDGETS for a in ALLOCATIONS}
    for gate in range(first, first + gates):
        rng = random.Random(f"{seed}:budget:{gate}")
        trues = [rng.choice(TRUES) for _ in range(CAMPAIGNS)]
        runs: Runs = [
            [Sample(draw_successes(rng, TRIALS, t, RHO) / TRIALS, TRIALS) for _ in range(20)]
            for t in trues
        ]
        for budget in BUDGETS:
            for allocation in ALLOCATIONS:
                statuses = _gate(budget, runs, allocation)
                right = sum(
                    (s == "pass") == (t > BAR.limit) for s, t in zip(statuses, trues, strict=True)
                )  # inconclusive blocks (on_inconclusive fail): right only below the bar
                correct, total = out[budget, allocation]
                out[budget, allocation] = (correct + right, total + CAMPAIGNS)
    return out


def budget_sweep(gates: int, seed: int) -> dict[tuple[int, str], float]:
    """The share of correct blocking answers per (budget, allocation)."""
    chunk = max(gates // (os.cpu_count() or 1), 1)
    jobs = [(first, min(chunk, gates - first), seed) for first in range(0, gates, chunk)]
    totals = {(b, a): (0, 0) for b in BUDGETS for a in ALLOCATIONS}
    with Pool(os.cpu_count() or 1) as pool:
        for part in pool.imap_unordered(_job, jobs):
            for key, (right, count) in part.items():
                correct, total = totals[key]
                totals[key] = (correct + right, total + count)
    return {key: correct / total for key, (correct, total) in totals.items()}


def budget_rows(shares: dict[tuple[int, str], float]) -> list[list[str]]:
    """One row per budget: its runs per campaign, each allocation's share, the difference."""
    return [
        [
            str(b),
            f"{b / CAMPAIGNS:g}",
            f"{shares[b, 'planner']:.3f}",
            f"{shares[b, 'even split']:.3f}",
            f"{shares[b, 'planner'] - shares[b, 'even split']:+.3f}",
        ]
        for b in BUDGETS
    ]
