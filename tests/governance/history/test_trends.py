"""The history core over stored verdicts: rates, filters, flaky, chronic, debt, staleness."""

from __future__ import annotations

from datetime import date

import pytest

from gate_runner.governance.history.store import UnreadableEntry
from gate_runner.governance.history.trends import (
    CampaignHistory,
    History,
    HistoryQuery,
    compute_history,
)

from .stored_verdicts import sha, stored

TODAY = date(2026, 11, 30)


def _history(entries: list[str], **query: object) -> History:
    named: list[tuple[str, str | Exception]] = [(f"v{i}", t) for i, t in enumerate(entries)]
    return compute_history(named, HistoryQuery(today=TODAY, **query))  # type: ignore[arg-type]


def _core(history: History, repository: str) -> CampaignHistory:
    found = next(r for r in history.repositories if r.repository == repository)
    return found.campaigns[0]


def test_pass_rates_over_commits_against_the_bar_oldest_first() -> None:
    rates = [0.9, 0.85, 0.7, 0.95]
    history = _history([stored("acme/agent", i, r) for i, r in reversed(list(enumerate(rates)))])
    core = _core(history, "acme/agent")
    assert core.points is not None
    assert tuple(p.value for p in core.points) == tuple(rates)
    assert (core.mean, core.latest) == (sum(rates) / 4, 0.95)
    assert (core.bar, core.met_bar, core.outcomes()) == (0.8, 3, {"pass": 3, "fail": 1})
    assert [p.commit for p in core.points] == [sha(i, "acme/agent") for i in range(4)]


def test_filters_pick_repository_branch_campaign_and_window() -> None:
    entries = [
        stored("acme/agent", 0, 0.9, day=1),
        stored("acme/agent", 1, 0.9, day=20, branch="feature"),
        stored("acme/other", 2, 0.9, day=21),
    ]
    assert [r.repository for r in _history(entries).repositories] == ["acme/agent", "acme/other"]
    assert _history(entries, repo="acme/other").verdicts == 1
    assert _history(entries, branch="feature").verdicts == 1
    assert _history(entries, since=date(2026, 11, 20)).verdicts == 2
    assert _history(entries, campaign="nope").repositories[0].campaigns == ()


def test_runs_that_vary_within_a_commit_are_flaky_commits_that_differ_are_not() -> None:
    flaky = [stored("a/flaky", i, 0.8, runs=[(20, 50), (48, 50), (35, 50)]) for i in range(3)]
    steady = [
        stored("a/steady", i, r, runs=[(k, 50), (k, 50), (k + 1, 50)])
        for i, (r, k) in enumerate([(0.5, 25), (0.96, 48), (0.7, 35)])
    ]
    history = _history(flaky + steady)
    assert _core(history, "a/flaky").flaky.flaky is True
    assert _core(history, "a/flaky").flaky.df == 6
    assert _core(history, "a/steady").flaky.tested is True
    assert _core(history, "a/steady").flaky.flaky is False
    assert _history([stored("a/one", 0, 0.9)]).repositories[0].campaigns[0].flaky.tested is False


def test_failures_are_chronic_when_most_of_the_window_new_when_only_lately() -> None:
    chronic = [stored("a/chronic", i, 0.5, tools=("search",)) for i in range(4)]
    chronic.insert(0, stored("a/chronic", 9, 0.9, day=1))
    new = [stored("a/new", i, 0.9, tools=("search",)) for i in range(4)]
    new.append(stored("a/new", 9, 0.5, day=20, tools=("search", "browse")))
    history = _history(chronic + new)
    old = _core(history, "a/chronic")
    assert (old.failing, old.chronic_tools, old.new_tools) == ("chronic", ("search",), ())
    fresh = _core(history, "a/new")
    assert (fresh.failing, fresh.chronic_tools, fresh.new_tools) == (
        "new",
        ("search",),
        ("browse",),
    )
    recovered = _history([stored("a/ok", 0, 0.5), stored("a/ok", 1, 0.9)])
    assert recovered.repositories[0].campaigns[0].failing is None


def test_waiver_debt_counts_the_newest_verdicts_live_expiring_and_expired_waivers() -> None:
    debt = {
        until: _history([stored("a/w", 0, 0.7, waiver_until=until)]).repositories[0].waiver_debt()
        for until in ("2027-01-31", "2026-12-04", "2026-11-20")
    }
    assert debt["2027-01-31"] == {"live": 1, "expiring": 0, "expired": 0}
    assert debt["2026-12-04"] == {"live": 0, "expiring": 1, "expired": 0}
    assert debt["2026-11-20"] == {"live": 0, "expiring": 0, "expired": 1}
    # An older verdict's waiver, since fixed, is no debt.
    fixed = [stored("a/w", 0, 0.7, waiver_until="2027-01-31"), stored("a/w", 1, 0.9)]
    assert _history(fixed).repositories[0].waivers == ()


def test_a_baseline_older_than_the_stale_age_is_stale() -> None:
    base = sha(0, "a/b")
    entries = [stored("a/b", 0, 0.9, day=1), stored("a/b", 1, 0.9, day=28, baseline=base)]
    assert _history(entries).repositories[0].baseline == {
        "commit": base,
        "age_days": 27,
        "stale": False,
    }
    assert _history(entries, stale_days=20).repositories[0].baseline["stale"] is True  # type: ignore[index]


def test_entries_that_are_no_verdict_are_skipped_with_their_reason() -> None:
    entries: list[tuple[str, str | Exception]] = [
        ("bad", "{not json"),
        ("odd", '{"outcome": "pass"}'),
        ("gone", UnreadableEntry("too large")),
        ("good", stored("a/ok", 0, 0.9)),
    ]
    history = compute_history(entries, HistoryQuery(today=TODAY))
    assert history.verdicts == 1
    assert [s.split(":")[0] for s in history.skipped] == ["bad", "odd", "gone"]
    assert history.skipped[1] == "odd: not a gate-runner verdict"
    assert history.skipped[2] == "gone: too large"


def _crafted(change: str) -> str:
    import json

    data = json.loads(stored("a/ok", 1, 0.9, runs=[(40, 50), (45, 50)]))
    campaign = data["campaigns"][0]
    if change == "started_at":
        data["timings"]["started_at"] = 20261101
    elif change == "repository":
        data["ci"]["repository"] = ["a", "b"]
    elif change == "commit":
        data["ci"]["commit"] = 7
    elif change == "key":
        campaign["key"] = {"k": 1}
    elif change == "waivers":
        data["waivers"] = ["x"]
    elif change == "baseline":
        data["baseline"] = "abc"
    elif change == "payload":
        campaign["payload"] = ["not", "a", "payload"]
    elif change == "runs":
        campaign["runs"][0]["metrics"] = {"pass_rate": "high", "trials": True}
    elif change == "rate":
        campaign["checks"][1]["actual"] = 1e400
    return json.dumps(data)


@pytest.mark.parametrize(
    "change",
    ["started_at", "repository", "commit", "key", "waivers", "baseline", "payload", "runs", "rate"],
)
def test_a_crafted_row_is_skipped_or_read_never_a_crash(change: str) -> None:
    from gate_runner.governance.history.trends_report import history_json, history_text
    from gate_runner.report.history_html import history_page

    entries: list[tuple[str, str | Exception]] = [
        ("good", stored("a/ok", 0, 0.9)),
        ("crafted", _crafted(change)),
    ]
    history = compute_history(entries, HistoryQuery(today=TODAY))
    assert history.verdicts + len(history.skipped) == 2
    for render in (history_text, history_json, history_page):
        assert render(history)
