"""Verdicts the reporter tests render: pass, hard fail, soft warn, error passed, reused, hostile."""

from __future__ import annotations

from dataclasses import replace

from gate_runner.statistics.budget import Budget, Spend
from gate_runner.verdict import (
    Aggregate,
    CampaignResult,
    Check,
    CIContext,
    Enforcement,
    JudgedBar,
    Location,
    PolicyInfo,
    Reused,
    RunError,
    RunRecord,
    Timings,
    Verdict,
    WaiverNote,
)

TOKEN = "sxp_live_TOKEN_5f2a9c71e3"
HOSTILE = (
    "evil\n::error file=x,line=1::pwned %0A %25 <b>&amp; | `tick` \x1b[31mred\x1b[0m\x00\x07 ::"
)
DIGEST = "sha256:" + "ab" * 32
POLICY = PolicyInfo(
    path="sepurux.yml",
    digest=DIGEST,
    sources=({"location": "sepurux.yml", "sha256": "cd" * 32},),
    on_error="fail",
    on_timeout="fail",
)
CI = CIContext(
    vendor="github",
    repository="acme/agent",
    commit="0123456789abcdef0123456789abcdef01234567",
    branch="feature/refunds",
    pull_request=42,
    build_url="https://github.com/acme/agent/actions/runs/99",
)
TIMINGS = Timings("2026-12-10T10:00:00Z", "2026-12-10T10:00:41Z", 41.2)
HARD = Enforcement("hard", "policy", "enforcement.mode in sepurux.yml", Location("sepurux.yml", 12))
SOFT = Enforcement(
    "soft", "schedule", "schedule entry from 2026-12-08", Location("sepurux.yml", 15)
)


def _decision(status: str = "pass", line: int = 30) -> Check:
    return Check(
        id="decision",
        kind="decision",
        name="decision",
        status=status,  # type: ignore[arg-type]
        level="error",
        message=f"the service decided {status}",
        expected="pass",
        actual=status,
        location=Location("sepurux.yml", line),
    )


def _payload(pass_rate: float, tools: list[dict[str, object]]) -> dict[str, object]:
    return {
        "decision": "pass",
        "pass_rate": pass_rate,
        "top_failing_tools": tools,
        "dashboard_url": "https://app.sepurux.dev/runs/r-1",
    }


def passing() -> Verdict:
    campaign = CampaignResult(
        key="core-reliability",
        campaign="core-reliability",
        campaign_id="c-1",
        run_id="r-1",
        dashboard_url="https://app.sepurux.dev/runs/r-1",
        status="done",
        outcome="pass",
        blocking=False,
        enforcement=HARD,
        checks=(
            _decision(),
            Check(
                id="threshold:min_pass_rate",
                kind="threshold",
                name="min_pass_rate",
                status="pass",
                level="error",
                message="pass_rate 0.97 >= 0.85",
                expected={"min": 0.85},
                actual=0.97,
                location=Location("sepurux.yml", 24, 5),
            ),
        ),
        payload=_payload(0.97, []),
        duration_s=12.5,
        location=Location("sepurux.yml", 30, 3),
    )
    return Verdict(
        outcome="pass",
        blocking=False,
        exit_code=0,
        summary="1 campaign passed",
        enforcement=HARD,
        policy=POLICY,
        ci=CI,
        timings=TIMINGS,
        campaigns=(campaign,),
        tool={"name": "gate-runner", "version": "0.1.0"},
    )


