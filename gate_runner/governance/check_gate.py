"""Governance in ``check``: who judges, waiver rules, the baseline, new and existing failures."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from gate_runner.ci import detect, vendor_for
from gate_runner.enforce import Undecided, blocks
from gate_runner.errors import PolicyError, UsageError
from gate_runner.git_commands import Git
from gate_runner.governance.diff.policy_changes import stricter
from gate_runner.governance.findings import (
    relocated,
    with_failures,
    with_floor_check,
    with_policy_check,
)
from gate_runner.governance.history.baseline import Baseline, find_baseline, unavailable
from gate_runner.governance.history.icc_estimate import IccEstimate, calibrated
from gate_runner.governance.history.store import StoreUnavailable, VerdictStore, open_store
from gate_runner.governance.owner_approval import Approvals, ReadApprovals, approvers, policy_owners
from gate_runner.governance.ref.git_source import RefMissing
from gate_runner.governance.ref.ref_gate import RefComparison, compare_with_ref
from gate_runner.governance.waivers import WaiverReview, review_waivers
from gate_runner.policy import MODE_RANK, Policy
from gate_runner.verdict import CampaignResult, Verdict

# Judges one saved payload (campaign key, payload) under another policy.
Rejudge = Callable[[Policy, str, dict[str, Any]], CampaignResult]


class PolicyRefUnreadable(UsageError):
    """--policy-ref could not be read: missing in a shallow clone, no target branch, git."""

    def __init__(self, message: str, *, summary: str) -> None:
        super().__init__(message)
        self.summary = summary  # the verdict's headline: what happened, and the fix


@dataclass(frozen=True)
class GovernanceRequest:
    """The governance flags of ``check``: ``--policy-ref``, ``--baseline auto`` and ``--store``."""

    policy_ref: str | None = None
    baseline_auto: bool = False
    store: str | None = None
    floors: tuple[str, ...] = ()  # --floor: with --policy-ref, under both policies


@dataclass(frozen=True)
class GovernedGate:
    """The policy the runs are made with, and what the verdict must say about how it was chosen."""

    policy: Policy
    comparison: RefComparison | None
    waivers: WaiverReview | None
    baseline: Baseline | None
    store: str | None
    icc: Mapping[str, IccEstimate] = field(default_factory=dict)  # statistics.icc: auto

    def baseline_payloads(self) -> dict[str, dict[str, Any]]:
        return self.baseline.payloads() if self.baseline else {}

    def comparison_path(self) -> str:
        """The policy file the user named: the working tree's, whichever policy judged."""
        return self.comparison.head.policy.path if self.comparison else self.policy.path


