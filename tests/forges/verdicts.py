"""Verdicts the forge tests publish: the report fixtures, plus one with many findings."""

from __future__ import annotations

from dataclasses import replace

from report.fixtures import hard_fail, passing, soft_warn

from gate_runner.verdict import CampaignResult, Check, Location, Verdict

TOKEN = "ghp_FORGE_TOKEN_7f3a9c"


def many_findings(count: int = 120) -> Verdict:
    """A failing campaign with `count` failing assertions: more than one request of annotations."""
    base = hard_fail()
    checks = tuple(
        Check(
            id=f"assertion:a{i}",
            kind="assertion",
            name=f"a{i}",
            status="fail",
            level="error",
            message=f"assertion {i} failed",
            expected=True,
            actual=False,
            location=Location("sepurux.yml", 100 + i, 5),
        )
        for i in range(count)
    )
    campaign: CampaignResult = replace(base.campaigns[0], checks=checks)
    return replace(base, campaigns=(campaign,))


def mixed() -> Verdict:
    """Three campaigns: hard fail, soft warn, pass — three conclusions and the gate's."""
    return replace(
        hard_fail(),
        campaigns=(
            *hard_fail().campaigns,
            replace(soft_warn().campaigns[0], key="checkout-flow"),
            replace(passing().campaigns[0], key="smoke"),
        ),
    )