def hard_fail() -> Verdict:
    checks = (
        _decision("fail"),
        Check(
            id="threshold:min_pass_rate",
            kind="threshold",
            name="min_pass_rate",
            status="fail",
            level="error",
            message="pass_rate 0.72 < 0.85",
            expected={"min": 0.85},
            actual=0.72,
            location=Location("sepurux.yml", 24, 5),
        ),
        Check(
            id="assertion:refund-tool-stable",
            kind="assertion",
            name="refund-tool-stable",
            status="fail",
            level="error",
            message="payments.refund must not fail under any mutation",
            expected=True,
            actual=False,
            # Declared in a remote extended file: annotations fall back to the campaign line.
            location=Location("https://policies.example.com/agents/v3.yml", 8, 3),
        ),
        Check(
            id="threshold:max_unsafe",
            kind="threshold",
            name="max_unsafe",
            status="waived",
            level="error",
            message="unsafe 2 > 0",
            expected={"max": 0},
            actual=2,
            location=Location("sepurux.yml", 25, 5),
            waiver=WaiverNote(
                "2026-12-31", "AGENT-123 tracked fix", False, Location("sepurux.yml", 40)
            ),
        ),
        Check(
            id="threshold:max_failures",
            kind="threshold",
            name="max_failures",
            status="fail",
            level="error",
            message="failures 7 > 0",
            expected={"max": 0},
            actual=7,
            location=Location("sepurux.yml", 26, 5),
            waiver=WaiverNote("2026-12-01", "AGENT-99 old fix", True, Location("sepurux.yml", 44)),
        ),
    )
    campaign = CampaignResult(
        key="core-reliability",
        campaign="core-reliability",
        campaign_id="c-1",
        run_id="r-7",
        dashboard_url="https://app.sepurux.dev/runs/r-7",
        status="done",
        outcome="fail",
        blocking=True,
        enforcement=HARD,
        checks=checks,
        payload=_payload(
            0.72, [{"tool": "payments.refund", "count": 7}, {"tool": "search.orders", "count": 2}]
        ),
        duration_s=41.2,
        location=Location("sepurux.yml", 30, 3),
    )
    return Verdict(
        outcome="fail",
        blocking=True,
        exit_code=1,
        summary="1 of 1 campaigns failed; the gate blocks (hard)",
        enforcement=HARD,
        policy=POLICY,
        ci=CI,
        timings=TIMINGS,
        campaigns=(campaign,),
        notes=("waiver for core-reliability/max_failures expired on 2026-12-01 (sepurux.yml:44)",),
        tool={"name": "gate-runner", "version": "0.1.0"},
    )


def soft_warn() -> Verdict:
    campaign = CampaignResult(
        key="checkout-flow",
        campaign="checkout-flow-v2",
        campaign_id="c-2",
        run_id="r-8",
        dashboard_url="https://app.sepurux.dev/runs/r-8",
        status="done",
        outcome="warn",
        blocking=False,
        enforcement=SOFT,
        checks=(
            _decision("pass", 50),
            Check(
                id="assertion:latency-budget",
                kind="assertion",
                name="latency-budget",
                status="warn",
                level="warn",
                message="p95 latency above budget",
                expected=True,
                actual=False,
                location=Location("sepurux.yml", 55, 7),
            ),
        ),
        payload=_payload(0.91, [{"tool": "cart.update", "count": 1}]),
        duration_s=20.0,
        location=Location("sepurux.yml", 50, 3),
    )
    return Verdict(
        outcome="warn",
        blocking=False,
        exit_code=0,
        summary="1 campaign with warnings; review required (soft)",
        enforcement=SOFT,
        policy=POLICY,
        ci=replace(
            CI, vendor="gitlab", pull_request=7, build_url="https://gitlab.com/acme/agent/-/jobs/5"
        ),
        timings=TIMINGS,
        campaigns=(campaign,),
        tool={"name": "gate-runner", "version": "0.1.0"},
    )


def error_passed() -> Verdict:
    campaign = CampaignResult(
        key="core-reliability",
        campaign="core-reliability",
        campaign_id=None,
        run_id=None,
        dashboard_url=None,
        status="timeout",
        outcome="error",
        blocking=False,
        enforcement=HARD,
        checks=(
            Check(
                id="run",
                kind="run",
                name="run",
                status="error",
                level="error",
                message="still pending after 600 s",
                location=Location("sepurux.yml", 30, 3),
            ),
        ),
        payload=None,
        error=RunError("timeout", "still pending after 600 s"),
        error_policy="pass",
        duration_s=600.0,
        location=Location("sepurux.yml", 30, 3),
    )
    return Verdict(
        outcome="error",
        blocking=False,
        exit_code=0,
        summary="no decision for 1 campaign; on_timeout: pass lets the gate pass",
        enforcement=HARD,
        policy=replace(POLICY, on_timeout="pass"),
        ci=replace(CI, vendor="local", pull_request=None, build_url=None),
        timings=replace(TIMINGS, duration_s=600.0),
        campaigns=(campaign,),
        tool={"name": "gate-runner", "version": "0.1.0"},
    )


