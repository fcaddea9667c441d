"""statistics.icc: auto (pure): each campaign's run-to-run ρ estimated from its recorded runs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from gate_runner.governance.history.store import VerdictStore
from gate_runner.governance.history.trends_filed import parse_stored, run_counts
from gate_runner.policy import Policy
from gate_runner.statistics.robust import pooled_dispersion

# Below this many between-run degrees of freedom (runs − 1 per commit, summed: 10 commits of
# 3 runs give 20) the ANOVA estimate of ρ is too noisy to spend fewer runs on; the campaign
# keeps the run-rates rule, which assumes nothing of ρ (docs/statistics.md).
MIN_DF = 20


@dataclass(frozen=True)
class IccEstimate:
    """What `icc: auto` found for one campaign; `used` None: the run-rates rule decides."""

    used: float | None
    estimate: float | None
    commits: int  # recorded verdicts with two counted runs or more of the campaign
    runs: int  # their runs
    df: int  # between-run degrees of freedom
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": "estimated" if self.used is not None else "default",
            "used": self.used,
            "estimate": self.estimate,
            "commits": self.commits,
            "runs": self.runs,
            "df": self.df,
            "reason": self.reason,
        }


def thin(reason: str) -> IccEstimate:
    """No estimate: the run-rates rule, and why."""
    return IccEstimate(None, None, 0, 0, 0, f"{reason}: the run-rates rule decides (assumes no ρ)")


def estimate_iccs(
    entries: Iterable[tuple[str, str | Exception]],
    keys: Iterable[str],
    repository: str | None,
) -> dict[str, IccEstimate]:
    """Per campaign key, ρ̂ over the recorded runs of that key in `repository`'s verdicts
    (every verdict when the repository is not known); unreadable entries are passed over."""
    wanted = set(keys)
    groups: dict[str, list[tuple[tuple[int, int], ...]]] = {key: [] for key in wanted}
    for _, text in entries:
        verdict = parse_stored(text)
        if isinstance(verdict, str):
            continue
        if repository is not None and verdict.ci.repository not in (None, repository):
            continue
        for campaign in verdict.campaigns:
            counts = run_counts(campaign)
            if campaign.key in wanted and len(counts) >= 2:
                groups[campaign.key].append(counts)
    return {key: _estimate(groups[key]) for key in sorted(wanted)}


def _estimate(groups: list[tuple[tuple[int, int], ...]]) -> IccEstimate:
    _, icc, df = pooled_dispersion(groups)
    runs = sum(len(g) for g in groups)
    if df < MIN_DF:
        found = thin(
            f"{df} between-run degrees of freedom in {len(groups)} recorded commits, "
            f"fewer than {MIN_DF}"
        )
        return IccEstimate(None, round(icc, 4) if df else None, len(groups), runs, df, found.reason)
    used = round(icc, 4)
    why = f"ρ̂ {used:g} from {runs} runs of {len(groups)} recorded commits ({df} df)"
    return IccEstimate(used, used, len(groups), runs, df, why)


def calibrated(
    policy: Policy, store: VerdictStore | None, repository: str | None
) -> tuple[Policy, dict[str, IccEstimate]]:
    """The policy with each campaign's ρ estimated from `store` (icc: auto), and what was found.

    A campaign with too little history, or no store at all, keeps icc None: the run-rates rule.
    """
    if not policy.statistics.icc_auto:
        return policy, {}
    keys = [c.key for c in policy.campaigns]
    if store is None:
        found = {key: thin("no --store to estimate from") for key in keys}
    else:
        found = estimate_iccs(store.entries(), keys, repository)
    campaigns = tuple(
        replace(c, runs=replace(c.runs, icc=found[c.key].used)) for c in policy.campaigns
    )
    return replace(policy, campaigns=campaigns), found
