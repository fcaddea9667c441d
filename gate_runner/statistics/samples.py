"""What the statistics core reads: one metric's value per run, its trial count, and the bar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["min", "max"]  # min_*: higher is better; max_*: lower is better


@dataclass(frozen=True)
class Sample:
    """One run's value of one metric; `trials` when the payload says how many attempts it pooled."""

    value: float
    trials: int | None = None

    @property
    def successes(self) -> int | None:
        """The attempts behind a rate: value x trials, rounded (a payload's rate is k/n rounded)."""
        return None if self.trials is None else round(self.value * self.trials)


@dataclass(frozen=True)
class Bar:
    """A threshold as statistics sees it: the limit, which side is good, and whether it is absolute.

    An absolute bar (`max_unsafe: 0`) is not estimated: every run must meet it on its own.
    """

    key: str  # the threshold, e.g. "min_pass_rate"
    metric: str  # the payload field it reads, e.g. "pass_rate"
    limit: float
    direction: Direction
    absolute: bool = False

    def met_by(self, value: float) -> bool:
        return value >= self.limit if self.direction == "min" else value <= self.limit

    @property
    def operator(self) -> str:
        return ">=" if self.direction == "min" else "<="


def counted(samples: tuple[Sample, ...]) -> bool:
    """Whether every run carries a trial count, so rates can be pooled."""
    return bool(samples) and all(s.trials is not None and s.trials > 0 for s in samples)


def pooled_counts(samples: tuple[Sample, ...]) -> tuple[int, int]:
    """(successes, trials) summed over runs; only for counted samples."""
    successes = sum(s.successes or 0 for s in samples)
    trials = sum(s.trials or 0 for s in samples)
    return successes, trials