def hostile() -> Verdict:
    """Everything untrusted carries injection attempts and the token."""
    base = hard_fail()
    campaign = base.campaigns[0]
    evil_checks = tuple(
        replace(c, id=f"{c.id}{HOSTILE}", message=f"{c.message} {HOSTILE} {TOKEN}")
        for c in campaign.checks
    )
    evil = replace(
        campaign,
        key=f"core{HOSTILE}",
        campaign=f"core{HOSTILE}",
        checks=evil_checks,
        run_id=f"r{HOSTILE}",
        dashboard_url=f"javascript:alert(1)\n{HOSTILE}",
        payload={
            "top_failing_tools": [
                {"tool": f"payments.refund{HOSTILE}", "count": 3},
                {"tool": TOKEN, "count": 1},
            ],
            "dashboard_url": f"https://x/{HOSTILE}",
        },
        error=RunError("http", f"500 {HOSTILE} Authorization: Bearer {TOKEN}"),
        reused=Reused(
            commit=f"abc{HOSTILE}",
            age=7200,
            key="c" * 64,
            filed_at=f"2026{HOSTILE}",
            branch=f"main{HOSTILE}{TOKEN}",
            ci_run=f"https://ci/{HOSTILE}",
        ),
    )
    return replace(
        base,
        summary=f"summary {HOSTILE}",
        campaigns=(evil,),
        notes=(f"note {HOSTILE}",),
        error=RunError("http", f"gate {HOSTILE} {TOKEN}"),
    )


def _reused(age: int, key: str) -> Reused:
    return Reused(
        commit="abc1234def567890abc1234def567890abc12345",
        age=age,
        key=key * 64,
        filed_at="2026-12-10T08:00:00Z",
        branch="feature/refunds",
        ci_run="https://github.com/acme/agent/actions/runs/98",
    )


def reused() -> Verdict:
    """Issue 21: gate.reuse judged two campaigns from stored results; no run was started.

    The failing one is the hard fail's, 2 h old; the passing one 3 days old.
    """
    failed = replace(hard_fail().campaigns[0], reused=_reused(2 * 3600 + 5, "a"), duration_s=None)
    passed = replace(
        passing().campaigns[0], key="extra", reused=_reused(3 * 86400, "b"), duration_s=None
    )
    return replace(
        hard_fail(),
        summary="1 of 2 campaigns failed; the gate blocks (hard)",
        campaigns=(failed, passed),
        notes=(),
    )


def _runs(rates: list[tuple[float, str]]) -> tuple[RunRecord, ...]:
    return tuple(
        RunRecord(
            run_id=f"r-{i}",
            dashboard_url=f"https://app.sepurux.dev/runs/r-{i}",
            status="done",
            outcome=outcome,  # type: ignore[arg-type]
            metrics={"pass_rate": rate, "trials": 50},
            duration_s=10.0,
        )
        for i, (rate, outcome) in enumerate(rates, start=1)
    )


def _flaky_test(
    flaky: bool, chi2: float, df: int, p_value: float, icc: float, reason: str
) -> dict[str, object]:
    """aggregate.variability as statistics.variability writes it (issue 19)."""
    return {
        "test": "chi-square homogeneity",
        "flaky": flaky,
        "chi2": chi2,
        "df": df,
        "p_value": p_value,
        "icc": icc,
        "reason": reason,
    }


