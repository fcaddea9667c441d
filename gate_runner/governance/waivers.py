"""Waiver governance (pure): how long a waiver may run, what its reason must name, expiry warnings.

The policy shape (the list form stays valid and means ``entries``):

    waivers:
      max_days: 30                  # a waiver may reach at most 30 days past today
      reason: '[A-Z][A-Z0-9]+-\\d+'  # every reason must contain a match (e.g. a ticket id)
      warn_days: 7                  # warn this many days before a waiver expires
      entries:
        - {campaign: core, check: max_unsafe, until: 2026-12-31, reason: AGENT-123 fix}
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from gate_runner.policy import Waiver, WaiverRules

FindingKind = Literal["too_long", "reason", "expiring"]


@dataclass(frozen=True)
class WaiverFinding:
    waiver: Waiver
    kind: FindingKind
    refused: bool  # True: the waiver does not apply (its check counts as if unwaived)
    message: str


@dataclass(frozen=True)
class WaiverReview:
    findings: tuple[WaiverFinding, ...]
    live: int  # waivers in force today: not expired, not refused

    def usable(self, waivers: Sequence[Waiver]) -> tuple[Waiver, ...]:
        """The waivers evaluation may apply: every one not refused."""
        refused = {id(f.waiver) for f in self.findings if f.refused}
        return tuple(w for w in waivers if id(w) not in refused)

    def notes(self) -> list[str]:
        return [f.message for f in self.findings]

    def to_dict(self, rules: WaiverRules) -> dict[str, Any]:
        """The verdict's ``waivers`` object."""
        return {
            "live": self.live,
            "max_days": rules.max_days,
            "reason": rules.reason,
            "warn_days": rules.warn_days,
            "findings": [
                {
                    "campaign": f.waiver.campaign,
                    "check": f.waiver.check,
                    "until": f.waiver.until.isoformat(),
                    "kind": f.kind,
                    "refused": f.refused,
                    "message": f.message,
                    "location": str(f.waiver.origin),
                }
                for f in self.findings
            ],
        }


def review_waivers(waivers: Sequence[Waiver], rules: WaiverRules, *, today: date) -> WaiverReview:
    """Check every waiver against the rules; an expired waiver is left to evaluation's note."""
    pattern = re.compile(rules.reason) if rules.reason else None
    set_at = f" ({rules.origin})" if rules.origin else ""
    findings: list[WaiverFinding] = []
    live = 0
    for waiver in waivers:
        name = f"waiver for {waiver.campaign}/{waiver.check} ({waiver.origin})"
        days_left = (waiver.until - today).days
        if days_left < 0:
            continue
        refused = False
        if rules.max_days is not None and days_left > rules.max_days:
            refused = True
            findings.append(WaiverFinding(waiver, "too_long", True, (
                f"{name} runs to {waiver.until.isoformat()}, {days_left} days from today; "
                f"waivers.max_days{set_at} allows {rules.max_days}: it does not apply"
            )))  # fmt: skip
        if pattern is not None and not pattern.search(waiver.reason):
            refused = True
            findings.append(WaiverFinding(waiver, "reason", True, (
                f"{name}: its reason {waiver.reason!r} does not match waivers.reason "
                f"{rules.reason!r}{set_at}: it does not apply"
            )))  # fmt: skip
        if refused:
            continue
        live += 1
        if rules.warn_days is not None and days_left <= rules.warn_days:
            when = (
                "today" if days_left == 0 else f"in {days_left} day{'s' if days_left > 1 else ''}"
            )
            findings.append(WaiverFinding(waiver, "expiring", False, (
                f"{name} expires {when} ({waiver.until.isoformat()}): fix the check or renew it"
            )))  # fmt: skip
    return WaiverReview(tuple(findings), live)
