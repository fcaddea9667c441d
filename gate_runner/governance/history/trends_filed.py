"""One stored verdict as history reads it (pure): its points, waivers and baseline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from gate_runner.governance.history.failures import failing_tools
from gate_runner.report.pass_rates import judged, rate
from gate_runner.untrusted_json import loads
from gate_runner.verdict import CampaignResult, Verdict
from gate_runner.verdict_json import verdict_from_dict


class Point(NamedTuple):
    """One campaign as one stored verdict judged it.

    A NamedTuple (immutable as a frozen dataclass): `history --repo R` makes 20,000 of them,
    each in a fifth of a frozen dataclass's time (no object.__setattr__ per field)."""

    commit: str
    branch: str | None
    started_at: str
    outcome: str
    value: float | None  # the pass rate the gate judged
    bar: float | None  # min_pass_rate then in force
    runs: tuple[tuple[int, int], ...]  # each run's (successes, trials), when counted
    tools: tuple[str, ...] | None  # failing tools; None when the payload lists none


@dataclass(frozen=True)
class Waived:
    """A waived check as its verdict filed it (its state depends on the day history runs)."""

    campaign: str
    check: str
    until: str
    expired: bool  # the verdict said so


@dataclass(frozen=True)
class Filed:
    """What history needs of one stored verdict: from its JSON (`filed`) or from the rows
    `record` filed with it in a database (governance/history/history_rows.py)."""

    repository: str | None  # ci.repository
    branch: str | None
    commit: str | None
    started_at: str
    day: date | None  # started_at's day, when it parses
    points: tuple[tuple[str, Point], ...]  # (campaign key, point) in the verdict's order
    waivers: tuple[Waived, ...]
    warn_days: int | None  # waivers.warn_days, when a whole number
    baseline_commit: str | None  # the baseline `check --baseline auto` compared with


def filed(verdict: Verdict) -> Filed:
    """What history needs of `verdict` (a parsed, well-typed one: `parse_stored`)."""
    points = []
    # A key listed twice reads the runs and tools of its last campaign (as it always has).
    by_key = {c.key: c for c in verdict.campaigns}
    for shown in verdict.campaigns:
        campaign = by_key[shown.key]
        value, bar = judged(shown)
        point = Point(
            commit=verdict.ci.commit or "?",
            branch=verdict.ci.branch,
            started_at=verdict.timings.started_at,
            outcome=shown.outcome,
            value=value,
            bar=bar,
            runs=run_counts(campaign),
            tools=_tools(campaign),
        )
        points.append((shown.key, point))
    rules = verdict.waivers if isinstance(verdict.waivers, dict) else {}
    warn = rules.get("warn_days")
    base = verdict.baseline.get("commit") if isinstance(verdict.baseline, dict) else None
    return Filed(
        repository=verdict.ci.repository,
        branch=verdict.ci.branch,
        commit=verdict.ci.commit,
        started_at=verdict.timings.started_at,
        day=day_of(verdict.timings.started_at),
        points=tuple(points),
        waivers=tuple(
            Waived(c.key, k.id, str(k.waiver.until), bool(k.waiver.expired))
            for c in verdict.campaigns
            for k in c.checks
            if k.waiver is not None
        ),
        warn_days=warn if isinstance(warn, int) and not isinstance(warn, bool) else None,
        baseline_commit=base if isinstance(base, str) else None,
    )


def parse_stored(text: str | Exception) -> Verdict | str:
    """The verdict a store's entry holds, or why it holds none (a row is untrusted input)."""
    if isinstance(text, Exception):
        return str(text)
    try:
        verdict = verdict_from_dict(loads(text))
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        why = str(error) if isinstance(error, ValueError) else ""
        return why or "not a gate-runner verdict"
    return (
        verdict if _well_typed(verdict) else "not a gate-runner verdict (a field of the wrong type)"
    )


def _well_typed(verdict: Verdict) -> bool:
    """The fields history sorts, groups and prints by are what the schema says they are."""
    ci = verdict.ci
    optional = (ci.repository, ci.branch, ci.commit)
    return (
        isinstance(verdict.timings.started_at, str)
        and all(v is None or isinstance(v, str) for v in optional)
        and all(isinstance(c.key, str) and isinstance(c.outcome, str) for c in verdict.campaigns)
        and all(isinstance(c.checks, tuple) for c in verdict.campaigns)
    )


def day_of(stamp: str) -> date | None:
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()
    except (ValueError, AttributeError):
        return None


def run_counts(campaign: CampaignResult) -> tuple[tuple[int, int], ...]:
    """(successes, trials) of each of its runs that recorded both."""
    found = []
    for run in campaign.runs:
        value, trials = rate(run.metrics.get("pass_rate")), run.metrics.get("trials")
        if value is None or not isinstance(trials, int) or isinstance(trials, bool):
            continue
        if trials > 0 and 0.0 <= value <= 1.0:
            found.append((round(value * trials), trials))
    return tuple(found)


def _tools(campaign: CampaignResult) -> tuple[str, ...] | None:
    payload = campaign.payload if isinstance(campaign.payload, dict) else None
    tools = failing_tools(payload)
    return None if tools is None else tuple(sorted(tools))