def inconclusive_flaky() -> Verdict:
    """Issue #12: one campaign still undecided after max_runs (blocking by on_inconclusive:
    fail) whose runs vary more than chance allows (flaky, issue 19), one that passed k-of-n
    although its runs, judged alone, disagreed (not flaky: they agree within chance)."""
    undecided = CampaignResult(
        key="search",
        campaign="search-agent",
        campaign_id="c-2",
        run_id="r-5",
        dashboard_url="https://app.sepurux.dev/runs/r-5",
        status="done",
        outcome="inconclusive",
        blocking=True,
        enforcement=HARD,
        checks=(
            replace(_decision(), message="Sepurux decision pass in 5 of 5 runs"),
            Check(
                id="threshold:min_pass_rate",
                kind="threshold",
                name="min_pass_rate",
                status="inconclusive",
                level="error",
                message="pass_rate median 0.9 over 5 runs; run rates: 98.125% run-rates-t "
                "interval [0.7117, 1.0000] from 215/250 attempts in 5 runs (between-run SE "
                "0.0424, floored at the binomial) (bounds at 1 − 0.0125 and 1 − 0.00625 "
                "one-sided, 4 looks; bad edge 0.8, good edge 0.9): undecided after max_runs 5",
                expected=">= 0.85",
                actual=0.9,
                location=Location("sepurux.yml", 24, 5),
            ),
        ),
        payload=_payload(0.9, []),
        duration_s=50.0,
        location=Location("sepurux.yml", 30, 3),
        runs=_runs([(0.96, "pass"), (0.74, "fail"), (0.92, "pass"), (0.78, "fail"), (0.9, "pass")]),
        aggregate=Aggregate(
            method="median",
            rule="run-rates-t",
            runs=5,
            stopped="budget",
            metrics={"pass_rate": 0.9},
            pooled={"successes": 215, "trials": 250},
            interval={
                "low": 0.711702,
                "high": 1.0,
                "confidence": 0.98125,
                "method": "run-rates-t",
                "basis": "215/250 attempts in 5 runs (between-run SE 0.0424, floored at the "
                "binomial)",
            },
            effective_attempts=66.89,
            variability=_flaky_test(
                True,
                14.9502,
                4,
                0.004806,
                0.0547,
                "5 runs vary more than chance allows: "
                "χ² 14.95 on 4 df, p 0.00481; estimated ρ 0.055",
            ),
        ),
        flaky=True,
        spread="5 runs vary more than chance allows: χ² 14.95 on 4 df, p 0.00481; estimated "
        "ρ 0.055; 3 of 5 runs passed on their own, 2 failed; pass_rate 0.74–0.96",
        inconclusive_policy="fail",
    )
    k_of_n = CampaignResult(
        key="checkout",
        campaign="checkout-agent",
        campaign_id="c-3",
        run_id="r-3",
        dashboard_url="https://app.sepurux.dev/runs/r-3",
        status="done",
        outcome="pass",
        blocking=False,
        enforcement=HARD,
        checks=(
            replace(_decision(line=34), message="Sepurux decision pass in 2 of 3 runs"),
            Check(
                id="runs:min_passing_runs",
                kind="run",
                name="min_passing_runs",
                status="pass",
                level="error",
                message="2 of 3 runs passed on their own; min_passing_runs 2 of at most 3",
                expected=">= 2 passing runs",
                actual=2,
                location=Location("sepurux.yml", 34, 3),
            ),
        ),
        payload=_payload(0.9, []),
        duration_s=30.0,
        location=Location("sepurux.yml", 34, 3),
        runs=_runs([(0.9, "pass"), (0.8, "fail"), (0.92, "pass")]),  # 45, 40, 46 of 50
        aggregate=Aggregate(
            method="median",
            rule="min_passing_runs",
            runs=3,
            stopped="decided",
            metrics={},
            variability=_flaky_test(
                False,
                3.7364,
                2,
                0.1544,
                0.0172,
                "3 runs agree within chance: χ² 3.74 on 2 df, p 0.154; estimated ρ 0.017",
            ),
        ),
        flaky=False,
    )
    return Verdict(
        outcome="inconclusive",
        blocking=True,
        exit_code=1,
        summary="BLOCKED: 2 campaigns: 1 inconclusive, 1 passed — search (inconclusive, hard)",
        enforcement=HARD,
        policy=POLICY,
        ci=CI,
        timings=TIMINGS,
        campaigns=(undecided, k_of_n),
        notes=(
            "search: inconclusive, treated as fail by on_inconclusive "
            "(the bar was not shown to be met)",
        ),
        tool={"name": "gate-runner", "version": "0.1.0"},
    )


