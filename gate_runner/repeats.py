"""A campaign judged over several runs: each threshold's decision, k-of-n, flaky, the aggregate.

The runner judges every run alone (today's `evaluate_campaign`); this module turns those
per-run results into the campaign's result (the checks over the runs come from
`run_checks.CampaignChecks`), and says whether another run could still change it
(docs/statistics.md, "How the gate uses it").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from gate_runner.enforce import blocks
from gate_runner.evaluate import apply_waivers
from gate_runner.modes import RuleModes, governing, mode_in_force
from gate_runner.policy import Campaign, ErrorPolicy, Mode, Policy
from gate_runner.run_checks import CampaignChecks, Stop
from gate_runner.statistics import (
    RunPlan,
    Sample,
    flakiness,
    next_run_priority,
    settle,
    spread,
    variability,
)
from gate_runner.thresholds import THRESHOLDS
from gate_runner.trials import trials_of
from gate_runner.verdict import (
    CampaignResult,
    Check,
    Outcome,
    RunError,
    RunRecord,
    with_changes,
)


@dataclass(frozen=True)
class Judged:
    """The campaign after the runs so far; `more` asks the runner for one more run."""

    result: CampaignResult
    more: bool


def is_plain(plan: RunPlan) -> bool:
    """One run judged on its point estimates: exactly what the gate did before repeats."""
    return (
        plan.budget == 1 and plan.confidence is None and plan.min_passing_runs is None
    ) and plan.aggregate == "median"


def record(policy: Policy, campaign: Campaign, run: CampaignResult) -> RunRecord:
    """One run for the verdict: its id, link, own outcome and the numbers its checks read."""
    metrics: dict[str, Any] = {}
    payload = run.payload or {}
    for check in run.checks:
        kind = THRESHOLDS.get(check.name)
        if check.kind == "threshold" and kind is not None and not kind.baseline:
            metrics[kind.metric] = check.actual
    if "pass_rate" not in metrics and isinstance(payload.get("pass_rate"), (int, float)):
        metrics["pass_rate"] = payload["pass_rate"]
    trials = trials_of(policy, run.payload)
    if trials is not None:
        metrics["trials"] = trials
    return RunRecord(
        run_id=run.run_id,
        dashboard_url=run.dashboard_url,
        status=run.status,
        outcome=run.outcome,
        metrics=metrics,
        duration_s=run.duration_s,
        payload=run.payload,
    )


def judge_runs(
    policy: Policy,
    campaign: Campaign,
    runs: Sequence[CampaignResult],
    *,
    today: date,
    last_chance: Stop | None = None,
    baseline: Sequence[dict[str, Any]] = (),
    capped: bool = False,
    override: Mode | None = None,
) -> Judged:
    """The campaign over `runs` (each already judged alone, in the order they ran).

    `last_chance` says no further run can start (the deadline passed, or it was cancelled):
    a decision still waiting for one becomes `inconclusive`. `capped`: gate.budget is
    what stopped it (`stopped: budget`, and the checks name gate.budget, not max_runs).
    """
    if capped:
        last_chance = "budget"
    plan = campaign.runs
    records = tuple(record(policy, campaign, r) for r in runs)
    last = runs[-1]
    if is_plain(plan):
        return Judged(with_changes(last, runs=records), more=False)
    decided = [r for r in runs if r.outcome != "error"]
    # A run the deadline cut after others decided is no evidence either way: judge the others
    # and say the deadline stopped it. Any other run without a decision leaves none for all.
    cut = [r for r in runs if r.outcome == "error" and r.status in ("timeout", "pending")]
    broken = next((r for r in runs if r.outcome == "error" and r not in cut), None)
    if broken is not None or not decided:
        failed = broken or runs[-1]
        return Judged(with_changes(failed, runs=records, payload=last.payload), more=False)
    if cut:
        runs, last_chance = decided, "deadline"
    last = runs[-1]
    base = mode_in_force(policy, campaign, today=today, override=override)
    judged = CampaignChecks(policy, campaign, runs, baseline, RuleModes(base, today))
    checks = judged.checks()
    waiting = judged.waiting and len(runs) < plan.budget and last_chance is None
    if judged.waiting and not waiting:
        stop: Stop = last_chance or "budget"
        checks = [_undecided(c, stop, len(runs), capped=capped) for c in checks]
    elif plan.sequential and any(c.status == "inconclusive" for c in checks):
        stop = "budget"  # the sequential rule itself ran out of runs (decide_bar said so)
    else:
        stop = "decided" if plan.sequential or plan.min_passing_runs else "planned"
    if not waiting:
        checks = [_what_to_do(c, plan, capped=capped) for c in checks]
    checks = apply_waivers(
        checks, [w for w in policy.waivers if w.campaign == campaign.key], today=today
    )
    outcome = _outcome(checks)
    inconclusive_policy = plan.on_inconclusive if outcome == "inconclusive" else None
    sides = flakiness([r.outcome for r in runs if r.outcome != "inconclusive"])
    rates = judged.samples.get("pass_rate") or _rates(policy, runs)
    varied = variability(rates)  # flaky: the runs vary more than chance allows (issue 19)
    spread_text = f"{varied.reason}; {sides.describe()}"
    if rates:
        spread_text += f"; {spread('pass_rate', rates).describe()}"
    error, error_policy = _check_error(policy, checks) if outcome == "error" else (None, None)
    # The runs' own results may each be governed by a staged rule; the campaign's is by its
    # checks over all the runs.
    enforcement = governing(checks, base)
    result = replace(
        last,
        outcome=outcome,
        error=error or last.error,
        error_policy=error_policy or last.error_policy,
        enforcement=enforcement,
        blocking=blocks(outcome, enforcement.mode, error_policy, inconclusive_policy),
        checks=tuple(checks),
        runs=records,
        aggregate=replace(judged.aggregate(stop), variability=varied.as_dict()),
        flaky=varied.flaky,
        spread=spread_text if varied.flaky else None,
        inconclusive_policy=inconclusive_policy,
        duration_s=_total(r.duration_s for r in runs),
    )
    return Judged(result, more=waiting)


def run_priority(
    policy: Policy,
    campaign: Campaign,
    runs: Sequence[CampaignResult],
    baseline: Sequence[dict[str, Any]] = (),
) -> tuple[float, float]:
    """Where one more run of this waiting campaign ranks: its least settled undecided
    threshold's `next_run_priority` (docs/statistics.md, "Spend where it decides")."""
    judged = CampaignChecks(policy, campaign, runs, baseline)
    judged.checks()
    priorities = [
        next_run_priority(judged.samples[metric], judged.bars[metric], campaign.runs)
        for metric, decision in judged.decisions.items()
        if decision.status == "continue"
    ]
    return min(priorities, default=(0.0, 0.0))


