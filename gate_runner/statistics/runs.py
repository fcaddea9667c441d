"""Run-level outcomes: k-of-n, flaky (runs that vary), and what an inconclusive campaign becomes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from gate_runner.statistics.plan import OnInconclusive, StepStatus
from gate_runner.statistics.quantiles import chi_square_sf
from gate_runner.statistics.robust import dispersion
from gate_runner.statistics.samples import Sample, counted

# Flaky: the runs' counts differ more than one shared rate allows, at this level.
FLAKY_LEVEL = 0.05

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
class Variability:
    """Whether the runs vary more than chance allows: Pearson's χ² homogeneity test over
    the runs' success counts (do they share one rate?) and the estimated intra-class ρ.

    `tested` is False without trial counts or with one run: then flaky is not known."""

    tested: bool
    flaky: bool
    reason: str  # what was found, or why nothing was tested
    chi2: float | None = None
    df: int | None = None
    p_value: float | None = None
    icc: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "test": "chi-square homogeneity" if self.tested else None,
            "flaky": self.flaky if self.tested else None,
            "chi2": None if self.chi2 is None else round(self.chi2, 4),
            "df": self.df,
            "p_value": None if self.p_value is None else float(f"{self.p_value:.4g}"),
            "icc": None if self.icc is None else round(self.icc, 4),
            "reason": self.reason,
        }


def variability(samples: Sequence[Sample]) -> Variability:
    """The flaky test over one rate's runs (each with its trial count)."""
    runs = tuple(samples)
    if len(runs) < 2:
        return Variability(False, False, "not tested: one run cannot vary")
    if not counted(runs):
        return Variability(
            False, False, "not tested: no trial counts (set statistics.trials, e.g. trace_count)"
        )
    chi2, icc, df = dispersion([(s.successes or 0, s.trials or 0) for s in runs])
    p_value = chi_square_sf(chi2, df)
    flaky = p_value < FLAKY_LEVEL
    verb = "vary more than chance allows" if flaky else "agree within chance"
    reason = (
        f"{len(runs)} runs {verb}: χ² {chi2:.2f} on {df} df, p {p_value:.3g}; estimated ρ {icc:.3f}"
    )
    return Variability(True, flaky, reason, chi2, df, p_value, icc)


@dataclass(frozen=True)
class Flakiness:
    """How many runs, each judged alone, passed and failed (shown beside the flaky test;
    runs on both sides of the bar measure closeness to it, not variability)."""

    split: bool  # some passed and some failed
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
