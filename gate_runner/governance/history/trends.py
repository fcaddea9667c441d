"""The history of stored verdicts (pure): pass rates and bars, flaky, chronic, waiver debt."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from gate_runner.governance.history.trends_filed import Filed, Point, day_of, filed, parse_stored
from gate_runner.statistics.quantiles import chi_square_sf
from gate_runner.statistics.robust import (
    DispersionParts,
    dispersion_parts,
    pooled_from_parts,
    sum_parts,
)
from gate_runner.statistics.run_outcomes import FLAKY_LEVEL

# A baseline whose verdict is more than this many days older than the check that used it is
# stale (--stale changes it): a month of merges is more than one comparison should span.
STALE_DAYS = 30
# A waiver expiring within this many days is "expiring" when its verdict names no warn_days.
EXPIRING_DAYS = 7
UNKNOWN_REPOSITORY = "(no repository)"
# A roll-up (no --repo) of more points than this keeps each campaign's counts, not its points:
# ten million dots are neither readable nor fast (docs/history.md, "Organisation scale").
POINTS_LIMIT = 50_000


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
class Flaky:
    """The χ² homogeneity test over the runs of each commit, summed over the window."""

    tested: bool
    flaky: bool
    chi2: float = 0.0
    df: int = 0
    p_value: float | None = None
    icc: float | None = None


@dataclass(frozen=True)
class Tally:
    """A campaign's window in counts and sums: every rule below decides from these alone, so a
    database can count them (governance/history/trends_sql.py) and Python decides the same."""

    commits: int
    rated: int  # points with a pass rate
    rate_sum: float  # their sum, oldest first
    latest_rate: float | None  # the newest pass rate
    bar: float | None  # the newest bar
    met_bar: int
    outcomes: tuple[tuple[str, int], ...]  # sorted by outcome
    fails: int
    latest_failed: bool
    parts: DispersionParts  # the commits' shares of the χ² test, summed
    listed: int  # points that list failing tools
    tool_counts: tuple[tuple[str, int], ...]  # tool -> listing points it fails in, sorted
    latest_tools: tuple[str, ...]  # the newest listing point's tools


@dataclass(frozen=True)
class CampaignHistory:
    repository: str
    campaign: str
    points: tuple[Point, ...] | None  # oldest first; None past POINTS_LIMIT in a roll-up
    tally: Tally
    flaky: Flaky
    failing: str | None  # "chronic" (most of the window), "new" (only lately) or None
    chronic_tools: tuple[str, ...]
    new_tools: tuple[str, ...]

    @property
    def commits(self) -> int:
        return self.tally.commits

    @property
    def mean(self) -> float | None:
        return self.tally.rate_sum / self.tally.rated if self.tally.rated else None

    @property
    def latest(self) -> float | None:
        return self.tally.latest_rate

    @property
    def bar(self) -> float | None:
        return self.tally.bar

    @property
    def met_bar(self) -> int:
        return self.tally.met_bar

    def outcomes(self) -> dict[str, int]:
        return dict(self.tally.outcomes)


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
    kept: list[Filed] = []
    for name, text in entries:
        verdict = parse_stored(text)
        if isinstance(verdict, str):
            skipped.append(f"{name}: {verdict}")
            continue
        found = filed(verdict)
        if wanted(found, query):
            kept.append(found)
    return history_of(kept, query, tuple(skipped))


def history_of(kept: list[Filed], query: HistoryQuery, skipped: tuple[str, ...]) -> History:
    """The history of the verdicts `kept` (in the window; any order)."""
    kept.sort(key=order)
    by_repo: dict[str, list[Filed]] = {}
    for verdict in kept:
        by_repo.setdefault(verdict.repository or UNKNOWN_REPOSITORY, []).append(verdict)
    total = sum(1 for v in kept for key, _ in v.points if _campaign_wanted(key, query))
    keep_points = query.repo is not None or total <= POINTS_LIMIT
    repositories = tuple(
        _repository(name, verdicts, query, keep_points)
        for name, verdicts in sorted(by_repo.items())
    )
    return History(query, repositories, skipped)


def order(verdict: Filed) -> tuple[str, str]:
    """Oldest first: by start time, then commit (a database sorts the same, byte-wise)."""
    return verdict.started_at, verdict.commit or ""


def wanted(verdict: Filed, query: HistoryQuery) -> bool:
    """`verdict` is in the window `query` asks for (a database applies the same in SQL)."""
    if query.repo is not None and verdict.repository != query.repo:
        return False
    if query.branch is not None and verdict.branch != query.branch:
        return False
    if query.since is not None:
        return verdict.day is not None and verdict.day >= query.since
    return True


def _campaign_wanted(key: str, query: HistoryQuery) -> bool:
    return query.campaign is None or key == query.campaign


def _repository(
    name: str, verdicts: Sequence[Filed], query: HistoryQuery, keep_points: bool
) -> RepositoryHistory:
    points: dict[str, list[Point]] = {}
    for verdict in verdicts:
        for key, point in verdict.points:
            if _campaign_wanted(key, query):
                points.setdefault(key, []).append(point)
    campaigns = tuple(
        campaign_history(name, key, tally_of(p), tuple(p) if keep_points else None)
        for key, p in sorted(points.items())
    )
    newest = verdicts[-1]
    return RepositoryHistory(
        name,
        len(verdicts),
        campaigns,
        waiver_states(newest, query),
        baseline_age(newest, _first_started(verdicts, newest.baseline_commit), query),
    )


def _first_started(verdicts: Sequence[Filed], commit: str | None) -> str | None:
    then = next((v for v in verdicts if commit is not None and v.commit == commit), None)
    return then.started_at if then else None


def tally_of(points: Sequence[Point]) -> Tally:
    """The counts of a campaign's points (oldest first) that the rules decide from."""
    rates = [p.value for p in points if p.value is not None]
    bars = [p.bar for p in points if p.bar is not None]
    listed = [p.tools for p in points if p.tools is not None]
    tools = Counter(tool for found in listed for tool in set(found))
    return Tally(
        commits=len(points),
        rated=len(rates),
        rate_sum=sum(rates),
        latest_rate=rates[-1] if rates else None,
        bar=bars[-1] if bars else None,
        met_bar=sum(
            1 for p in points if p.value is not None and p.bar is not None and p.value >= p.bar
        ),
        outcomes=tuple(sorted(Counter(p.outcome for p in points).items())),
        fails=sum(1 for p in points if p.outcome == "fail"),
        latest_failed=bool(points) and points[-1].outcome == "fail",
        parts=sum_parts(dispersion_parts(p.runs) for p in points),
        listed=len(listed),
        tool_counts=tuple(sorted(tools.items())),
        latest_tools=tuple(sorted(set(listed[-1]))) if listed else (),
    )


