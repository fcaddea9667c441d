"""What every reporter shares: clean untrusted text, locate findings, severities, fingerprints."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from gate_runner.ci.workspace import place, repo_relative
from gate_runner.safe_text import one_line
from gate_runner.statistics.budget import Budget, Spend
from gate_runner.verdict import CampaignResult, Check, Location, Verdict

Severity = Literal["high", "medium", "low", "info"]

TOP_TOOLS = 5


def value_text(value: Any, limit: int = 200) -> str:
    """Expected/actual values as compact JSON on one line."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return one_line(value, limit)
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
    except (TypeError, ValueError):
        text = repr(value)
    return one_line(text, limit)


def is_url(path: str) -> bool:
    return "://" in path


def finding_location(
    verdict: Verdict, campaign: CampaignResult | None, check: Check | None
) -> Location:
    """Where an annotation can land: the check's line, else the campaign's, else the policy's top.

    Repository-relative (see ci/workspace.py): a line in a policy extended from outside the
    repository lands on the `extends` line that brings it in. A location inside a remote (URL)
    policy cannot be annotated in a repository.
    """
    return _placed(
        verdict, check.location if check else None, campaign.location if campaign else None
    )


def _placed(verdict: Verdict, *candidates: Location | None) -> Location:
    sources = [s.get("location", "") for s in verdict.policy.sources]
    for candidate in candidates:
        if candidate is not None and not is_url(candidate.path):
            spot = place(
                candidate.path,
                max(candidate.line, 1),
                max(candidate.column, 1),
                policy=verdict.policy.path,
                sources=sources,
            )
            return Location(spot.path, spot.line, spot.column)
    return Location(repo_path(verdict.policy.path), 1, 1)


@dataclass(frozen=True)
class GateFinding:
    """A gate-wide error as findings: one per policy diagnostic at its line, else one."""

    title: str  # "invalid policy" or "no decision"
    detail: str  # the diagnostic, or "kind: message" (an annotation's body)
    text: str  # the one line a Code Quality or SARIF finding shows
    where: Location
    fingerprint: str


def gate_error_findings(verdict: Verdict) -> list[GateFinding]:
    error = verdict.error
    if error is None:
        return []
    if error.diagnostics:
        return [
            GateFinding(
                "invalid policy",
                one_line(problem.message),
                f"invalid policy: {one_line(problem.message)}",
                _placed(verdict, problem.location),
                # Stable across line moves, distinct per problem.
                fingerprint("", f"policy\x00{problem.location.path}\x00{problem.message}"),
            )
            for problem in error.diagnostics
        ]
    where = finding_location(verdict, None, None)
    return [
        GateFinding(
            "no decision",
            f"{one_line(error.kind)}: {one_line(error.message)}",
            f"no decision ({one_line(error.kind)}): {one_line(error.message)}",
            where,
            fingerprint("", "run"),
        )
    ]


def repo_path(path: str, *, policy: str | None = None) -> str:
    """A path as the vendors want it: relative to the repository root, forward slashes, no ./

    The root is that of `policy` (or of the working directory); a path outside it is kept.
    """
    return repo_relative(path, policy=policy)


def counts(campaign: CampaignResult, check: Check) -> bool:
    """A failed check the verdict counts: not warn-level, not waived, not turned into a pass."""
    if check.status == "inconclusive":  # counted when on_inconclusive makes it a failure
        return check.level == "error" and campaign.inconclusive_policy in (None, "fail")
    if check.status == "fail":
        return check.level == "error"
    if check.status == "error":
        return campaign.error_policy != "pass"
    return False


def is_note(check: Check) -> bool:
    """A check that passed with something to say: failing tools the baseline already had."""
    return check.kind == "failures" and check.status == "pass"


def severity(campaign: CampaignResult, check: Check) -> Severity:
    if check.status == "waived" or is_note(check):
        return "info"
    if check.status == "warn" or (check.status == "fail" and check.level == "warn"):
        return "low"
    if counts(campaign, check) and campaign.blocking:
        return "high"
    return "medium"


def repeats(campaign: CampaignResult) -> list[str]:
    """What issue #12 adds to a campaign's story: its runs, the method, flaky, on_inconclusive."""
    lines: list[str] = []
    aggregate = campaign.aggregate
    if aggregate is not None:
        runs = "1 run" if aggregate.runs == 1 else f"{aggregate.runs} runs"
        text = f"{runs}, aggregate {one_line(aggregate.method)} (rule {one_line(aggregate.rule)}"
        effective = aggregate.effective_attempts
        if isinstance(effective, (int, float)) and not isinstance(effective, bool):
            text += f", {effective:g} effective attempts"
        lines.append(f"{text}, stopped: {one_line(aggregate.stopped)})")
        tested = aggregate.variability if isinstance(aggregate.variability, dict) else {}
        if isinstance(tested.get("reason"), str):
            lines.append(f"flaky test: {one_line(tested['reason'])}")
    if campaign.outcome == "inconclusive":
        policy = campaign.inconclusive_policy or "fail"
        lines.append(f"inconclusive, treated as {policy} by on_inconclusive")
    if campaign.spent is not None:
        lines.append(f"spent: {describe_spend(campaign.spent)}")
    return lines


def describe_spend(spent: Spend, budget: Budget | None = None) -> str:
    """What was spent in words: "10 of 10 runs, 500 trials, cost 5" (issue 21)."""
    runs = f"{spent.runs} run" + ("" if spent.runs == 1 else "s")
    if budget is not None and budget.runs is not None:
        runs = f"{spent.runs} of {budget.runs} runs"
    parts = [runs]
    if spent.trials is not None:
        trials = f"{spent.trials}"
        if budget is not None and budget.trials is not None:
            trials += f" of {budget.trials}"
        parts.append(f"{trials} trials")
    if spent.cost is not None:
        parts.append(f"cost {spent.cost:g}")
    return ", ".join(parts)