def inconclusive_note(result: CampaignResult) -> str | None:
    """The verdict note that says what on_inconclusive did with an inconclusive campaign."""
    if result.outcome != "inconclusive" or result.inconclusive_policy is None:
        return None
    return f"{result.key}: {settle(result.inconclusive_policy)[1]}"


def _undecided(check: Check, stop: Stop, runs: int, *, capped: bool) -> Check:
    if check.status != "inconclusive" or (
        "undecided" in check.message and "max_runs" in check.message and not capped
    ):
        return check
    why = {"deadline": "the gate's deadline", "budget": "max_runs"}.get(stop, "the saved runs")
    if capped:
        why = "gate.budget: spent"
    return replace(check, message=f"{check.message}; undecided after {runs} runs ({why})")


def _what_to_do(check: Check, plan: RunPlan, *, capped: bool) -> Check:
    """An inconclusive check says how to get an answer, not only the test's error rates."""
    if check.status != "inconclusive" or plan.confidence is None:
        return check
    raise_it = "gate.budget" if capped else f"max_runs (now {plan.budget})"
    advice = (
        f"to decide it: raise {raise_it}, add attempts per run, "
        "or accept it with on_inconclusive: warn"
    )
    return replace(check, message=f"{check.message}; {advice}")


def _check_error(policy: Policy, checks: list[Check]) -> tuple[RunError | None, ErrorPolicy | None]:
    """A check over the runs that could not be judged (a refused trial count): the payload's
    failure, under gate.on_error like any other answer the gate cannot use."""
    errored = next((c for c in checks if c.status == "error" and c.level == "error"), None)
    if errored is None:
        return None, None
    return RunError("payload", f"{errored.id}: {errored.message}"), policy.gate.on_error


def _outcome(checks: list[Check]) -> Outcome:
    counted_checks = [c for c in checks if c.level == "error"]
    for status in ("fail", "error", "inconclusive"):
        if any(c.status == status for c in counted_checks):
            return status
    if any(c.status in ("fail", "warn", "error", "inconclusive") for c in checks):
        return "warn"
    return "pass"


def _rates(policy: Policy, runs: Sequence[CampaignResult]) -> tuple[Sample, ...]:
    """Each run's pass_rate with its trial count, for the flaky test (no rate: none)."""
    values = [(r.payload or {}).get("pass_rate") for r in runs]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return ()
    return tuple(
        Sample(float(v), trials_of(policy, r.payload))  # type: ignore[arg-type]
        for v, r in zip(values, runs, strict=True)
    )


def _total(values: Any) -> float | None:
    known = [v for v in values if isinstance(v, (int, float))]
    return round(sum(known), 3) if known else None