def prepare(
    config: Path,
    request: GovernanceRequest,
    *,
    load: Callable[[Path], Policy],
    env: Mapping[str, str],
    today: date,
    git: Git | None = None,
    approvals: ReadApprovals | None = None,
) -> GovernedGate:
    """Load the policy that judges, apply the waiver rules, find the baseline.

    `load` is ``load_policy`` (the working tree's policy when no ``--policy-ref``). A missing
    ref or an unreadable policy at it raises UsageError/PolicyError (exit 2): nothing falls
    back to the working tree. `approvals` reads the policy owners' approvals from the forge
    when a loosening needs one (gate.policy_changes: review); without it the change is held.
    """
    comparison = None
    if request.policy_ref is not None:
        git = git or Git()
        try:
            comparison = compare_with_ref(
                config, request.policy_ref, env=env, today=today, git=git, floors=request.floors
            )
        except PolicyError:
            raise  # an invalid policy (at the ref or in the tree): its diagnostics, exit 2
        except RefMissing as error:
            raise PolicyRefUnreadable(
                f"--policy-ref {request.policy_ref}: {error}",
                summary=f"the git ref {error.ref} is missing from this clone, so its policy "
                f"could not be read: no decision; fetch it with: {error.fix}",
            ) from None
        except UsageError as error:
            raise PolicyRefUnreadable(
                f"--policy-ref {request.policy_ref}: {error}",
                summary=f"the policy at --policy-ref {request.policy_ref} could not be read: "
                "no decision",
            ) from None
        if comparison.decision.review_required:
            comparison = _ask_owners(comparison, config, approvals, env, git)
        policy = comparison.running_policy()
    else:
        policy = load(config)
    review = None
    if policy.waivers or policy.waiver_rules.origin is not None:
        review = review_waivers(policy.waivers, policy.waiver_rules, today=today)
        # A refused waiver does not apply: its check counts as if unwaived.
        policy = replace(policy, waivers=review.usable(policy.waivers))
    if request.baseline_auto and request.store is None:
        raise UsageError(
            "--baseline auto needs --store DIR, git-notes, sqlite:PATH or postgresql://…"
        )
    # One store for both readers (a database store connects and checks its schema on open).
    store: VerdictStore | None = None
    unreachable: StoreUnavailable | None = None
    if request.store is not None and (request.baseline_auto or policy.statistics.icc_auto):
        git = git or Git()
        try:
            store = open_store(request.store, git, env=env)
        except StoreUnavailable as error:
            unreachable = error
    baseline = None
    if request.baseline_auto:
        if store is not None:
            assert git is not None  # set with the store
            base_ref = request.policy_ref or "auto"
            baseline = find_baseline(store, git, base_ref=base_ref, env=env)
        elif unreachable is not None:
            baseline = unavailable(unreachable)
    iccs: dict[str, IccEstimate] = {}
    if policy.statistics.icc_auto:
        # No store, or one that cannot be reached: nothing to learn from, the conservative rule.
        policy, iccs = calibrated(policy, store, detect(env).repository)
    return GovernedGate(policy, comparison, review, baseline, request.store, iccs)


def _ask_owners(
    comparison: RefComparison,
    config: Path,
    read: ReadApprovals | None,
    env: Mapping[str, str],
    git: Git,
) -> RefComparison:
    """Under review, a loosening is released only by an owner's approval of the head commit;
    the owners are the BASE policy's (or CODEOWNERS at the base ref). Anything that cannot be
    read holds the change: the base bar judges and the message says why."""
    assert comparison.base is not None  # review_required: there is a base that loosened
    decision = comparison.decision
    owners = policy_owners(
        comparison.base.policy.gate.policy_owners,
        git=git,
        ref=comparison.ref,
        config=config,
        policy_label=comparison.base.policy.path,
        forge=vendor_for(env).name,
    )
    if owners.problem:
        why = f"no policy owner can approve it: {owners.problem}"
        return replace(comparison, decision=decision.held(why))
    found = read(owners, env) if read else Approvals(problem="approvals are not read here")
    who = approvers(owners, found)
    if who:
        return replace(comparison, decision=decision.approved(who, owners.source))
    if found.problem:
        why = f"the approvals could not be read ({found.problem}), so the base bar judges"
    else:
        why = f"waiting for a policy owner's approval of the head commit: {owners.shown()} "
        why += f"({owners.source})"
    return replace(comparison, decision=decision.held(why))


