"""``check --policy-ref``: the base policy, the working tree's, their diff, and who judges."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from gate_runner.governance.git import Git
from gate_runner.governance.git_source import resolve_policy_ref
from gate_runner.governance.policy_changes import (
    DEFAULT_SETTING,
    SETTINGS,
    PolicyChangeDecision,
    Setting,
    decide_policy_changes,
)
from gate_runner.governance.policy_diff import diff_policies
from gate_runner.governance.sides import PolicySide, load_ref_side, load_tree_side
from gate_runner.policy import Policy


@dataclass(frozen=True)
class RefComparison:
    base: PolicySide
    head: PolicySide
    decision: PolicyChangeDecision

    @property
    def judges(self) -> tuple[Policy, ...]:
        """The policies that judge the gate; with two, each campaign takes the stricter result."""
        by = self.decision.judge_by
        if by == "head":
            return (self.head.policy,)
        return (self.base.policy,) if by == "base" else (self.base.policy, self.head.policy)


def compare_with_ref(
    config: Path,
    spec: str,
    *,
    env: Mapping[str, str],
    today: date,
    git: Git | None = None,
    cache_dir: Path | None = None,
) -> RefComparison:
    """Load both policies, diff them, and apply the BASE policy's ``gate.policy_changes``.

    A missing ref or an invalid policy at it raises (exit 2); nothing falls back to the
    working tree.
    """
    git = git or Git()
    ref = resolve_policy_ref(git, spec, env)
    base = load_ref_side(git, ref, config, env=env, cache_dir=cache_dir)
    head = load_tree_side(config, env=env, cache_dir=cache_dir)
    changes = diff_policies(
        base.policy, head.policy, today=today, base_pins=base.pins, head_pins=head.pins
    )
    decision = decide_policy_changes(setting_of(base.policy), changes, base_ref=ref.name)
    return RefComparison(base, head, decision)


def setting_of(policy: Policy) -> Setting:
    # `gate.policy_changes` joins GateSettings with the schema change; until then: the default.
    value = getattr(policy.gate, "policy_changes", DEFAULT_SETTING)
    return value if value in SETTINGS else DEFAULT_SETTING