def campaign_history(
    repository: str, key: str, tally: Tally, points: tuple[Point, ...] | None
) -> CampaignHistory:
    """A campaign's history: flaky, chronic or new, from its tally (whoever counted it)."""
    failing, chronic, new = _failures(tally)
    return CampaignHistory(
        repository, key, points, tally, _flaky(tally.parts), failing, chronic, new
    )


def _flaky(parts: DispersionParts) -> Flaky:
    chi2, icc, df = pooled_from_parts(parts)
    if df == 0:
        return Flaky(False, False)
    p_value = chi_square_sf(chi2, df)
    return Flaky(True, p_value < FLAKY_LEVEL, chi2, df, p_value, icc)


def _failures(tally: Tally) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """Chronic: failing in more than half the window; new: failing now, never before in it."""
    failing = None
    if tally.latest_failed:
        failing = "chronic" if 2 * tally.fails > tally.commits else None
        failing = failing or ("new" if tally.fails == 1 else None)
    counts = dict(tally.tool_counts)
    chronic = tuple(sorted(t for t, n in counts.items() if 2 * n > tally.listed))
    # A tool of the newest listing that no earlier one lists fails in exactly one point.
    new = tuple(t for t in tally.latest_tools if counts.get(t) == 1 and t not in chronic)
    return failing, chronic, new


def waiver_states(verdict: Filed, query: HistoryQuery) -> tuple[WaiverEntry, ...]:
    """The newest verdict's waived checks: live, expiring or expired on `query.today`."""
    days = EXPIRING_DAYS if verdict.warn_days is None else verdict.warn_days
    found = []
    for waived in verdict.waivers:
        if not _campaign_wanted(waived.campaign, query):
            continue
        until = day_of(waived.until)
        if waived.expired or until is None or until < query.today:
            state = "expired"
        else:
            state = "expiring" if (until - query.today).days <= days else "live"
        found.append(WaiverEntry(waived.campaign, waived.check, waived.until, state))
    return tuple(found)


def baseline_age(
    newest: Filed, then_started: str | None, query: HistoryQuery
) -> dict[str, Any] | None:
    """The newest check's baseline: its commit, and how much older its verdict (started
    `then_started`, the window's first verdict of that commit) was."""
    commit = newest.baseline_commit
    if commit is None:
        return None
    now_day, then_day = day_of(newest.started_at), then_started and day_of(then_started)
    age = (now_day - then_day).days if now_day and then_day else None
    return {"commit": commit, "age_days": age, "stale": age is not None and age > query.stale_days}
