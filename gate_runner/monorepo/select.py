"""Which campaigns of which policy a monorepo check runs, and each policy's part of a baseline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from gate_runner.errors import UsageError
from gate_runner.monorepo.merge_verdicts import prefixed
from gate_runner.policy import Policy
from gate_runner.runner import select_campaigns

# A baseline's payload of a campaign, or the payloads of its runs (read_baseline_runs).
_Saved = TypeVar("_Saved")


def select_across(
    policies: Sequence[Policy], prefixes: Sequence[str | None], keys: Sequence[str]
) -> list[tuple[str, ...] | None]:
    """Per policy, the --campaign keys it runs (() for all; None: run nothing from it).

    With several policies a key is named as the verdict names it (`services/api/core`), or
    bare (`core`) to select it in every policy that declares it.
    """
    if len(policies) == 1:
        select_campaigns(policies[0], keys)  # its own message names the known keys
        return [tuple(keys)]
    if not keys:
        return [() for _ in policies]
    chosen: list[tuple[str, ...] | None] = []
    matched: set[str] = set()
    for policy, prefix in zip(policies, prefixes, strict=True):
        mine = [
            c.key for c in policy.campaigns for k in keys if k in (c.key, prefixed(prefix, c.key))
        ]
        matched.update(
            k for c in policy.campaigns for k in keys if k in (c.key, prefixed(prefix, c.key))
        )
        chosen.append(tuple(dict.fromkeys(mine)) or None)
    unknown = [k for k in keys if k not in matched]
    if unknown:
        known = [
            prefixed(p, c.key)
            for pol, p in zip(policies, prefixes, strict=True)
            for c in pol.campaigns
        ]
        raise UsageError(
            f"unknown campaign {', '.join(map(repr, unknown))} for --campaign; "
            f"the policies declare: {', '.join(known) or 'none'}"
        )
    return chosen


def baseline_for(
    policy: Policy, prefix: str | None, baseline: Mapping[str, _Saved]
) -> dict[str, _Saved]:
    """A policy's part of a (possibly merged) baseline verdict: its prefixed keys, else bare."""
    found: dict[str, _Saved] = {}
    for campaign in policy.campaigns:
        for name in (prefixed(prefix, campaign.key), campaign.key):
            if name in baseline:
                found[campaign.key] = baseline[name]
                break
    return found


def judged(
    policies: Sequence[Policy],
    prefixes: Sequence[str | None],
    selected: Sequence[tuple[str, ...] | None],
) -> list[tuple[Policy, str | None, tuple[str, ...]]]:
    """Each policy that ran, with the keys it ran."""
    return [
        (policy, prefix, keys or tuple(c.key for c in policy.campaigns))
        for policy, prefix, keys in zip(policies, prefixes, selected, strict=True)
        if keys is not None
    ]
