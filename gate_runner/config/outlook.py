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
    # Campaigns with the same runs are simulated together: a rate two bars show (0.85 is
    # 0.9 - STEP and 0.8 + STEP) is drawn once. on_inconclusive changes what an undecided
    # gate counts as, not the gates: simulate once.
    bars: dict[RunPlan, dict[float, Bar]] = {}
    for campaign in policy.campaigns:
        bar = _bar(campaign)
        if bar is not None:
            plan = replace(campaign.runs, on_inconclusive="fail")
            bars.setdefault(plan, {})[bar.limit] = bar
    shared = {
        (plan, limit): figures
        for plan, by_limit in bars.items()
        for limit, figures in _figures(plan, by_limit, attempts, icc, declared is not None).items()
    }
    out: dict[str, dict[str, Any]] = {}
    for campaign in policy.campaigns:
        bar = _bar(campaign)
        if bar is not None:
            key = (replace(campaign.runs, on_inconclusive="fail"), bar.limit)
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


def _rates(bar: Bar) -> list[float]:
    """The true rates shown for a bar: bar - STEP, the bar, bar + STEP (those in 0..1)."""
    near = (bar.limit - STEP, bar.limit, bar.limit + STEP)
    return [round(r, 6) for r in near if 0.0 <= r <= 1.0]


def _figures(
    plan: RunPlan, bars: dict[float, Bar], attempts: int, icc: float, declared: bool
) -> dict[float, dict[str, Any]]:
    """Each bar's figures (by its limit) under one plan."""
    # late: the simulator loads multiprocessing; only explain's outlook needs it, not every command
    from gate_runner.statistics.simulation import Outlook, simulate

    rows: dict[float, list[dict[str, Any]]] = {limit: [] for limit in bars}
    for rho in dict.fromkeys((0.0, icc)):  # once when the declared icc is 0
        memos: dict[float, dict[tuple[int, ...], str]] = {limit: {} for limit in bars}
        found: dict[tuple[float, float], Outlook] = {}
        for rate in dict.fromkeys(r for bar in bars.values() for r in _rates(bar)):
            judged = [bar for bar in bars.values() if rate in _rates(bar)]
            outcomes = simulate(
                plan,
                judged,
                rate=rate,
                icc=rho,
                trials=attempts,
                gates=GATES,
                seed=SEED,
                memos=[memos[bar.limit] for bar in judged],
            )
            found.update({(bar.limit, rate): o for bar, o in zip(judged, outcomes, strict=True)})
        for limit, bar in bars.items():
            each = [found[(limit, rate)] for rate in _rates(bar)]
            rows[limit].append(
                {
                    "icc": rho,
                    "source": "independent"
                    if rho == 0.0
                    else ("declared" if declared else "default"),
                    "rates": _rates(bar),
                    "p_pass": [o.passes for o in each],
                    "undecided": [o.undecided for o in each],
                    "mean_runs": [round(o.mean_runs, 2) for o in each],
                }
            )
    return {
        limit: {"attempts": attempts, "gates": GATES, "seed": SEED, "rows": rows[limit]}
        for limit in bars
    }


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
