"""Waiver governance and gate.policy_changes: pure decisions."""

from __future__ import annotations

from datetime import date

from gate_runner.governance.diff.policy_changes import decide_policy_changes, stricter
from gate_runner.governance.diff.policy_diff import PolicyChange
from gate_runner.governance.waivers import WaiverRules, review_waivers
from gate_runner.policy import Origin, Waiver

TODAY = date(2026, 12, 1)


def _waiver(until: str, reason: str = "AGENT-1 fix", check: str = "max_unsafe") -> Waiver:
    return Waiver("core", check, date.fromisoformat(until), reason, Origin("sepurux.yml", 9, 5))


def test_waivers_too_long_or_without_a_ticket_do_not_apply() -> None:
    waivers = [
        _waiver("2026-12-20"),
        _waiver("2027-06-30", check="decision"),
        _waiver("2026-12-10", reason="will fix", check="a"),
        _waiver("2026-11-01", check="old"),  # expired: evaluation already says so
    ]
    rules = WaiverRules(max_days=30, reason=r"[A-Z]+-\d+", origin=Origin("central.yml", 4, 3))
    review = review_waivers(waivers, rules, today=TODAY)
    assert review.notes() == [
        "waiver for core/decision (sepurux.yml:9:5) runs to 2027-06-30, 211 days from today; "
        "waivers.max_days (central.yml:4:3) allows 30: it does not apply",
        "waiver for core/a (sepurux.yml:9:5): its reason 'will fix' does not match "
        "waivers.reason '[A-Z]+-\\\\d+' (central.yml:4:3): it does not apply",
    ]
    assert review.live == 1
    assert review.usable(waivers) == (waivers[0], waivers[3])


def test_warnings_before_expiry() -> None:
    waivers = [
        _waiver("2026-12-01"),
        _waiver("2026-12-04", check="b"),
        _waiver("2026-12-30", check="c"),
    ]
    review = review_waivers(waivers, WaiverRules(warn_days=7), today=TODAY)
    assert review.notes() == [
        "waiver for core/max_unsafe (sepurux.yml:9:5) expires today (2026-12-01): "
        "fix the check or renew it",
        "waiver for core/b (sepurux.yml:9:5) expires in 3 days (2026-12-04): "
        "fix the check or renew it",
    ]
    assert (review.live, review.usable(waivers)) == (3, tuple(waivers))


def test_no_rules_no_findings() -> None:
    review = review_waivers([_waiver("2030-01-01")], WaiverRules(), today=TODAY)
    assert (review.findings, review.live) == ((), 1)


LOOSE = PolicyChange(
    "enforcement.mode", "hard", "soft", "loosens", "sepurux.yml:7", "mode hard -> soft"
)
TIGHT = PolicyChange("thresholds.min_pass_rate", 0.8, 0.9, "tightens", "sepurux.yml:3", "raised")


def test_tightening_applies_at_once() -> None:
    for setting in ("allow", "review", "block"):
        d = decide_policy_changes(setting, [TIGHT], base_ref="origin/main")  # type: ignore[arg-type]
        assert (d.judge_by, d.review_required, d.fails_gate, d.message) == (
            "head",
            False,
            False,
            None,
        )


def test_review_judges_by_the_base_and_says_review_required() -> None:
    decision = decide_policy_changes("review", [LOOSE], base_ref="origin/main")
    assert (decision.judge_by, decision.review_required, decision.fails_gate) == (
        "base",
        True,
        False,
    )
    assert decision.message == (
        "review required: this change loosens the gate (1 change: enforcement.mode); "
        "judged by the policy at origin/main"
    )
    both = decide_policy_changes("review", [LOOSE, TIGHT], base_ref="origin/main")
    assert both.judge_by == "both"
    assert both.to_dict()["changes"][1]["effect"] == "tightens"


def test_block_fails_the_gate_and_allow_records_only() -> None:
    blocked = decide_policy_changes("block", [LOOSE], base_ref="origin/main")
    assert (blocked.fails_gate, blocked.review_required) == (True, False)
    assert blocked.message is not None and blocked.message.startswith(
        "blocked: this change loosens"
    )
    allowed = decide_policy_changes("allow", [LOOSE], base_ref="origin/main")
    assert (allowed.judge_by, allowed.fails_gate, allowed.loosening) == ("head", False, (LOOSE,))


def test_the_stricter_judgement_wins() -> None:
    assert stricter(("pass", False), ("fail", False)) == ("fail", False)
    assert stricter(("fail", False), ("error", True)) == ("error", True)
    assert stricter(("warn", False), ("pass", False)) == ("warn", False)
