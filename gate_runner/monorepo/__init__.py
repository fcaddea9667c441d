"""Monorepos: several policies (`--config` repeated, or `--discover`), one merged verdict."""

from __future__ import annotations

from gate_runner.monorepo.discover import POLICY_NAME, discover_policies
from gate_runner.monorepo.merge_verdicts import PolicyRun, campaign_prefixes, merge_verdicts

__all__ = ["POLICY_NAME", "PolicyRun", "campaign_prefixes", "discover_policies", "merge_verdicts"]
