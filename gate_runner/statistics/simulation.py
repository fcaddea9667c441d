"""Seeded binomial draws: one rule for the sandbox's random campaigns and bench/decisions.py."""

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
