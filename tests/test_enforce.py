"""Mode in force and exit codes (DESIGN §3), as a table."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from gate_runner.enforce import Undecided, blocks, decide_gate, decided_verdict, worst_exit_code
from gate_runner.modes import mode_in_force
from gate_runner.policy import (
    ApiSettings,
    Campaign,
    EnforcementSettings,
    GateSection,
    Origin,
    Policy,
    ScheduleEntry,
)
from gate_runner.verdict import (
    CampaignResult,
    CIContext,
    Enforcement,
    PolicyInfo,
    RunError,
    Timings,
)

ORIGIN = Origin("sepurux.yml", 1, 1)


def policy(
    mode: str = "hard", schedule: tuple[ScheduleEntry, ...] = (), origin: Origin | None = ORIGIN
) -> Policy:
    return Policy(
        version=1,
        path="sepurux.yml",
        api=ApiSettings("https://x", "SEPURUX_API_KEY", "X-Sepurux-Token", None),
        gate=GateSection(600, 8, "fail", "fail"),
        enforcement=EnforcementSettings(mode, origin, schedule),  # type: ignore[arg-type]
        campaigns=(),
        waivers=(),
        sources=(),
        digest="sha256:" + "0" * 64,
    )


def camp(enforcement: str | None = None) -> Campaign:
    return Campaign("c", "c", None, None, None, (), (), enforcement, Origin("sepurux.yml", 9, 3))  # type: ignore[arg-type]


SCHEDULE = (
    ScheduleEntry(date(2026, 12, 1), "observe", Origin("sepurux.yml", 5, 7)),
    ScheduleEntry(date(2026, 12, 8), "soft", Origin("sepurux.yml", 6, 7)),
    ScheduleEntry(date(2026, 12, 15), "hard", Origin("sepurux.yml", 7, 7)),
)


@pytest.mark.parametrize(
    ("today", "mode", "source"),
    [
        (date(2026, 11, 30), "hard", "policy"),
        (date(2026, 12, 1), "observe", "schedule"),
        (date(2026, 12, 14), "soft", "schedule"),
        (date(2027, 1, 1), "hard", "schedule"),
    ],
)
def test_schedule(today: date, mode: str, source: str) -> None:
    result = mode_in_force(policy(schedule=SCHEDULE), None, today=today, override=None)
    assert (result.mode, result.source) == (mode, source)


def test_precedence_cli_then_campaign_then_schedule() -> None:
    p = policy(schedule=SCHEDULE)
    today = date(2026, 12, 10)
    assert mode_in_force(p, camp("observe"), today=today, override="hard").source == "cli"
    by_campaign = mode_in_force(p, camp("observe"), today=today, override=None)
    assert (by_campaign.mode, by_campaign.source) == ("observe", "campaign")
    assert "campaign c sets enforcement: observe" in by_campaign.reason
    assert mode_in_force(p, camp(), today=today, override=None).source == "schedule"


def test_default_mode_when_policy_sets_none() -> None:
    result = mode_in_force(policy(origin=None), None, today=date(2026, 1, 1), override=None)
    assert (result.mode, result.source) == ("hard", "default")


@pytest.mark.parametrize(
    ("outcome", "mode", "error_policy", "expected"),
    [
        ("fail", "hard", None, True),
        ("fail", "soft", None, False),
        ("fail", "observe", None, False),
        ("error", "hard", "fail", True),
        ("error", "soft", "fail", True),
        ("error", "observe", "fail", False),
        ("error", "hard", "pass", False),
        ("warn", "hard", None, False),
        ("pass", "hard", None, False),
    ],
)
def test_blocks(outcome: str, mode: str, error_policy: str | None, expected: bool) -> None:
    assert blocks(outcome, mode, error_policy) is expected  # type: ignore[arg-type]


def result(outcome: str, mode: str, error_policy: str | None = None) -> CampaignResult:
    return CampaignResult(
        key=f"{outcome}-{mode}",
        campaign="c",
        campaign_id=None,
        run_id=None,
        dashboard_url=None,
        status="done",
        outcome=outcome,
        blocking=blocks(outcome, mode, error_policy),  # type: ignore[arg-type]
        enforcement=Enforcement(mode, "policy", "r"),
        checks=(),
        payload=None,  # type: ignore[arg-type]
        error_policy=error_policy,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("results", "code", "outcome", "head"),
    [
        ([("pass", "hard")], 0, "pass", "PASS"),
        ([("warn", "hard")], 0, "warn", "PASS WITH WARNINGS"),
        ([("fail", "hard")], 1, "fail", "BLOCKED"),
        ([("fail", "soft")], 10, "fail", "REVIEW REQUIRED"),
        ([("fail", "observe")], 0, "fail", "NOT ENFORCED"),
        ([("error", "hard", "fail")], 3, "error", "NO DECISION"),
        ([("error", "hard", "pass")], 0, "error", "PASS (errors allowed by policy)"),
        ([("error", "hard", "fail"), ("fail", "hard")], 1, "fail", "BLOCKED"),
        ([("error", "soft", "fail"), ("fail", "soft")], 3, "fail", "NO DECISION"),
        ([], 0, "pass", "PASS"),
    ],
)
def test_decide(results: list[tuple[str, ...]], code: int, outcome: str, head: str) -> None:
    decision = decide_gate([result(*r) for r in results], soft_exit_code=10)
    assert (decision.exit_code, decision.outcome) == (code, outcome)
    assert decision.summary.startswith(head + ":")
    assert decision.blocking is (code in (1, 3))


def test_interrupted_wins() -> None:
    assert (
        decide_gate([result("fail", "hard")], soft_exit_code=0, interrupted=True).exit_code == 130
    )


def test_interrupted_blocks_as_its_campaigns_do() -> None:
    """The headline and every campaign agree (issue 17): no "not blocking" over blocking ones."""
    pending = decide_gate([result("error", "hard", "fail")], soft_exit_code=0, interrupted=True)
    assert (pending.exit_code, pending.blocking) == (130, True)
    observed = decide_gate([result("error", "observe", "fail")], soft_exit_code=0, interrupted=True)
    assert (observed.exit_code, observed.blocking) == (130, False)


def test_a_campaign_that_does_not_block_is_not_listed_as_blocking() -> None:
    """BLOCKED: the campaigns that block first, the others apart (issue 17)."""
    inconclusive = replace(result("fail", "hard"), key="search", outcome="inconclusive")
    inconclusive = replace(inconclusive, blocking=False, inconclusive_policy="warn")
    decision = decide_gate([result("fail", "hard"), inconclusive], soft_exit_code=0)
    assert decision.summary == (
        "BLOCKED: 2 campaigns: 1 failed, 1 inconclusive — blocking: fail-hard (fail, hard); "
        "not blocking: search (inconclusive, hard)"
    )
    alone = decide_gate([result("fail", "hard"), result("error", "hard", "fail")], soft_exit_code=0)
    assert alone.summary.endswith("— fail-hard (fail, hard); error-hard (error, hard)")


@pytest.mark.parametrize(
    ("codes", "soft", "expected"),
    [([0, 3, 1], 0, 1), ([0, 3], 0, 3), ([78, 0], 78, 78), ([0, 0], 0, 0), ([1, 130], 0, 130)],
)
def test_worst_exit_code_follows_decides_order(codes: list[int], soft: int, expected: int) -> None:
    assert worst_exit_code(codes, soft_exit_code=soft) == expected


def test_a_blocked_policy_change_fails_a_passing_gate_but_keeps_its_head() -> None:
    decision = decide_gate([result("pass", "hard")], soft_exit_code=0, gate_fails=True)
    assert (decision.exit_code, decision.outcome, decision.blocking) == (1, "fail", True)
    assert decision.summary.startswith("PASS: ")  # governance appends why it blocks
    stopped = decide_gate(
        [result("pass", "hard")], soft_exit_code=0, interrupted=True, gate_fails=True
    )
    assert (stopped.exit_code, stopped.outcome) == (130, "pass")
    failing = decide_gate([result("error", "hard")], soft_exit_code=0, gate_fails=True)
    assert (failing.exit_code, failing.outcome) == (3, "error")


def undecided(*results: CampaignResult, **fields: Any) -> Undecided:
    return Undecided(
        campaigns=results,
        enforcement=Enforcement("hard", "policy", "r"),
        info=PolicyInfo("sepurux.yml", "sha256:" + "0" * 64, (), "fail", "fail"),
        ci=CIContext("local"),
        timings=Timings("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:01.000Z", 1.0),
        notes=(),
        **fields,
    )


def test_the_decision_takes_governance_part_and_the_cancel_in() -> None:
    review = " · review required: the policy change loosens the gate (origin/main)"
    verdict = decided_verdict(
        undecided(result("fail", "soft"), because=review), soft_exit_code=10, interrupted=False
    )
    assert (verdict.exit_code, verdict.interrupted) == (10, False)
    assert verdict.summary.startswith("REVIEW REQUIRED: ") and verdict.summary.endswith(review)
    blocked = decided_verdict(
        undecided(result("pass", "hard"), gate_fails=True), soft_exit_code=0, interrupted=True
    )
    assert (blocked.exit_code, blocked.interrupted, blocked.outcome) == (130, True, "pass")


def test_an_api_failure_stays_no_decision_when_a_policy_change_blocks() -> None:
    """The API could not be used (exit 3) although governance's check fails the first campaign."""
    flagged = replace(result("error", "hard", "fail"), outcome="fail", blocking=True)
    judged = undecided(flagged, result("error", "hard", "fail"), gate_fails=True)
    judged = replace(judged, error=RunError("auth", "no API token"))
    verdict = decided_verdict(judged, soft_exit_code=0, interrupted=False)
    assert (verdict.exit_code, verdict.outcome, verdict.blocking) == (3, "fail", True)
    assert verdict.error == RunError("auth", "no API token")
