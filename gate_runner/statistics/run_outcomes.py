"""Run-level outcomes: k-of-n, flaky campaigns, and what an inconclusive campaign becomes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from gate_runner.statistics.plan import OnInconclusive, StepStatus
from gate_runner.statistics.samples import Sample

RunOutcome = Literal["pass", "fail", "warn", "error"]
EffectiveOutcome = Literal["pass", "fail", "warn"]


def min_passing_runs(outcomes: Sequence[RunOutcome], k: int, *, max_runs: int) -> StepStatus:
    """k-of-n: pass once k runs passed, fail once too few runs remain to get there."""
    passed = sum(1 for o in outcomes if o == "pass")
    if passed >= k:
        return "pass"
    if passed + (max_runs - len(outcomes)) < k:
        return "fail"
    return "continue"


@dataclass(frozen=True)
class Flakiness:
    """Runs judged alone disagree: some passed, some failed."""

    flaky: bool
    passed: int
    failed: int
    runs: int

    def describe(self) -> str:
        return f"{self.passed} of {self.runs} runs passed on their own, {self.failed} failed"


def flakiness(outcomes: Sequence[RunOutcome]) -> Flakiness:
    """Warn-only differences are not disagreement; an errored run is neither side."""
    passed = sum(1 for o in outcomes if o in ("pass", "warn"))
    failed = sum(1 for o in outcomes if o == "fail")
    return Flakiness(passed > 0 and failed > 0, passed, failed, len(outcomes))


@dataclass(frozen=True)
class Spread:
    """One metric across runs, for the verdict's `flaky` explanation."""

    metric: str
    low: float
    high: float

    def describe(self) -> str:
        return f"{self.metric} {self.low:g}–{self.high:g}"


def spread(metric: str, samples: Sequence[Sample]) -> Spread:
    values = [s.value for s in samples]
    return Spread(metric, min(values), max(values))


def settle(on_inconclusive: OnInconclusive) -> tuple[EffectiveOutcome, str]:
    """What an inconclusive campaign counts as for enforcement, and the note that says so."""
    why = {
        "fail": "the bar was not shown to be met",
        "warn": "reported, not blocking",
        "pass": "allowed by the policy",
    }[on_inconclusive]
    return on_inconclusive, f"inconclusive, treated as {on_inconclusive} by on_inconclusive ({why})"
