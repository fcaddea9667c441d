"""Pure evaluation of one campaign: payload + policy -> checks, waivers applied, an outcome."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from gate_runner.evaluate.checks import assertion_check, decision_check, location, threshold_check
from gate_runner.modes import RuleModes, strictest_bar
from gate_runner.policy import Campaign, Threshold, Waiver
from gate_runner.verdict import Check, Outcome, WaiverNote


@dataclass(frozen=True)
class Evaluation:
    checks: tuple[Check, ...]
    outcome: Outcome


def evaluate_campaign(
    campaign: Campaign,
    payload: dict[str, Any],
    *,
    waivers: tuple[Waiver, ...] = (),
    today: date,
    baseline: dict[str, Any] | None = None,
    modes: RuleModes | None = None,
) -> Evaluation:
    """Every check of `campaign` over `payload`; `baseline` is what assertions see as `baseline`.

    With `modes`, each check carries the mode it is judged at, and a tightened, staged
    threshold is judged against every bar it tightened too (staged_threshold)."""
    checks = [decision_check(campaign, payload)]
    checks += [staged_threshold(t, payload, baseline, modes) for t in campaign.thresholds]
    checks += [assertion_check(a, payload, baseline) for a in campaign.assertions]
    if modes is not None:
        stages = {f"assertion:{a.name}": a.stage for a in campaign.assertions}
        checks = [
            c if c.mode else modes.judged(c, stages.get(c.id) if c.kind == "assertion" else None)
            for c in checks
        ]
    mine = [w for w in waivers if w.campaign == campaign.key]
    waived = explain_decision(apply_waivers(checks, mine, today=today))
    return Evaluation(tuple(waived), outcome_of(waived))


def staged_threshold(
    threshold: Threshold,
    payload: dict[str, Any],
    baseline: dict[str, Any] | None,
    modes: RuleModes | None,
) -> Check:
    """A threshold's check; a tightened, staged one is judged against both bars, the old at
    its mode and the new at the stage's: the stricter outcome (a failure at the higher mode)
    wins, so staging a tighter value never loosens the bar already in force."""
    check = threshold_check(threshold, payload, baseline)
    if modes is None:
        return check
    older = [
        modes.at(threshold_check(bar, payload, baseline), mode)
        for bar, mode in modes.stricter_bars(threshold)
    ]
    return strictest_bar([modes.judged(check, threshold.stage), *older])


def explain_decision(checks: list[Check]) -> list[Check]:
    """A service `fail` that only waived thresholds explain is waived with them.

    The service decides from the thresholds we sent, and we recompute each one:
    when every threshold that fails is waived and none failed or errored
    otherwise, the waivers account for the decision. A `fail` no local
    threshold explains stays a failure.
    """
    thresholds = [c for c in checks if c.kind == "threshold"]
    waived = [c.name for c in thresholds if c.status == "waived"]
    if not waived or any(c.status in ("fail", "error") for c in thresholds):
        return checks
    return [
        replace(
            c,
            status="waived",
            message=f"{c.message}, explained only by waived "
            f"threshold{'s' if len(waived) > 1 else ''} {', '.join(waived)}",
        )
        if c.kind == "decision" and c.status == "fail"
        else c
        for c in checks
    ]


def apply_waivers(checks: list[Check], waivers: list[Waiver], *, today: date) -> list[Check]:
    """A live waiver turns a failed check into `waived`; an expired one is recorded and ignored.

    Every check a waiver names carries the waiver, so the verdict can say when one
    has expired or is no longer needed.
    """
    by_check = {w.check: w for w in waivers}
    result: list[Check] = []
    for check in checks:
        waiver = by_check.get(check.name)
        if waiver is None:
            result.append(check)
            continue
        expired = today > waiver.until
        note = WaiverNote(waiver.until.isoformat(), waiver.reason, expired, location(waiver.origin))
        if not expired and check.status in ("fail", "warn"):
            until = waiver.until.isoformat()
            message = f"{check.message} (waived until {until}: {waiver.reason})"
            result.append(replace(check, status="waived", waiver=note, message=message))
        else:
            result.append(replace(check, waiver=note))
    return result


def outcome_of(checks: list[Check]) -> Outcome:
    """fail beats error: a check that failed is a decision; error only when nothing failed."""
    counted = [c for c in checks if c.level == "error"]
    if any(c.status == "fail" for c in counted):
        return "fail"
    if any(c.status == "error" for c in counted):
        return "error"
    if any(c.status in ("fail", "warn", "error") for c in checks if c.level == "warn"):
        return "warn"
    return "pass"


__all__ = ["Evaluation", "apply_waivers", "evaluate_campaign", "outcome_of"]