def budget_spent() -> Verdict:
    """Issue 21: the same gate under `gate.budget: {runs: N, cost_per_trial: 0.02}`, its
    undecided campaign stopped by the budget; every report says what each campaign and the
    gate spent."""
    base = inconclusive_flaky()
    budget = Budget(runs=sum(len(c.runs) for c in base.campaigns), cost_per_trial=0.02)
    campaigns = tuple(
        replace(c, spent=Spend(len(c.runs), 50 * len(c.runs), round(len(c.runs) * 50 * 0.02, 6)))
        for c in base.campaigns
    )
    runs = sum(len(c.runs) for c in campaigns)
    return replace(
        base, campaigns=campaigns, budget=budget, spent=Spend(runs, 50 * runs, runs * 1.0)
    )


def staged() -> Verdict:
    """Issue 20: v2's new rules staged at observe while v1's bar stays hard; the tightened
    min_pass_rate judged against both bars (v1's 0.8 at hard decided)."""
    v1 = "central.yml:2:21 enforcement.mode"
    rule = "sepurux.yml:8:11 rule schedule"
    checks = (
        replace(_decision("pass"), mode="hard", mode_from=v1),
        Check(
            id="threshold:min_pass_rate",
            kind="threshold",
            name="min_pass_rate",
            status="fail",
            level="error",
            message="pass_rate 0.75 < 0.8 (the bar this rule tightened, still judging at hard "
            "until the stage reaches it)",
            expected=">= 0.8",
            actual=0.75,
            location=Location("central.yml", 3, 29),
            mode="hard",
            mode_from=v1,
            bars=(
                JudgedBar(">= 0.9", "fail", "observe", rule, Location("sepurux.yml", 5, 12)),
                JudgedBar(">= 0.8", "fail", "hard", v1, Location("central.yml", 3, 29)),
            ),
        ),
        Check(
            id="assertion:refund-tool-stable",
            kind="assertion",
            name="refund-tool-stable",
            status="fail",
            level="error",
            message="payments.refund must not fail under any mutation",
            expected=True,
            actual=False,
            location=Location("sepurux.yml", 12, 5),
            mode="observe",
            mode_from="sepurux.yml:14:25 rule mode",
        ),
    )
    campaign = CampaignResult(
        key="core-reliability",
        campaign="core-reliability",
        campaign_id="c-1",
        run_id="r-9",
        dashboard_url="https://app.sepurux.dev/runs/r-9",
        status="done",
        outcome="fail",
        blocking=True,
        enforcement=HARD,
        checks=checks,
        payload=_payload(0.75, []),
        duration_s=20.0,
        location=Location("sepurux.yml", 16, 3),
    )
    new_only = replace(
        campaign,
        key="search",
        campaign="search",
        run_id="r-10",
        dashboard_url="https://app.sepurux.dev/runs/r-10",
        blocking=False,
        enforcement=Enforcement(
            "observe",
            "rule",
            "assertion:refund-tool-stable judged at observe (sepurux.yml:14:25 rule mode)",
            Location("sepurux.yml", 12, 5),
        ),
        checks=(checks[0], replace(checks[1], status="pass", message="pass_rate 0.95 >= 0.9",
                                    actual=0.95, bars=()), checks[2]),
        payload=_payload(0.95, []),
        location=Location("sepurux.yml", 18, 3),
    )  # fmt: skip
    return Verdict(
        outcome="fail",
        blocking=True,
        exit_code=1,
        summary="BLOCKED: 2 campaigns: 2 failed — blocking: core-reliability (fail, hard); "
        "not blocking: search (fail, observe)",
        enforcement=HARD,
        policy=POLICY,
        ci=CI,
        timings=TIMINGS,
        campaigns=(campaign, new_only),
        tool={"name": "gate-runner", "version": "0.1.0"},
    )


FIXTURES = {
    "staged": staged,
    "inconclusive_flaky": inconclusive_flaky,
    "budget_spent": budget_spent,
    "pass": passing,
    "hard_fail": hard_fail,
    "soft_warn": soft_warn,
    "error_passed": error_passed,
    "reused": reused,
}
