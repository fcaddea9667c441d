"""``check --policy-ref``: the base policy, the working tree's, their diff, and who judges."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from gate_runner.git_commands import Git
from gate_runner.governance.diff.policy_changes import (
    PolicyChangeDecision,
    decide_policy_changes,
)
from gate_runner.governance.diff.policy_diff import diff_sides
from gate_runner.governance.ref.git_source import PolicyRef, resolve_policy_ref
from gate_runner.governance.ref.ref_traces import with_traces_of
from gate_runner.governance.ref.sides import (
    NoPolicyAtRef,
    PolicySide,
    load_ref_side,
    load_tree_or_removed,
    load_tree_side,
)
from gate_runner.policy import Policy


@dataclass(frozen=True)
class RefComparison:
    """The base side is None when the ref has no policy: the change introduces the gate."""

    ref: PolicyRef
    base: PolicySide | None
    head: PolicySide
    decision: PolicyChangeDecision
    note: str | None = None

    @property
    def judges(self) -> tuple[Policy, ...]:
        """The policies that judge the gate; with two, each campaign takes the stricter result."""
        by = self.decision.judge_by
        if self.base is None or by == "head":
            return (self.head.policy,)
        return (self.base.policy,) if by == "base" else (self.base.policy, self.head.policy)

    def running_policy(self) -> Policy:
        """The policy the runs are made with and first judged by.

        The head's when it judges alone; else the base's, plus the campaigns only the head
        declares (a new campaign tightens, so it runs at once, judged by the head's bar).
        """
        if self.base is None:
            return self.head.policy
        if self.decision.judge_by == "head":
            # The same trace_file as the ref's is read at the ref: never a swapped trace.
            return with_traces_of(self.head.policy, self.base.policy)
        base = self.base.policy
        known = {c.key for c in base.campaigns}
        added = tuple(c for c in self.head.policy.campaigns if c.key not in known)
        # Named as the user named it; its sources and origins say REF:path.
        return replace(base, path=self.head.policy.path, campaigns=base.campaigns + added)

    def to_dict(self) -> dict[str, Any]:
        data = self.decision.to_dict()
        data["base_commit"] = self.ref.commit
        return data


def compare_with_ref(
    config: Path,
    spec: str,
    *,
    env: Mapping[str, str],
    today: date,
    git: Git | None = None,
    cache_dir: Path | None = None,
    floors: Sequence[str] = (),
) -> RefComparison:
    """Load both policies, diff them, and apply the BASE policy's ``gate.policy_changes``.

    A missing ref or an invalid policy at it raises (exit 2); nothing falls back to the
    working tree. A ref with no policy at all is the pull request that introduces the gate:
    compared with no gate, everything tightens, so the working tree's policy judges.
    """
    git = git or Git()
    ref = resolve_policy_ref(git, spec, env)
    # `check --floor` holds on both sides: whichever policy judges, the floor is under it.
    head = load_tree_or_removed(config, env=env, cache_dir=cache_dir, floors=floors, today=today)
    try:
        base = load_ref_side(
            git, ref, config, env=env, cache_dir=cache_dir, floors=floors, today=today
        )
    except NoPolicyAtRef as missing:
        if head.removed:
            # In neither: its error.
            load_tree_side(config, env=env, cache_dir=cache_dir, floors=floors, today=today)
        decision = decide_policy_changes(head.policy.gate.policy_changes, (), base_ref=ref.name)
        note = f"{missing}; this change introduces the gate, so its own policy judges"
        return RefComparison(ref, None, head, decision, note)
    changes = diff_sides(base, head, today=today)
    decision = decide_policy_changes(base.policy.gate.policy_changes, changes, base_ref=ref.name)
    return RefComparison(ref, base, head, decision)
