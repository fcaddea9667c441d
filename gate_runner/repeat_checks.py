"""A campaign's checks over several runs, worded, and the outcome they give.

repeats.judge_runs decides each check with gate_runner.statistics; this says what a reader
needs of it: a bar that must hold in every run, why a check stayed undecided and how to
decide it, the error a check could not be judged by.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from gate_runner.policy import ErrorPolicy, Policy
from gate_runner.statistics import RunPlan
from gate_runner.verdict import Check, Outcome, RunError

# Why the runs stopped: decided, max_runs spent, the deadline, or the saved runs were all.
Stop = Literal["decided", "budget", "deadline", "planned"]


def every_run(own: list[Check]) -> Check:
    """Absolute bars and assertions hold in every run: one run over the bar fails."""
    for status in ("error", "fail", "waived", "warn"):
        offenders = [i + 1 for i, c in enumerate(own) if c.status == status]
        if offenders:
            worst = own[offenders[0] - 1]
            which = ", ".join(map(str, offenders))
            where = f"run {which} of {len(own)}"
            return replace(
                worst,
                status="fail" if status == "waived" else worst.status,
                waiver=None,
                message=f"{where}: {worst.message} (must hold in every run)",
            )
    return replace(own[-1], message=f"{own[-1].message} in every one of {len(own)} runs")


def undecided(check: Check, stop: Stop, runs: int) -> Check:
    """An inconclusive check says why no further run was made."""
    if check.status != "inconclusive" or (
        "undecided" in check.message and "max_runs" in check.message
    ):
        return check
    why = {"deadline": "the gate's deadline", "budget": "max_runs"}.get(stop, "the saved runs")
    return replace(check, message=f"{check.message}; undecided after {runs} runs ({why})")


def what_to_do(check: Check, plan: RunPlan) -> Check:
    """An inconclusive check says how to get an answer, not only the test's error rates."""
    if check.status != "inconclusive" or plan.confidence is None:
        return check
    advice = (
        f"to decide it: raise max_runs (now {plan.budget}), add attempts per run, "
        "or accept it with on_inconclusive: warn"
    )
    return replace(check, message=f"{check.message}; {advice}")


def check_error(policy: Policy, checks: list[Check]) -> tuple[RunError | None, ErrorPolicy | None]:
    """A check over the runs that could not be judged (a refused trial count): the payload's
    failure, under gate.on_error like any other answer the gate cannot use."""
    errored = next((c for c in checks if c.status == "error" and c.level == "error"), None)
    if errored is None:
        return None, None
    return RunError("payload", f"{errored.id}: {errored.message}"), policy.gate.on_error


def outcome_of(checks: list[Check]) -> Outcome:
    """The campaign's outcome from its checks over the runs (warn-level ones only warn)."""
    counted_checks = [c for c in checks if c.level == "error"]
    for status in ("fail", "error", "inconclusive"):
        if any(c.status == status for c in counted_checks):
            return status
    if any(c.status in ("fail", "warn", "error", "inconclusive") for c in checks):
        return "warn"
    return "pass"
