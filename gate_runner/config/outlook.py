"""What each campaign's settings promise, for `explain`: P(pass) near the bar and mean runs.

Simulated in process by the gate's own rule (`statistics.simulation.simulate` over
`statistics.plan.decide_bar`), seeded, so the same policy always prints the same figures.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gate_runner.policy import Campaign, Policy
from gate_runner.statistics import Bar, RunPlan

# 2,500 gates a figure: a standard error of at most 0.01 on P(pass) (sqrt(0.25 / 2500)),
# and about a second and a half for the six figures of one campaign's settings.
GATES = 2_500
SEED = 0
STEP = 0.05  # the rates shown: bar - STEP, the bar, bar + STEP
DEFAULT_ICC = 0.05  # run-to-run correlation assumed when statistics.icc declares none
DEFAULT_ATTEMPTS = 50


def outlooks(policy: Policy, attempts: int = DEFAULT_ATTEMPTS) -> dict[str, dict[str, Any]]:
    """Per campaign key with a min_pass_rate below 1: the simulated figures (plain data)."""
    declared = policy.statistics.icc
    icc = DEFAULT_ICC if declared is None else declared
    shared: dict[tuple[RunPlan, float], dict[str, Any]] = {}
    out: dict[str, dict[str, Any]] = {}
    for campaign in policy.campaigns:
        bar = _bar(campaign)
        if bar is None:
            continue
        # on_inconclusive changes what an undecided gate counts as, not the gates: simulate once.
        key = (replace(campaign.runs, on_inconclusive="fail"), bar.limit)
        if key not in shared:
            shared[key] = _figures(key[0], bar, attempts, icc, declared is not None)
        out[campaign.key] = _settled(shared[key], campaign.runs.on_inconclusive != "fail")
    return out


def _settled(figures: dict[str, Any], lenient: bool) -> dict[str, Any]:
    """The figures with an undecided gate counted as a pass when on_inconclusive says so."""
    rows = [
        {
            **{k: v for k, v in row.items() if k != "undecided"},
            "p_pass": [
                round(p + (u if lenient else 0.0), 3)
                for p, u in zip(row["p_pass"], row["undecided"], strict=True)
            ],
        }
        for row in figures["rows"]
    ]
    return {**figures, "rows": rows}


def _bar(campaign: Campaign) -> Bar | None:
    rate = next((t.value for t in campaign.thresholds if t.key == "min_pass_rate"), None)
    if not isinstance(rate, (int, float)) or not 0.0 < rate < 1.0:
        return None
    return Bar("min_pass_rate", "pass_rate", float(rate), "min")


def _figures(plan: RunPlan, bar: Bar, attempts: int, icc: float, declared: bool) -> dict[str, Any]:
    # late: the simulator loads multiprocessing; only explain's outlook needs it, not every command
    from gate_runner.statistics.simulation import simulate

    rates = [r for r in (bar.limit - STEP, bar.limit, bar.limit + STEP) if 0.0 <= r <= 1.0]
    rows = []
    for rho in dict.fromkeys((0.0, icc)):  # once when the declared icc is 0
        memo: dict[tuple[int, ...], str] = {}
        found = [
            simulate(
                plan,
                bar,
                rate=round(r, 6),
                icc=rho,
                trials=attempts,
                gates=GATES,
                seed=SEED,
                memo=memo,
            )
            for r in rates
        ]
        rows.append(
            {
                "icc": rho,
                "source": "independent" if rho == 0.0 else ("declared" if declared else "default"),
                "rates": [round(r, 6) for r in rates],
                "p_pass": [o.passes for o in found],
                "undecided": [o.undecided for o in found],
                "mean_runs": [round(o.mean_runs, 2) for o in found],
            }
        )
    return {"attempts": attempts, "gates": GATES, "seed": SEED, "rows": rows}


def render(figures: dict[str, Any]) -> list[str]:
    """The text lines under a campaign in `explain`."""
    lines = [
        f"  outlook (simulated by this rule: {figures['attempts']} attempts a run, "
        f"{figures['gates']:,} seeded gates a figure, standard error <= 0.01):"
    ]
    for row in figures["rows"]:
        why = {
            "independent": "independent attempts",
            "declared": "statistics.icc",
            "default": "runs that vary; declare statistics.icc to change it",
        }[row["source"]]
        chances = ", ".join(
            f"{p:.3f} at {r:g}" for p, r in zip(row["p_pass"], row["rates"], strict=True)
        )
        runs = ", ".join(f"{m:.2f}" for m in row["mean_runs"])
        lines.append(f"    icc {row['icc']:g} ({why}): P(pass) {chances}; mean runs {runs}")
    return lines
