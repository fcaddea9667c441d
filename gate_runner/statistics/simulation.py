"""Seeded agents and gates: one rule for the sandbox's random campaigns, `explain` and the benches.

A run's rate is drawn from a Beta of mean p and intra-class correlation rho (beta-binomial
runs; rho 0 is a fixed rate), its successes from Binomial(trials, rate); `simulate` runs the
gate's own rule (`statistics.plan.decide_bar`) on such runs.
"""

from __future__ import annotations

import bisect
import functools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from gate_runner.statistics.plan import RunPlan, decide_bar
from gate_runner.statistics.run_outcomes import min_passing_runs
from gate_runner.statistics.samples import Bar, Sample


@dataclass(frozen=True)
class Binomial:
    """Binomial(trials, rate), drawn by inverting its CDF: one uniform per draw, so a seeded
    `random.Random` gives the same successes on every Python (random.binomialvariate is 3.12+)."""

    trials: int
    rate: float
    _cdf: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.trials < 1 or not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"need trials >= 1 and 0 <= rate <= 1, got {self.trials}, {self.rate}")
        cdf, total = [], 0.0
        for k in range(self.trials + 1):
            total += _pmf(self.trials, k, self.rate)
            cdf.append(total)
        cdf[-1] = 1.0  # float dust must not leave a gap above the last bucket
        object.__setattr__(self, "_cdf", tuple(cdf))

    def draw(self, rng: random.Random) -> int:
        return bisect.bisect_right(self._cdf, rng.random())


def _pmf(n: int, k: int, rate: float) -> float:
    """P(X = k), X ~ Binomial(n, rate). Exact products up to 1,000 trials (the draws every
    seed has always given); above, comb(n, k) is too large for a float, so in log space."""
    if n <= 1000:
        return math.comb(n, k) * rate**k * (1.0 - rate) ** (n - k)
    if rate in (0.0, 1.0):
        return 1.0 if k == (0 if rate == 0.0 else n) else 0.0
    log = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    return math.exp(log + k * math.log(rate) + (n - k) * math.log1p(-rate))


def run_rng(seed: int | str, campaign: str, index: int) -> random.Random:
    """The generator of one campaign's index-th run (1-based): independent of the order in which
    other campaigns' runs were created, so the same seed answers the same sequence of runs."""
    return random.Random(f"{seed}:{campaign}:{index}")  # noqa: S311 - simulation, not secrets


def run_rate(rng: random.Random, mean: float, icc: float) -> float:
    """One run's true rate: Beta(a, b), a = p(1 - rho)/rho, b = (1 - p)(1 - rho)/rho (mean p,
    correlation rho between two attempts of one run); rho 0, p 0 or p 1: p itself, drawing
    nothing, so rho 0 keeps the plain binomial's draws."""
    if not 0.0 <= icc < 1.0 or not 0.0 <= mean <= 1.0:
        raise ValueError(f"need 0 <= icc < 1 and 0 <= mean <= 1, got {icc}, {mean}")
    if icc == 0.0 or mean in (0.0, 1.0):
        return mean
    scale = (1.0 - icc) / icc
    return rng.betavariate(mean * scale, (1.0 - mean) * scale)


def draw_successes(rng: random.Random, trials: int, mean: float, icc: float = 0.0) -> int:
    """One run's successes out of `trials`: beta-binomial (mean, icc), binomial at icc 0.

    At icc 0 it is `Binomial(trials, mean).draw` (today's sandbox draws, one uniform); else the
    Beta draw, then one uniform inverted through Binomial(trials, rate) (a new rate each run,
    so no table is worth building)."""
    if icc == 0.0:
        return _binomial(trials, mean).draw(rng)
    rate = run_rate(rng, mean, icc)
    u = rng.random()
    if rate <= 0.0 or rate >= 1.0:
        return 0 if rate <= 0.0 else trials
    return _invert(u, trials, rate)