def govern(
    judged: Undecided,
    gate: GovernedGate,
    *,
    rejudge: Rejudge | None,
    baseline: Mapping[str, Mapping[str, Any]],
) -> Undecided:
    """The judged gate with the governance findings in: fields, checks every report shows,
    notes, and governance's part in the decision (the caller decides, once).

    `rejudge(policy, key, payload)` judges one saved payload under another policy (the
    runner's judge_payloads); used when both policies judge. `baseline` is campaign key ->
    the baseline's payload (from --baseline FILE or auto).
    """
    decision = gate.comparison.decision if gate.comparison else None
    results = list(judged.campaigns)
    if rejudge is not None and gate.comparison and gate.comparison.decision.judge_by == "both":
        head = gate.comparison.head.policy
        results = [_stricter_of_both(r, head, rejudge) for r in results]
    if gate.comparison is not None and gate.comparison.base is not None:
        results = [relocated(r, gate.comparison) for r in results]
    # Under review, an unapproved loosening holds the gate in soft and hard mode (observe
    # never holds anything up): the base bar judged, and the merge waits for an owner.
    held = (
        decision is not None
        and decision.review_required
        and any(r.enforcement.mode != "observe" for r in results)
    )
    if decision is not None and decision.message and decision.loosening and results:
        # Once per gate (on the first campaign), not once per campaign: the change is one.
        results[0] = with_policy_check(results[0], decision, gate.comparison_path(), held=held)
    if gate.policy.floors and results:
        results[0] = with_floor_check(results[0], gate.policy)
    results = [with_failures(r, baseline.get(r.key)) for r in results]
    results = [
        replace(r, icc=gate.icc[r.key].as_dict()) if r.key in gate.icc else r for r in results
    ]
    notes = list(judged.notes)
    if gate.comparison is not None and gate.comparison.note:
        notes.append(gate.comparison.note)
    if decision is not None and decision.message:
        notes.append(decision.message)
    if gate.waivers is not None:
        notes += gate.waivers.notes()
    if gate.baseline is not None:
        notes.append(gate.baseline.note)
    because = ""
    if decision is not None and decision.review_required:
        because = f" · review required: the policy change loosens the gate ({decision.base_ref})"
        if held:
            because += "; held until a policy owner approves the head commit"
    elif decision is not None and decision.approved_by:
        because = f" · policy change approved by {', '.join(decision.approved_by)}"
    elif decision is not None and decision.fails_gate:
        because = " · blocked: the policy change loosens the gate (gate.policy_changes: block)"
    policy_info = judged.info
    if gate.comparison is not None:
        # The file the user named (annotations land in it); `sources` and `policy_changes`
        # say the ref's version judged.
        policy_info = replace(policy_info, path=gate.comparison_path())
    return replace(
        judged,
        info=policy_info,
        campaigns=tuple(results),
        notes=tuple(dict.fromkeys(notes)),
        policy_changes=gate.comparison.to_dict() if gate.comparison else None,
        baseline=_baseline_dict(gate),
        waivers=gate.waivers.to_dict(gate.policy.waiver_rules) if gate.waivers else None,
        # A gate with no campaign to carry the check still fails under `block`.
        gate_fails=decision is not None and (decision.fails_gate or held),
        because=because,
    )


def _stricter_of_both(result: CampaignResult, head: Policy, rejudge: Rejudge) -> CampaignResult:
    """The stricter outcome of the two judgements, under the stricter of the two modes.

    Taken whole, a change that raises a threshold and weakens the mode would escape both:
    the base's bar passes, the head's bar fails but in observe. So the outcome and the mode
    are each taken at their strictest, and blocking follows from them.
    """
    if result.payload is None or head.campaign(result.key) is None:
        return result
    other = rejudge(head, result.key, result.payload)
    mine = (result.outcome, False)
    chosen = result if stricter(mine, (other.outcome, False)) == mine else other
    enforcement = max(
        (result.enforcement, other.enforcement), key=lambda e: MODE_RANK.get(e.mode, 2)
    )
    blocking = blocks(chosen.outcome, enforcement.mode, chosen.error_policy)
    return replace(chosen, enforcement=enforcement, blocking=blocking)


def _baseline_dict(gate: GovernedGate) -> dict[str, Any] | None:
    if gate.baseline is None:
        return None
    found = gate.baseline
    return {
        "commit": found.commit,
        "commits_back": found.commits_back,
        "merge_base": found.merge_base,
        "store": gate.store or "",
        "note": found.note,
    }


def merge_governance(merged: Verdict, parts: Sequence[Verdict]) -> Verdict:
    """A monorepo's merged verdict: the weightiest policy change, the one baseline, every waiver.

    Each policy's own change is also in its campaigns' checks and in the notes.
    """

    def weight(verdict: Verdict) -> tuple[bool, bool, bool]:
        found = verdict.policy_changes or {}
        return (bool(found.get("blocked")), bool(found.get("review_required")),
                bool(found.get("changes")))  # fmt: skip

    waivers = [v.waivers for v in parts if v.waivers]
    combined = None
    if waivers:
        combined = {
            **waivers[0],
            "live": sum(int(w.get("live", 0)) for w in waivers),
            "findings": [f for w in waivers for f in w.get("findings", [])],
        }
    return replace(
        merged,
        policy_changes=max(parts, key=weight).policy_changes,
        baseline=next((v.baseline for v in parts if v.baseline), None),
        waivers=combined,
    )