def gate_spend(verdict: Verdict) -> str | None:
    """The gate's spend against gate.budget, for every report's summary (None: no budget)."""
    if verdict.spent is None:
        return None
    return f"spent: {describe_spend(verdict.spent, verdict.budget)} (gate.budget)"


def findings(campaign: CampaignResult) -> list[Check]:
    """Checks a user should see: everything that did not simply pass, and a flaky campaign."""
    found = [c for c in campaign.checks if c.status != "pass" or is_note(c)]
    if campaign.flaky:
        found.append(flaky_finding(campaign))
    return found


def flaky_finding(campaign: CampaignResult) -> Check:
    """A campaign whose runs vary more than chance allows: a warning every report shows."""
    return Check(
        id="flaky",
        kind="run",
        name="flaky",
        status="warn",
        level="warn",
        message=f"flaky: {one_line(campaign.spread or 'its runs vary more than chance allows')}",
        expected="runs that share one rate (chi-square homogeneity, p >= 0.05)",
        actual="runs that vary more than chance allows",
        location=campaign.location,
    )


def fingerprint(campaign_key: str, check_id: str) -> str:
    """Stable across runs and line moves: campaign and check, never a line number."""
    return hashlib.sha256(f"gate-runner\x00{campaign_key}\x00{check_id}".encode()).hexdigest()


@dataclass(frozen=True)
class ToolCount:
    tool: str
    count: int


def top_failing_tools(campaign: CampaignResult, limit: int = TOP_TOOLS) -> list[ToolCount]:
    """The payload's top_failing_tools, read defensively: it is untrusted input."""
    raw = (campaign.payload or {}).get("top_failing_tools")
    if not isinstance(raw, list):
        return []
    tools: list[ToolCount] = []
    for item in raw:
        if isinstance(item, dict) and isinstance(item.get("tool"), str):
            count = item.get("count")
            number = count if isinstance(count, int) and not isinstance(count, bool) else 0
            tools.append(ToolCount(one_line(item["tool"], 120), number))
    return tools[:limit]


def dashboard_url(campaign: CampaignResult) -> str | None:
    """An http(s) dashboard link, from the result or its payload; anything else is dropped."""
    for candidate in (campaign.dashboard_url, (campaign.payload or {}).get("dashboard_url")):
        if isinstance(candidate, str) and re.match(r"^https?://[^\s<>\"'`]+$", candidate):
            return candidate
    return None


def reused_from(campaign: CampaignResult) -> str | None:
    """ "reused from abc1234 (2 h ago)" for a result gate.reuse judged anew, else None."""
    reused = campaign.reused
    if reused is None:
        return None
    # The commit is read from a store others may write: only its hex digits are shown.
    commit = re.sub(r"[^0-9a-f]", "", reused.commit)[:7] or "?"
    return f"reused from {commit} ({age_text(reused.age)})"


def reused_origin(campaign: CampaignResult) -> str | None:
    """Where a reused result was filed (branch, CI run), as one untrusted line; else None."""
    reused = campaign.reused
    if reused is None:
        return None
    parts = [f"commit {one_line(reused.commit, 64)}"]
    if reused.branch:
        parts.append(f"branch {one_line(reused.branch, 200)}")
    if reused.ci_run:
        parts.append(f"CI run {one_line(reused.ci_run, 300)}")
    return "filed by " + ", ".join(parts) + f" at {one_line(reused.filed_at, 40)}"


def age_text(seconds: int) -> str:
    """An age as people say it: "5 min ago", "2 h ago", "3 d ago"."""
    if seconds < 3600:
        return f"{max(seconds // 60, 1)} min ago" if seconds >= 60 else "just now"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def check_details(campaign: CampaignResult, check: Check) -> list[str]:
    """The lines that explain a check: message, expected vs actual, waiver, reuse."""
    lines = [one_line(check.message)]
    if check.expected is not None or check.actual is not None:
        lines.append(f"expected: {value_text(check.expected)}; actual: {value_text(check.actual)}")
    if check.waiver is not None:
        state = "expired on" if check.waiver.expired else "until"
        lines.append(
            f"waiver {state} {one_line(check.waiver.until)}: {one_line(check.waiver.reason)}"
        )
    if check.status == "error" and campaign.error_policy == "pass":
        lines.append("not counted: the policy's on_error/on_timeout says pass")
    if check.mode is not None and (check.bars or check.mode != campaign.enforcement.mode):
        # A rule staged apart from its campaign says at which mode it judged, and why.
        lines.append(f"judged at {check.mode} ({one_line(check.mode_from or '', 200)})")
    if check.bars:
        lines.append(
            "bars: "
            + "; ".join(
                f"{value_text(b.expected)} {b.status} at {b.mode} ({one_line(b.mode_from, 200)})"
                for b in check.bars
            )
        )
    reused = reused_from(campaign)
    if reused is not None:
        lines.append(f"{reused}, judged by today's policy")
    return lines


def mode_text(campaign: CampaignResult) -> str:
    enforcement = campaign.enforcement
    return f"{enforcement.mode} ({enforcement.source}: {one_line(enforcement.reason, 200)})"


def interruption(verdict: Verdict) -> str:
    """What an interrupted verdict says: cancelled, and how many campaigns had no decision."""
    pending = sum(1 for c in verdict.campaigns if c.status == "pending")
    text = "the job was cancelled (SIGINT/SIGTERM)"
    if pending:
        text += f"; {pending} campaign{'s' if pending != 1 else ''} had no decision yet"
    return text
