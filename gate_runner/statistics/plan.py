"""How many runs a campaign gets and how a threshold is decided after each: fixed or sequential."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from gate_runner.statistics.aggregate import DEFAULT_METHOD, Method
from gate_runner.statistics.judgement import Judgement, describe_point, judge
from gate_runner.statistics.samples import Bar, Sample, counted, pooled_counts
from gate_runner.statistics.sequential import DEFAULT_INDIFFERENCE, Sprt

OnInconclusive = Literal["fail", "warn", "pass"]
StepStatus = Literal["pass", "fail", "inconclusive", "continue"]
# The sequential rule for counted rates: Wald's SPRT, or Bonferroni alpha spending on
# Wilson intervals (kept so bench/decisions.py can show why the SPRT was chosen).
SequentialRule = Literal["sprt", "bonferroni"]


@dataclass(frozen=True)
class RunPlan:
    """A campaign's statistics settings, merged from `gate:` and the campaign.

    `repeat` runs always happen; with `max_runs` above it (and a `confidence`), more
    runs follow one at a time while a threshold is still undecided.
    """

    repeat: int = 1
    max_runs: int | None = None  # None: exactly `repeat` runs
    aggregate: Method = DEFAULT_METHOD
    confidence: float | None = None
    on_inconclusive: OnInconclusive = "fail"
    min_passing_runs: int | None = None
    indifference: float = DEFAULT_INDIFFERENCE
    sequential_rule: SequentialRule = "sprt"

    def __post_init__(self) -> None:
        if self.repeat < 1 or self.budget < self.repeat:
            raise ValueError(f"need 1 <= repeat <= max_runs, got {self.repeat}, {self.max_runs}")
        if self.confidence is not None and not 0.5 < self.confidence < 1.0:
            raise ValueError(f"confidence must be in (0.5, 1), not {self.confidence}")
        if self.min_passing_runs is not None and not 1 <= self.min_passing_runs <= self.budget:
            raise ValueError(
                f"min_passing_runs must be in 1..{self.budget} (max_runs), "
                f"not {self.min_passing_runs}"
            )
        if not 0.0 < self.indifference < 0.5:
            raise ValueError(f"indifference must be in (0, 0.5), not {self.indifference}")

    @property
    def budget(self) -> int:
        """The most runs this campaign may get."""
        return self.repeat if self.max_runs is None else self.max_runs

    @property
    def sequential(self) -> bool:
        return self.confidence is not None and self.budget > self.repeat


@dataclass(frozen=True)
class Decision:
    """One threshold after some runs: `continue` asks the runner for another run."""

    status: StepStatus
    judgement: Judgement
    rule: str  # "point", "interval", "sprt", "bonferroni-t", "absolute"


def decide_bar(samples: tuple[Sample, ...], bar: Bar, plan: RunPlan) -> Decision:
    """The decision the gate takes for `bar` after these runs (in the order they ran)."""
    runs = len(samples)
    if bar.absolute:
        judgement = judge(samples, bar, method=plan.aggregate, confidence=None)
        # One run over an absolute bar settles it; a clean record needs the planned runs.
        done = judgement.status == "fail" or runs >= plan.repeat
        return Decision(judgement.status if done else "continue", judgement, "absolute")
    if runs < plan.repeat:
        return Decision("continue", _pending(samples, bar, plan), "pending")
    if not plan.sequential:
        judgement = judge(samples, bar, method=plan.aggregate, confidence=plan.confidence)
        return Decision(judgement.status, judgement, "interval" if plan.confidence else "point")
    assert plan.confidence is not None  # sequential implies it
    if counted(samples) and 0.0 < bar.limit < 1.0 and plan.sequential_rule == "sprt":
        return _sprt(samples, bar, plan, plan.confidence)
    return _bonferroni(samples, bar, plan, plan.confidence)


def _sprt(samples: tuple[Sample, ...], bar: Bar, plan: RunPlan, confidence: float) -> Decision:
    test = Sprt(bar.limit, bar.direction, 1.0 - confidence, plan.indifference)
    successes, trials = pooled_counts(samples)
    last = len(samples) >= plan.budget
    step = test.final(successes, trials, plan.budget) if last else test.step(successes, trials)
    truncated = last and step == "pass" and test.step(successes, trials) == "continue"
    status: StepStatus = step
    if step == "continue" and last:
        status = "inconclusive"
    # The SPRT decides; the Wilson interval is shown beside it so a reader sees the spread.
    shown = judge(samples, bar, method=plan.aggregate, confidence=confidence)
    verdict = {"pass": "good", "fail": "bad", "continue": "undecided"}[step]
    message = f"{test.describe(successes, trials)}: {verdict}"
    if status == "inconclusive":
        message += f" after max_runs {plan.budget}"
    if truncated:
        message += (
            f" (at max_runs {plan.budget}: the pooled trials rule out the bad edge, one-sided "
            f"Wilson bound at {1.0 - test.alpha / plan.budget:.4g})"
        )
    interval = f"; {shown.interval.describe()}" if shown.interval is not None else ""
    message = f"{describe_point(shown, bar.metric)}; {message}{interval}"
    final = shown.status if status == "continue" else status
    return Decision(status, replace(shown, status=final, message=message), "sprt")


def _bonferroni(
    samples: tuple[Sample, ...], bar: Bar, plan: RunPlan, confidence: float
) -> Decision:
    """An interval per look (Wilson with counts, else t), the error rate split over the looks.

    Bonferroni over the planned looks (from run `repeat`, or run 2 when a t interval
    needs two runs, to max_runs) keeps the overall error rate at 1 − confidence
    however the looks fall.
    """
    first_look = plan.repeat if counted(samples) else max(plan.repeat, 2)
    looks = plan.budget - first_look + 1
    per_look = 1.0 - (1.0 - confidence) / looks
    judgement = judge(samples, bar, method=plan.aggregate, confidence=per_look)
    status: StepStatus = judgement.status
    if status == "inconclusive" and len(samples) < plan.budget:
        status = "continue"
    note = f" (confidence {confidence:g} split over {looks} looks: {per_look:.4g} each)"
    rule = "bonferroni-wilson" if counted(samples) else "bonferroni-t"
    return Decision(status, replace(judgement, message=judgement.message + note), rule)


def _pending(samples: tuple[Sample, ...], bar: Bar, plan: RunPlan) -> Judgement:
    done = len(samples)
    message = f"{bar.metric}: {done} of {plan.repeat} planned runs done"
    return Judgement("inconclusive", None, plan.aggregate, done, message)
