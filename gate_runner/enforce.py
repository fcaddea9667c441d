"""Enforcement: whether a result blocks, and the decision (which mode is in force: modes.py).

The gate's decision (outcome, blocking, exit code, summary) is made here, once per verdict:
`decided_verdict` over an Undecided (the campaigns judged, governance's part in), in
SEVERITY's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from gate_runner import __version__
from gate_runner.errors import ExitCode
from gate_runner.policy import Mode
from gate_runner.statistics.budget import Budget, Spend
from gate_runner.verdict import (
    CampaignResult,
    CIContext,
    Enforcement,
    Outcome,
    PolicyInfo,
    RunError,
    Timings,
    Verdict,
)


def blocks(
    outcome: Outcome, mode: Mode, error_policy: str | None, inconclusive_policy: str | None = None
) -> bool:
    """A hard failure blocks; an error blocks in soft and hard unless the policy says `pass`;
    an inconclusive campaign is what its on_inconclusive says (`fail` when unset)."""
    if outcome == "inconclusive":
        outcome = "fail" if inconclusive_policy in (None, "fail") else "pass"
    if outcome == "fail":
        return mode == "hard"
    if outcome == "error":
        return mode != "observe" and error_policy != "pass"
    return False


# Exit codes from the most to the least severe: the order `decide_gate` applies to campaign results
# and `worst_exit_code` to whole verdicts (a monorepo's policies). A soft failure's code
# (--soft-exit-code) comes after these, then 0.
SEVERITY = (ExitCode.INTERRUPTED, ExitCode.BLOCKED, ExitCode.NO_DECISION, ExitCode.USAGE)
# The summary's head for each of them (a usage error in one policy: no decision either).
HEADS = {
    ExitCode.INTERRUPTED: "INTERRUPTED",
    ExitCode.BLOCKED: "BLOCKED",
    ExitCode.NO_DECISION: "NO DECISION",
    ExitCode.USAGE: "NO DECISION",
}


@dataclass(frozen=True)
class GateDecision:
    outcome: Outcome
    blocking: bool
    exit_code: int
    summary: str


def decide_gate(
    results: Sequence[CampaignResult],
    *,
    soft_exit_code: int,
    interrupted: bool = False,
    gate_fails: bool = False,
) -> GateDecision:
    """The gate's overall outcome and exit code (DESIGN §3), in SEVERITY's order.

    `gate_fails`: a policy change under `gate.policy_changes: block` fails the gate even
    with no campaign to carry the check (the summary keeps its head; governance adds why).
    """
    outcome = overall_outcome([r.outcome for r in results])
    hard_fail = [r for r in results if r.blocking and _counts_as_fail(r)]
    no_decision = [r for r in results if r.blocking and r.outcome == "error"]
    soft_fail = [r for r in results if _counts_as_fail(r) and r.enforcement.mode == "soft"]
    found = {
        ExitCode.INTERRUPTED: interrupted,
        ExitCode.BLOCKED: bool(hard_fail),
        ExitCode.NO_DECISION: bool(no_decision),
    }
    worst = next((code for code in SEVERITY if found.get(code)), None)
    code: int
    if worst is not None:
        code, head = worst, HEADS[worst]
    elif soft_fail:
        code, head = soft_exit_code, "REVIEW REQUIRED"
    else:
        code, head = ExitCode.OK, _non_blocking_head(outcome, results)
    if gate_fails and not interrupted and code not in (ExitCode.BLOCKED, ExitCode.NO_DECISION):
        code, outcome = ExitCode.BLOCKED, "fail"
    # Interrupted, the gate blocks as its campaigns do: the headline and each campaign agree.
    blocking = code in (ExitCode.BLOCKED, ExitCode.NO_DECISION) or (
        interrupted and any(r.blocking for r in results)
    )
    return GateDecision(outcome, blocking, int(code), _summary(head, results))


@dataclass(frozen=True)
class Undecided:
    """One policy's campaigns as judged and all its verdict says besides the gate's decision.

    Governance (governance.check_gate.govern) adds its findings, its fields and its part in
    the decision (`gate_fails`, `because`) before `decided_verdict` decides, once.
    """

    campaigns: tuple[CampaignResult, ...]
    enforcement: Enforcement
    info: PolicyInfo
    ci: CIContext
    timings: Timings
    notes: tuple[str, ...]
    error: RunError | None = None
    policy_changes: dict[str, Any] | None = None
    baseline: dict[str, Any] | None = None
    waivers: dict[str, Any] | None = None
    # A policy change under `gate.policy_changes: block` fails the gate; `because` is what
    # the summary adds after the campaigns' count.
    gate_fails: bool = False
    because: str = ""
    # gate.budget (issue 21): what the gate may spend and what it spent; None without one.
    budget: Budget | None = None
    spent: Spend | None = None


def decided_verdict(judged: Undecided, *, soft_exit_code: int, interrupted: bool) -> Verdict:
    """The verdict, with the gate's decision made from everything it rests on (enforce).

    A gate-wide error (the API could not be used) is no decision (exit 3) even where a
    policy change blocks: the summary says both.
    """
    decision = decide_gate(
        judged.campaigns,
        soft_exit_code=soft_exit_code,
        interrupted=interrupted,
        gate_fails=judged.gate_fails,
    )
    if judged.error is not None and decision.exit_code == ExitCode.BLOCKED:
        decision = replace(decision, exit_code=int(ExitCode.NO_DECISION))
    return verdict_with(judged, decision, interrupted=interrupted)


def verdict_with(judged: Undecided, decision: GateDecision, *, interrupted: bool) -> Verdict:
    """The verdict document: the judged campaigns and what is said of them, and the decision."""
    return Verdict(
        outcome=decision.outcome,
        blocking=decision.blocking,
        exit_code=decision.exit_code,
        summary=decision.summary + judged.because,
        enforcement=judged.enforcement,
        policy=judged.info,
        ci=judged.ci,
        timings=judged.timings,
        campaigns=judged.campaigns,
        interrupted=interrupted,
        error=judged.error,
        notes=judged.notes,
        policy_changes=judged.policy_changes,
        baseline=judged.baseline,
        waivers=judged.waivers,
        budget=judged.budget,
        spent=judged.spent,
        tool={"name": "gate-runner", "version": __version__},
    )


def mark_interrupted(verdict: Verdict, *, soft_exit_code: int) -> Verdict:
    """The verdict of a job CI cancelled once its verdict was delivered (the signal came while
    reporting): same results, exit 130."""
    decision = decide_gate(verdict.campaigns, soft_exit_code=soft_exit_code, interrupted=True)
    return replace(
        verdict,
        interrupted=True,
        blocking=decision.blocking,
        exit_code=decision.exit_code,
        summary=decision.summary,
    )


def worst_exit_code(codes: Sequence[int], *, soft_exit_code: int) -> int:
    """The exit code of several verdicts together (a monorepo's policies), by SEVERITY."""
    for code in SEVERITY:
        if int(code) in codes:
            return int(code)
    if soft_exit_code and soft_exit_code in codes:
        return soft_exit_code
    return max(codes, default=0)


def _counts_as_fail(result: CampaignResult) -> bool:
    """A failure, or an inconclusive campaign its on_inconclusive (default fail) counts as one."""
    if result.outcome == "inconclusive":
        return result.inconclusive_policy in (None, "fail")
    return result.outcome == "fail"


def overall_outcome(outcomes: Sequence[Outcome]) -> Outcome:
    candidates: tuple[Outcome, ...] = ("fail", "error", "inconclusive", "warn")
    for candidate in candidates:
        if candidate in outcomes:
            return candidate
    return "pass"


def _non_blocking_head(outcome: Outcome, results: Sequence[CampaignResult]) -> str:
    if outcome == "pass":
        return "PASS"
    if outcome == "warn":
        return "PASS WITH WARNINGS"
    if outcome == "inconclusive":
        return "PASS (inconclusive allowed by on_inconclusive)"
    if any(r.error_policy == "pass" for r in results):
        return "PASS (errors allowed by policy)"
    return "NOT ENFORCED"


def _summary(head: str, results: Sequence[CampaignResult]) -> str:
    if not results:
        return f"{head}: no campaigns ran"
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    parts = [
        f"{counts[o]} {_OUTCOME_WORDS[o]}"
        for o in ("fail", "error", "inconclusive", "warn", "pass")
        if o in counts
    ]
    text = f"{head}: {len(results)} campaign{'s' if len(results) != 1 else ''}: {', '.join(parts)}"
    shown = [r for r in results if r.outcome != "pass"]
    if not shown:
        return text
    groups = [[r for r in shown if r.blocking], [r for r in shown if not r.blocking]]
    if all(groups):
        # Mixed: a campaign that does not block is never read as one of those that do.
        return (
            text
            + " — "
            + "; ".join(
                f"{label}: {_named(group)}"
                for label, group in zip(("blocking", "not blocking"), groups, strict=True)
            )
        )
    return text + f" — {_named(shown)}"


def _named(results: Sequence[CampaignResult]) -> str:
    named = [f"{r.key} ({r.outcome}, {r.enforcement.mode})" for r in results]
    return "; ".join(named[:5]) + ("; …" if len(named) > 5 else "")


_OUTCOME_WORDS = {
    "fail": "failed",
    "error": "no decision",
    "inconclusive": "inconclusive",
    "warn": "warned",
    "pass": "passed",
}
