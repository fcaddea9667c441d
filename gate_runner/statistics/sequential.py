"""Wald's sequential probability ratio test on pooled trials, looked at after every run.

Wald, A. (1945). "Sequential Tests of Statistical Hypotheses". Annals of Mathematical
Statistics 16(2): 117–186. doi:10.1214/aoms/1177731118.

The bar splits rates into good and bad; rates within `indifference` of it are too close
to call with few runs, so the test is between the two edges of that zone:
H_bad: p = bar − δ against H_good: p = bar + δ (mirrored for a max_ bar). After each run
the log-likelihood ratio of all pooled trials is compared with Wald's boundaries
A = ln((1 − β)/α) and B = ln(β/(1 − α)). Wald's inequalities bound the error rates by
about α and β however many times one looks, and looking only after whole runs (not after
every trial) only overshoots the boundaries, which makes errors rarer, never more common.

Two choices tune it against the fixed 3-run median (docs/statistics.md, bench/decisions.py):
the error rate is split unevenly, α = P(pass | bad) = 1 − confidence but
β = P(fail | good) = α/2, because with the default `on_inconclusive: fail` a good agent is
also blocked whenever the budget runs out; and at the last run (`final`) a test still
undecided passes when the pooled trials alone rule out the bad edge (Wald's
truncation idea, kept on the pass side only, with a one-sided Wilson bound at
1 − α/max_runs that rules out the bad edge), else it stays "inconclusive" and
`on_inconclusive` decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from gate_runner.statistics.intervals import count, wilson
from gate_runner.statistics.samples import Direction

Step = Literal["pass", "fail", "continue"]
DEFAULT_INDIFFERENCE = 0.05
# β = α × this: the share of the error rate spent on blocking a good agent (see above).
BLOCK_SHARE = 0.5


@dataclass(frozen=True)
class Sprt:
    """The test for one rate bar; `error_rate` is α = 1 − confidence, β = α × block_share."""

    limit: float
    direction: Direction
    error_rate: float
    indifference: float = DEFAULT_INDIFFERENCE
    block_share: float = BLOCK_SHARE

    @property
    def alpha(self) -> float:
        """P(pass | the bad edge): the rate the policy's confidence states."""
        return self.error_rate

    @property
    def beta(self) -> float:
        """P(fail | the good edge)."""
        return self.error_rate * self.block_share

    def __post_init__(self) -> None:
        if not 0.0 < self.limit < 1.0:
            raise ValueError(
                f"a sequential test needs a bar strictly inside (0, 1), not {self.limit}"
            )
        if not 0.0 < self.error_rate < 0.5:
            raise ValueError(f"error rate must be in (0, 0.5), not {self.error_rate}")

    @property
    def half_width(self) -> float:
        """δ: the indifference, narrowed near 0 and 1 so both hypotheses stay inside (0, 1)."""
        return min(self.indifference, self.limit / 2.0, (1.0 - self.limit) / 2.0)

    @property
    def hypotheses(self) -> tuple[float, float]:
        """(bad rate, good rate): the edges of the indifference zone."""
        low, high = self.limit - self.half_width, self.limit + self.half_width
        return (low, high) if self.direction == "min" else (high, low)

    @property
    def boundaries(self) -> tuple[float, float]:
        """(lower, upper): at or below the lower the rate is bad, at or above the upper good."""
        alpha, beta = self.alpha, self.beta
        return math.log(beta / (1.0 - alpha)), math.log((1.0 - beta) / alpha)

    def log_likelihood_ratio(self, successes: float, trials: float) -> float:
        """ln of P(data | good rate) / P(data | bad rate) for pooled Bernoulli trials."""
        bad, good = self.hypotheses
        failures = trials - successes
        return successes * math.log(good / bad) + failures * math.log((1.0 - good) / (1.0 - bad))

    def step(self, successes: float, trials: float) -> Step:
        lower, upper = self.boundaries
        ratio = self.log_likelihood_ratio(successes, trials)
        if ratio >= upper:
            return "pass"
        if ratio <= lower:
            return "fail"
        return "continue"

    def final(self, successes: float, trials: float, looks: int) -> Step:
        """The step at the last run allowed (`looks` = max_runs): a test still undecided passes
        when the pooled trials alone rule out the bad edge, by a one-sided Wilson bound at
        1 − α/looks (Bonferroni over the looks, so this last look adds little error)."""
        step = self.step(successes, trials)
        if step != "continue":
            return step
        bound = wilson(successes, trials, 1.0 - 2.0 * self.alpha / looks)
        bad, _good = self.hypotheses
        clears = bound.low >= bad if self.direction == "min" else bound.high <= bad
        return "pass" if clears else "continue"

    def describe(self, successes: float, trials: float) -> str:
        lower, upper = self.boundaries
        bad, good = self.hypotheses
        ratio = self.log_likelihood_ratio(successes, trials)
        kind = "pooled" if isinstance(trials, int) else "effective"
        return (
            f"SPRT on {count(successes)}/{count(trials)} {kind} trials: "
            f"log-likelihood ratio {ratio:.3f} "
            f"against [{lower:.3f}, {upper:.3f}] (good p={good:g} vs bad p={bad:g}, "
            f"α={self.alpha:g}, β={self.beta:g})"
        )


@dataclass(frozen=True)
class OperatingCharacteristic:
    """Exact probabilities of each end of a truncated SPRT, and its expected number of runs."""

    passed: float
    failed: float
    inconclusive: float
    mean_runs: float


def operating_characteristic(
    test: Sprt, rate: float, trials: int, max_runs: int
) -> OperatingCharacteristic:
    """What `test` does to an agent of true `rate`, with `trials` attempts a run: computed
    exactly, by carrying the distribution of pooled successes from run to run and
    absorbing each path where `step` stops it (no simulation, no sampling error)."""
    pmf = [math.comb(trials, k) * rate**k * (1 - rate) ** (trials - k) for k in range(trials + 1)]
    running = {0: 1.0}  # pooled successes -> probability, among gates still running
    ended = {"pass": 0.0, "fail": 0.0}
    mean_runs = 0.0
    for run in range(1, max_runs + 1):
        mean_runs += sum(running.values())  # every gate still running takes this run
        after: dict[int, float] = {}
        for pooled, mass in running.items():
            for k, p in enumerate(pmf):
                after[pooled + k] = after.get(pooled + k, 0.0) + mass * p
        running = {}
        for pooled, mass in after.items():
            n = trials * run
            step = test.final(pooled, n, max_runs) if run == max_runs else test.step(pooled, n)
            if step == "continue":
                running[pooled] = mass
            else:
                ended[step] += mass
    return OperatingCharacteristic(ended["pass"], ended["fail"], sum(running.values()), mean_runs)
