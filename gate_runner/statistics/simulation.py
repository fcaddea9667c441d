"""Seeded binomial and beta-binomial draws: one rule for the sandbox and bench/."""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, field


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
            total += (
                math.comb(self.trials, k) * self.rate**k * (1.0 - self.rate) ** (self.trials - k)
            )
            cdf.append(total)
        cdf[-1] = 1.0  # float dust must not leave a gap above the last bucket
        object.__setattr__(self, "_cdf", tuple(cdf))

    def draw(self, rng: random.Random) -> int:
        return bisect.bisect_right(self._cdf, rng.random())


def run_rng(seed: int | str, campaign: str, index: int) -> random.Random:
    """The generator of one campaign's index-th run (1-based): independent of the order in which
    other campaigns' runs were created, so the same seed answers the same sequence of runs."""
    return random.Random(f"{seed}:{campaign}:{index}")  # noqa: S311 - simulation, not secrets


def beta_binomial(trials: int, true: float, icc: float, rng: random.Random) -> int:
    """One run's successes when runs vary: its rate drawn from a Beta of mean `true` and
    intra-class correlation `icc` (α = true(1 − icc)/icc, β = (1 − true)(1 − icc)/icc), then
    Binomial(trials, rate). icc 0 (or a rate of 0 or 1) is the plain binomial."""
    if not 0.0 <= icc < 1.0:
        raise ValueError(f"icc must be in [0, 1), not {icc}")
    rate = true
    if icc > 0.0 and 0.0 < true < 1.0:
        scale = (1.0 - icc) / icc
        rate = rng.betavariate(true * scale, (1.0 - true) * scale)
    return Binomial(trials, rate).draw(rng)
