"""The history of stored verdicts (pure): pass rates and bars, flaky, chronic, waiver debt."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from gate_runner.governance.history.failures import failing_tools
from gate_runner.report.pass_rates import pass_rates, rate
from gate_runner.statistics.quantiles import chi_square_sf
from gate_runner.statistics.robust import pooled_dispersion
from gate_runner.statistics.run_outcomes import FLAKY_LEVEL
from gate_runner.untrusted_json import loads
from gate_runner.verdict import CampaignResult, Verdict
from gate_runner.verdict_json import verdict_from_dict

# A baseline whose verdict is more than this many days older than the check that used it is
# stale (--stale changes it): a month of merges is more than one comparison should span.
STALE_DAYS = 30
# A waiver expiring within this many days is "expiring" when its verdict names no warn_days.
EXPIRING_DAYS = 7
UNKNOWN_REPOSITORY = "(no repository)"


@dataclass(frozen=True)
class HistoryQuery:
    """What `gate-runner history` was asked: the filters, the stale age and today."""

    today: date
    repo: str | None = None
    campaign: str | None = None
    since: date | None = None
    branch: str | None = None
    stale_days: int = STALE_DAYS


@dataclass(frozen=True)
class Point:
    """One campaign as one stored verdict judged it."""

    commit: str
    branch: str | None
    started_at: str
    outcome: str
    value: float | None  # the pass rate the gate judged
    bar: float | None  # min_pass_rate then in force
    runs: tuple[tuple[int, int], ...]  # each run's (successes, trials), when counted
    tools: tuple[str, ...] | None  # failing tools; None when the payload lists none


@dataclass(frozen=True)
class Flaky:
    """The χ² homogeneity test over the runs of each commit, summed over the window."""

    tested: bool
    flaky: bool
    chi2: float = 0.0
    df: int = 0
    p_value: float | None = None
    icc: float | None = None


@dataclass(frozen=True)
class CampaignHistory:
    repository: str
    campaign: str
    points: tuple[Point, ...]  # oldest first
    flaky: Flaky
    failing: str | None  # "chronic" (most of the window), "new" (only lately) or None
    chronic_tools: tuple[str, ...]
    new_tools: tuple[str, ...]

    @property
    def rates(self) -> tuple[float, ...]:
        return tuple(p.value for p in self.points if p.value is not None)

    @property
    def bar(self) -> float | None:
        return next((p.bar for p in reversed(self.points) if p.bar is not None), None)

    @property
    def met_bar(self) -> int:
        return sum(
            1 for p in self.points if p.value is not None and p.bar is not None and p.value >= p.bar
        )

    def outcomes(self) -> dict[str, int]:
        return dict(Counter(p.outcome for p in self.points))


@dataclass(frozen=True)
class WaiverEntry:
    campaign: str
    check: str
    until: str
    state: str  # live, expiring, expired


@dataclass(frozen=True)
class RepositoryHistory:
    repository: str
    verdicts: int
    campaigns: tuple[CampaignHistory, ...]
    waivers: tuple[WaiverEntry, ...]  # the newest verdict's waived checks
    baseline: dict[str, Any] | None  # {commit, age_days, stale} of the newest check's baseline

    def waiver_debt(self) -> dict[str, int]:
        states = Counter(w.state for w in self.waivers)
        return {s: states.get(s, 0) for s in ("live", "expiring", "expired")}


@dataclass(frozen=True)
class History:
    query: HistoryQuery
    repositories: tuple[RepositoryHistory, ...]
    skipped: tuple[str, ...]  # entries that are no verdict, with the reason

    @property
    def verdicts(self) -> int:
        return sum(r.verdicts for r in self.repositories)


def compute_history(entries: Iterable[tuple[str, str | Exception]], query: HistoryQuery) -> History:
    """The history of `entries` (a store's (name, verdict text or why unreadable)) under `query`."""
    skipped: list[str] = []
    kept: list[Verdict] = []
    for name, text in entries:
        verdict = parse_stored(text)
        if isinstance(verdict, str):
            skipped.append(f"{name}: {verdict}")
        elif _wanted(verdict, query):
            kept.append(verdict)
    kept.sort(key=lambda v: (v.timings.started_at, v.ci.commit or ""))
    by_repo: dict[str, list[Verdict]] = {}
    for verdict in kept:
        by_repo.setdefault(verdict.ci.repository or UNKNOWN_REPOSITORY, []).append(verdict)
    repositories = tuple(
        _repository(name, verdicts, query) for name, verdicts in sorted(by_repo.items())
    )
    return History(query, repositories, tuple(skipped))


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


def _day(stamp: str) -> date | None:
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()
    except (ValueError, AttributeError):
        return None


def _wanted(verdict: Verdict, query: HistoryQuery) -> bool:
    if query.repo is not None and verdict.ci.repository != query.repo:
        return False
    if query.branch is not None and verdict.ci.branch != query.branch:
        return False
    if query.since is not None:
        day = _day(verdict.timings.started_at)
        return day is not None and day >= query.since
    return True


def _repository(name: str, verdicts: Sequence[Verdict], query: HistoryQuery) -> RepositoryHistory:
    points: dict[str, list[Point]] = {}
    runs: dict[str, list[tuple[tuple[int, int], ...]]] = {}
    for verdict in verdicts:
        by_key = {c.key: c for c in verdict.campaigns}
        for shown in pass_rates(verdict):
            if query.campaign is not None and shown.key != query.campaign:
                continue
            campaign = by_key[shown.key]
            point = Point(
                commit=verdict.ci.commit or "?",
                branch=verdict.ci.branch,
                started_at=verdict.timings.started_at,
                outcome=shown.outcome,
                value=shown.value,
                bar=shown.bar,
                runs=run_counts(campaign),
                tools=_tools(campaign),
            )
            points.setdefault(shown.key, []).append(point)
            runs.setdefault(shown.key, []).append(point.runs)
    campaigns = tuple(_campaign(name, key, tuple(p)) for key, p in sorted(points.items()))
    newest = verdicts[-1]
    return RepositoryHistory(
        name, len(verdicts), campaigns, _waivers(newest, query), _baseline(newest, verdicts, query)
    )


def _campaign(repository: str, key: str, points: tuple[Point, ...]) -> CampaignHistory:
    failing, chronic, new = _failures(points)
    return CampaignHistory(repository, key, points, _flaky(points), failing, chronic, new)


def _flaky(points: Sequence[Point]) -> Flaky:
    chi2, icc, df = pooled_dispersion([p.runs for p in points])
    if df == 0:
        return Flaky(False, False)
    p_value = chi_square_sf(chi2, df)
    return Flaky(True, p_value < FLAKY_LEVEL, chi2, df, p_value, icc)


def _failures(points: Sequence[Point]) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """Chronic: failing in more than half the window; new: failing now, never before in it."""
    failed = [p.outcome == "fail" for p in points]
    failing = None
    if failed and failed[-1]:
        failing = "chronic" if 2 * sum(failed) > len(failed) else None
        failing = failing or ("new" if not any(failed[:-1]) else None)
    listed = [p.tools for p in points if p.tools is not None]
    counts = Counter(tool for tools in listed for tool in set(tools))
    chronic = tuple(sorted(t for t, n in counts.items() if 2 * n > len(listed)))
    latest = set(listed[-1]) if listed else set()
    earlier = {t for tools in listed[:-1] for t in tools}
    new = tuple(sorted(latest - earlier - set(chronic)))
    return failing, chronic, new


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


def _waivers(verdict: Verdict, query: HistoryQuery) -> tuple[WaiverEntry, ...]:
    rules = verdict.waivers if isinstance(verdict.waivers, dict) else {}
    warn = rules.get("warn_days")
    days = warn if isinstance(warn, int) and not isinstance(warn, bool) else EXPIRING_DAYS
    found = []
    for campaign in verdict.campaigns:
        if query.campaign is not None and campaign.key != query.campaign:
            continue
        for check in campaign.checks:
            if check.waiver is None:
                continue
            until = _day(str(check.waiver.until))
            if check.waiver.expired or until is None or until < query.today:
                state = "expired"
            else:
                state = "expiring" if (until - query.today).days <= days else "live"
            found.append(WaiverEntry(campaign.key, check.id, str(check.waiver.until), state))
    return tuple(found)


def _baseline(
    newest: Verdict, verdicts: Sequence[Verdict], query: HistoryQuery
) -> dict[str, Any] | None:
    """The newest check's baseline: its commit, and how much older its verdict was."""
    commit = newest.baseline.get("commit") if isinstance(newest.baseline, dict) else None
    if not isinstance(commit, str):
        return None
    then = next((v for v in verdicts if v.ci.commit == commit), None)
    now_day, then_day = _day(newest.timings.started_at), then and _day(then.timings.started_at)
    age = (now_day - then_day).days if now_day and then_day else None
    return {"commit": commit, "age_days": age, "stale": age is not None and age > query.stale_days}
