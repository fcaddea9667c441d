"""statistics.icc: auto's estimate from recorded runs: known ρ recovered, thin history refused."""

from __future__ import annotations

import random

import pytest

from gate_runner.governance.history.icc_estimate import MIN_DF, estimate_iccs
from gate_runner.statistics.simulation import draw_successes

from .stored_verdicts import stored


def _recorded(icc: float, commits: int, repository: str = "acme/agent") -> list[str]:
    """`commits` verdicts of three runs of 50 attempts each, drawn at mean 0.85 and `icc`."""
    rng = random.Random(2022)
    return [
        stored(repository, c, 0.85, runs=[(draw_successes(rng, 50, 0.85, icc), 50) for _ in "abc"])
        for c in range(commits)
    ]


def _entries(texts: list[str]) -> list[tuple[str, str | Exception]]:
    return [(str(i), t) for i, t in enumerate(texts)]


@pytest.mark.parametrize("icc", [0.02, 0.2])
def test_a_known_icc_is_estimated_and_used(icc: float) -> None:
    found = estimate_iccs(_entries(_recorded(icc, 60)), ["core"], "acme/agent")["core"]
    assert found.used is not None and found.used == pytest.approx(icc, abs=0.06)
    assert (found.commits, found.runs, found.df) == (60, 180, 120)
    assert found.as_dict()["source"] == "estimated"


def test_thin_history_keeps_the_run_rates_rule_and_says_why() -> None:
    found = estimate_iccs(_entries(_recorded(0.2, 5)), ["core", "other"], None)
    core = found["core"]
    assert (core.used, core.commits, core.df) == (None, 5, 10)
    assert core.df < MIN_DF
    assert core.reason.startswith("10 between-run degrees of freedom in 5 recorded commits")
    assert core.as_dict()["source"] == "default"
    assert found["other"].commits == 0 and found["other"].used is None


def test_only_this_repositorys_runs_and_readable_entries_count() -> None:
    mine, theirs = _recorded(0.2, 12), _recorded(0.2, 30, repository="acme/other")
    entries = [*_entries(mine + theirs), ("bad", "{"), ("gone", OSError("unreadable"))]
    assert estimate_iccs(entries, ["core"], "acme/agent")["core"].commits == 12
    assert estimate_iccs(entries, ["core"], None)["core"].commits == 42