def _invert(u: float, trials: int, rate: float) -> int:
    """The smallest k with P(X <= k) > u for X ~ Binomial(trials, rate): the pmf by the
    recurrence p(k+1) = p(k) (n - k)/(k + 1) r/(1 - r), in log space where p(0) underflows."""
    log_q = math.log1p(-rate)
    total = 0.0
    if trials * log_q > -700.0:
        pmf, ratio = math.exp(trials * log_q), rate / (1.0 - rate)
        for k in range(trials + 1):
            total += pmf
            if u < total:
                return k
            pmf *= (trials - k) / (k + 1) * ratio
        return trials  # float dust: the last bucket takes what the sum fell short of
    log_p, log_n = math.log(rate), math.lgamma(trials + 1)
    for k in range(trials + 1):
        term = log_n - math.lgamma(k + 1) - math.lgamma(trials - k + 1)
        total += math.exp(term + k * log_p + (trials - k) * log_q)
        if u < total:
            return k
    return trials


@functools.lru_cache(maxsize=64)
def _binomial(trials: int, rate: float) -> Binomial:
    return Binomial(trials, rate)


@dataclass(frozen=True)
class Outlook:
    """What a gate does with an agent of one true rate: P(not blocked) and the mean runs."""

    rate: float
    icc: float
    passes: float  # pass, or inconclusive that on_inconclusive lets through
    mean_runs: float
    gates: int
    undecided: float = 0.0  # inconclusive at the last run, whatever on_inconclusive made of it


def simulate(
    plan: RunPlan,
    bars: Sequence[Bar],
    *,
    rate: float,
    icc: float,
    trials: int,
    gates: int,
    seed: int | str = 0,
    memos: Sequence[dict[tuple[int, ...], str]] | None = None,
) -> tuple[Outlook, ...]:
    """`gates` seeded gates of one campaign on an agent of true `rate`, one Outlook per bar:
    each run drawn by `draw_successes`, decided after each run by `decide_bar` (k-of-n by
    `min_passing_runs`).

    A gate's runs are drawn once and judged by every bar: each bar reads as many of the same
    draws as it needs, so its figures are those it would get alone, for the seeding (most of
    the cost) of one. `memos`: per bar, decisions already taken, by the runs' successes; share
    one only between calls with the same plan, bar and trials (the rule is a function of
    those and the counts).
    """
    memos = [{} for _ in bars] if memos is None else memos
    passed, runs_total, undecided = [0] * len(bars), [0] * len(bars), [0] * len(bars)
    rng = random.Random(0)  # noqa: S311 - simulation, not secrets; seeded again for each gate
    for gate in range(gates):
        # float(): 0 and 0.0 are the same agent, and must draw the same gates.
        rng.seed(f"{seed}:{float(rate)}:{float(icc)}:{gate}")
        drawn: list[int] = []
        for index, bar in enumerate(bars):
            memo, status = memos[index], "continue"
            counts: tuple[int, ...] = ()
            while status == "continue" and len(counts) < plan.budget:
                if len(drawn) == len(counts):
                    drawn.append(draw_successes(rng, trials, rate, icc))
                counts += (drawn[len(counts)],)
                status = memo.get(counts) or memo.setdefault(
                    counts, _status(counts, trials, bar, plan)
                )
            if status == "continue":
                status = "inconclusive"
            runs_total[index] += len(counts)
            undecided[index] += status == "inconclusive"
            if status == "pass" or (status == "inconclusive" and plan.on_inconclusive != "fail"):
                passed[index] += 1
    return tuple(
        Outlook(rate, icc, passed[i] / gates, runs_total[i] / gates, gates, undecided[i] / gates)
        for i in range(len(bars))
    )


def _status(counts: tuple[int, ...], trials: int, bar: Bar, plan: RunPlan) -> str:
    samples = tuple(Sample(k / trials, trials) for k in counts)
    if plan.min_passing_runs is None:
        return decide_bar(samples, bar, plan).status
    outcomes = ["pass" if bar.met_by(s.value) else "fail" for s in samples]
    if len(samples) < plan.repeat:
        return "continue"
    return min_passing_runs(outcomes, plan.min_passing_runs, max_runs=plan.budget)  # type: ignore[arg-type]
