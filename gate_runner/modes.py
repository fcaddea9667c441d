"""Which mode is in force and why: for the gate, a campaign, and each rule staged on its own.

One rule (cli > rule > campaign > schedule > policy > default, docs/governance.md) that the
runner, repeats, evaluate, diff and explain all ask; enforce.py decides with what it says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from gate_runner.policy import MODE_RANK, Campaign, Mode, Policy, Stage, Threshold
from gate_runner.thresholds import threshold_effect
from gate_runner.verdict import Check, Enforcement, JudgedBar, Location, with_changes


def mode_in_force(
    policy: Policy, campaign: Campaign | None, *, today: date, override: Mode | None
) -> Enforcement:
    """The one rule: `--enforcement` > campaign > schedule > `enforcement.mode` > default.

    The runner (gate and campaigns) and `explain` call it; reports read what it recorded.
    """
    if override is not None:
        return Enforcement(override, "cli", f"--enforcement {override} on the command line")
    staged = (
        _staged(campaign.stage, today, "campaign", f"campaign {campaign.key}") if campaign else None
    )
    if staged is not None:
        return staged
    if campaign is not None and campaign.enforcement is not None:
        origin = campaign.enforcement_origin or campaign.origin
        return Enforcement(
            campaign.enforcement,
            "campaign",
            f"campaign {campaign.key} sets enforcement: {campaign.enforcement} ({origin})",
            Location(origin.file, origin.line, origin.col),
        )
    mode, entry = policy.enforcement.mode_on(today)
    if entry is not None:
        return Enforcement(
            mode,
            "schedule",
            f"schedule entry from {entry.start.isoformat()} ({entry.origin})",
            Location(entry.origin.file, entry.origin.line, entry.origin.col),
        )
    mode_origin = policy.enforcement.mode_origin
    if mode_origin is None:
        return Enforcement(mode, "default", f"no enforcement set; the default is {mode}")
    return Enforcement(
        mode,
        "policy",
        f"enforcement.mode: {mode} ({mode_origin})",
        Location(mode_origin.file, mode_origin.line, mode_origin.col),
    )


def _staged(stage: Stage | None, today: date, source: RuleSource, what: str) -> Enforcement | None:
    """A campaign's or a rule's own `enforcement` today: its schedule entry, else its mode."""
    found = stage.mode_on(today) if stage is not None else None
    if stage is None or found is None:
        return None
    mode, entry = found
    if entry is not None:
        origin, how = entry.origin, f"schedule entry from {entry.start.isoformat()}"
    else:
        origin, how = stage.mode_origin or stage.origin, f"enforcement.mode: {mode}"
    return Enforcement(
        mode, source, f"{what} {how} ({origin})", Location(origin.file, origin.line, origin.col)
    )


RuleSource = Literal["campaign", "rule"]


def mode_from(enforcement: Enforcement) -> str:
    """Where a check's mode came from, in one short phrase: "sepurux.yml:12:7 schedule"."""
    if enforcement.source == "cli":
        return "--enforcement"
    if enforcement.location is None:
        return enforcement.source
    where = enforcement.location
    how = "schedule" if "schedule entry" in enforcement.reason else "mode"
    if enforcement.source in ("policy", "schedule"):
        how = "enforcement.mode" if enforcement.source == "policy" else "enforcement.schedule"
    elif enforcement.source == "campaign":
        how = f"campaign {how}"
    else:
        how = f"rule {how}"
    return f"{where.path}:{where.line}:{where.column} {how}"


@dataclass(frozen=True)
class RuleModes:
    """Each rule's mode in one campaign on one day: its own stage's, else the campaign's."""

    campaign: Enforcement  # mode_in_force's answer: what a rule without its own stage gets
    today: date

    def of(self, stage: Stage | None, what: str) -> Enforcement:
        if self.campaign.source == "cli":
            return self.campaign  # --enforcement is the whole gate's, every rule's
        return _staged(stage, self.today, "rule", what) or self.campaign

    def judged(self, check: Check, stage: Stage | None) -> Check:
        """The check with the mode it is judged at and where that came from."""
        return self.at(check, self.of(stage, check.name))

    @staticmethod
    def at(check: Check, enforcement: Enforcement) -> Check:
        # with_changes, not replace: every check of every run passes here (issue 22's replay).
        mode, source = enforcement.mode, mode_from(enforcement)
        return with_changes(check, mode=mode, mode_from=source, bars=())

    def stricter_bars(self, threshold: Threshold) -> list[tuple[Threshold, Enforcement]]:
        """The looser bars `threshold` tightened that judge at a higher mode than it does:
        each keeps judging until this rule's stage reaches its mode."""
        own = MODE_RANK[self.of(threshold.stage, threshold.key).mode]
        return [
            (bar, mode)
            for bar in threshold.previous
            if MODE_RANK[(mode := self.of(bar.stage, bar.key)).mode] > own
        ]

    def sent(self, thresholds: Sequence[Threshold]) -> tuple[Threshold, ...]:
        """What the service is asked to decide on: per key, the strictest bar judging at the
        campaign's mode or above, so its decision (judged at the campaign's mode) never
        enforces a bar still staged below it."""
        floor = MODE_RANK[self.campaign.mode]
        chosen = []
        for threshold in thresholds:
            bars = [threshold, *threshold.previous]
            live = [b for b in bars if MODE_RANK[self.of(b.stage, b.key).mode] >= floor]
            if live:
                strictest = live[0]
                for bar in live[1:]:
                    if threshold_effect(bar.key, strictest.value, bar.value) == "tightens":
                        strictest = bar
                chosen.append(strictest)
        return tuple(chosen)


def strictest_bar(checks: Sequence[Check]) -> Check:
    """One threshold judged against several bars (its own first, then each looser bar it
    tightened, each check carrying its mode): the stricter outcome wins (a failure at the
    higher mode; the rule's own on a tie), and the result lists every bar it was judged by."""
    own = checks[0]
    if len(checks) == 1 and not own.bars:
        return own  # one bar, already without a list of bars: nothing to choose or to list
    failing = [c for c in checks if c.status in ("fail", "error", "inconclusive")]
    winner = max(failing, key=lambda c: MODE_RANK[c.mode or "observe"]) if failing else own
    if winner is not own:
        winner = replace(
            winner,
            message=f"{winner.message} (the bar this rule tightened, still judging at "
            f"{winner.mode} until the stage reaches it)",
        )
    bars = tuple(
        JudgedBar(c.expected, c.status, c.mode or "observe", c.mode_from or "", c.location)
        for c in checks
    )
    return replace(winner, bars=bars if len(checks) > 1 else ())


def governing(checks: Sequence[Check], campaign: Enforcement) -> Enforcement:
    """The mode a campaign's result is enforced at: the strictest mode among its counted
    checks that failed or erred (a rule staged below the campaign's mode blocks nothing
    more than its mode says); the campaign's own when none did or none carries one."""
    failing = [
        c
        for c in checks
        if c.level == "error" and c.status in ("fail", "error", "inconclusive") and c.mode
    ]
    if not failing:
        return campaign
    worst = max(failing, key=lambda c: MODE_RANK[c.mode or "observe"])
    if worst.mode == campaign.mode or worst.mode is None:
        return campaign
    return Enforcement(
        worst.mode,
        "rule",
        f"{worst.id} judged at {worst.mode} ({worst.mode_from})",
        worst.location,
    )
