"""What governance adds to a campaign's result: the policy-change and policy-floor checks,
failures against the baseline, and locations moved from the base ref into the working tree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from gate_runner.evaluate.checks import location
from gate_runner.governance.diff.policy_changes import PolicyChangeDecision
from gate_runner.governance.history.failures import classify_failures
from gate_runner.governance.ref.ref_gate import RefComparison
from gate_runner.policy import Policy
from gate_runner.verdict import CampaignResult, Check, FailingTool, Location


def relocated(result: CampaignResult, comparison: RefComparison) -> CampaignResult:
    """Checks judged by the base point at the same setting in the working tree.

    A location inside the ref (``origin/main:sepurux.yml:9``) cannot be annotated in the
    pull request, and the ref's line numbers are not the working tree's: the same threshold,
    assertion or campaign in the working tree's policy is where a reviewer looks. A check
    the working tree no longer has points at its campaign.
    """
    prefix = f"{comparison.ref.name}:"
    head = comparison.head.policy.campaign(result.key)
    if head is None:
        return result
    campaign_at = location(head.origin)
    where: dict[str, Location | None] = {"decision": campaign_at, "run": campaign_at}
    where.update({f"threshold:{t.key}": location(t.origin) for t in head.thresholds})
    where.update({f"assertion:{a.name}": location(a.origin) for a in head.assertions})

    def move(check: Check) -> Check:
        if check.location is None or not check.location.path.startswith(prefix):
            return check
        # The line shown is the working tree's, the bar the ref's: say so, or a reviewer
        # reads the working tree's value there and cannot tell why the check failed.
        origin = f"{check.location.path}:{check.location.line}"
        note = f" (the bar is {comparison.ref.name}'s, set at {origin}; shown at this line)"
        return replace(
            check, location=where.get(check.id) or campaign_at, message=check.message + note
        )

    moved = result.location
    if moved is not None and moved.path.startswith(prefix):
        moved = campaign_at
    return replace(result, checks=tuple(move(c) for c in result.checks), location=moved)


def with_policy_check(
    result: CampaignResult, decision: PolicyChangeDecision, policy_path: str, *, held: bool
) -> CampaignResult:
    """A check every report shows: review required (warn; fail while `held` for an owner's
    approval, which holds the gate, not the campaign), approved, or blocked (fail, blocking)."""
    first = decision.loosening[0]
    failing = decision.fails_gate or held
    check = Check(
        id="policy:changes",
        kind="policy",
        name="policy changes",
        status="fail" if failing else "pass" if decision.approved_by else "warn",
        level="error" if failing else "warn",
        message=decision.message or "",
        expected=f"no loosening of the policy at {decision.base_ref}",
        # One line a comment cell reads: "key: before -> after" for each loosening.
        actual="; ".join(c.transition(limit=24) for c in decision.loosening),
        location=_location(first.location, policy_path),
    )
    if decision.fails_gate:
        # block fails the gate whatever the mode: the mode is part of what it protects.
        return replace(result, checks=(*result.checks, check), outcome="fail", blocking=True)
    return replace(result, checks=(*result.checks, check))


def with_floor_check(result: CampaignResult, policy: Policy) -> CampaignResult:
    """`policy:floor`: where a `--floor` judged instead of the repository (warn), or that the
    repository meets every floor (pass); on the gate's first campaign, as policy:changes."""
    raised = policy.floor_settings
    floors = ", ".join(policy.floors)
    first = raised[0].origin if raised else None
    check = Check(
        id="policy:floor",
        kind="policy",
        name="policy floor",
        status="warn" if raised else "pass",
        level="warn",
        message=(
            f"the floor ({floors}) judges {len(raised)} setting(s) where this policy is looser: "
            + "; ".join(s.message for s in raised)
            if raised
            else f"this policy meets the floor ({floors})"
        ),
        expected=f"every setting at least the floor's ({floors})",
        actual=[
            {
                "setting": s.setting,
                "value": s.value,
                "floor_value": s.floor_value,
                "location": str(s.origin),
                "floor_location": f"{s.floor_origin.file}:{s.floor_origin.line}",
            }
            for s in raised
        ],
        location=(
            Location(first.file, first.line, first.col)
            if first is not None
            else Location(policy.path, 1)
        ),
    )
    return replace(result, checks=(*result.checks, check))


def with_failures(result: CampaignResult, baseline: Mapping[str, Any] | None) -> CampaignResult:
    classified = classify_failures(result.payload, baseline)
    if classified is None:
        return result
    failures: tuple[FailingTool, ...] = classified
    new = [f for f in failures if f.status == "new"]
    old = [f for f in failures if f.status == "existing"]
    if not failures:
        return replace(result, failures=failures)
    parts = []
    if new:
        parts.append("new: " + ", ".join(_tool(f) for f in new))
    if old:
        parts.append("existing: " + ", ".join(_tool(f) for f in old))
    check = Check(
        id="failures:baseline",
        kind="failures",
        name="failing tools vs baseline",
        # Never blocks. A new failing tool is a warning; old ones alone passed the check
        # ("no new failing tool") and are a note, or every change would carry them.
        status="warn" if new else "pass",
        level="warn",
        message=("failing tools against the baseline: " if new else "no new failing tool; ")
        + "; ".join(parts),
        expected="no new failing tool",
        actual={"new": [f.tool for f in new], "existing": [f.tool for f in old]},
        location=result.location,
    )
    return replace(result, failures=failures, checks=(*result.checks, check))


def _tool(failure: FailingTool) -> str:
    count = f" ×{failure.count}" if failure.count is not None else ""
    then = (
        f" (×{failure.baseline_count} then)"
        if failure.status == "existing" and failure.baseline_count is not None
        else ""
    )
    return f"{failure.tool}{count}{then}"


def _location(text: str | None, policy_path: str) -> Location:
    """``path:line`` of a change; a removal's base-side location points at the policy file."""
    if text:
        path, _, line = text.rpartition(":")
        if path and line.isdigit() and Path(path).is_file():
            return Location(path, int(line))
    return Location(policy_path, 1)
