"""How many runs a campaign gets and how a threshold is decided after each: fixed or sequential.

Which rule decides a counted rate (docs/statistics.md, "Runs that vary"):
- `statistics.icc` not declared: the run-rates rule (`robust.run_rates_interval`), which
  holds whether or not runs vary, from two runs on; one run alone is judged on effective
  counts at an assumed ρ of `robust.ASSUMED_ICC`;
- `icc` > 0: the effective counts k/DE, N/DE (Wilson, or Wald's SPRT when sequential);
- `icc: 0`: attempts independent, pooled Wilson (or the SPRT): the rule before issue 19.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from gate_runner.statistics.aggregate import DEFAULT_METHOD, Method, aggregate
from gate_runner.statistics.intervals import Interval, wilson
from gate_runner.statistics.judgement import (
    Judgement,
    Status,
    describe_point,
    interval_status,
    judge,
)
from gate_runner.statistics.robust import ASSUMED_ICC, effective_counts, run_rates_interval
from gate_runner.statistics.samples import Bar, Sample, counted, pooled_counts
from gate_runner.statistics.sequential import BLOCK_SHARE, DEFAULT_INDIFFERENCE, Sprt

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
    # statistics.icc: the intra-class correlation the policy declares; None: not declared.
    icc: float | None = None

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
        if self.icc is not None and not 0.0 <= self.icc < 1.0:
            raise ValueError(f"icc must be in [0, 1), not {self.icc}")
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
    # "run-rates-t", "effective-counts", "pooled-wilson", "pooled-wilson-sprt", "point",
    # "interval" (t on uncounted runs), "bonferroni-t", "bonferroni-wilson", "absolute", "pending"
    rule: str
    effective_attempts: float | None = None  # the attempts the rule counted (N/DE), when counted


def decide(samples: tuple[Sample, ...], bar: Bar, plan: RunPlan) -> Decision:
    """The decision the gate takes for `bar` after these runs (in the order they ran)."""
    runs = len(samples)
    if bar.absolute:
        judgement = judge(samples, bar, method=plan.aggregate, confidence=None)
        # One run over an absolute bar settles it; a clean record needs the planned runs.
        done = judgement.status == "fail" or runs >= plan.repeat
        return Decision(judgement.status if done else "continue", judgement, "absolute")
    if runs < plan.repeat:
        return Decision("continue", _pending(samples, bar, plan), "pending")
    rate_bar = counted(samples) and 0.0 < bar.limit < 1.0 and plan.confidence is not None
    if rate_bar and plan.icc is None:
        assert plan.confidence is not None
        if len(samples) >= 2 or plan.sequential:
            return _run_rates(samples, bar, plan, plan.confidence)
        return _effective(samples, bar, plan, plan.confidence, ASSUMED_ICC)
    if rate_bar and plan.icc:
        assert plan.confidence is not None
        return _effective(samples, bar, plan, plan.confidence, plan.icc)
    pooled = float(pooled_counts(samples)[1]) if rate_bar else None
    if not plan.sequential:
        judgement = judge(samples, bar, method=plan.aggregate, confidence=plan.confidence)
        rule = "pooled-wilson" if rate_bar else "interval" if plan.confidence else "point"
        return Decision(judgement.status, judgement, rule, pooled)
    assert plan.confidence is not None  # sequential implies it
    if rate_bar and plan.sequential_rule == "sprt":
        return replace(_sprt(samples, bar, plan, plan.confidence), effective_attempts=pooled)
    return replace(_bonferroni(samples, bar, plan, plan.confidence), effective_attempts=pooled)


def _looks(plan: RunPlan, first: int) -> int:
    """The looks a sequential rule may take, from run `first` to max_runs."""
    return max(plan.budget - first + 1, 1)


def _oriented(samples: tuple[Sample, ...], bar: Bar) -> tuple[list[tuple[int, int]], float]:
    """(successes, trials) per run and the limit, mirrored for a max_ bar so higher is better."""
    counts = [(s.successes or 0, s.trials or 0) for s in samples]
    if bar.direction == "min":
        return counts, bar.limit
    return [(n - k, n) for k, n in counts], 1.0 - bar.limit


def _unoriented(interval: Interval, bar: Bar) -> Interval:
    if bar.direction == "min":
        return interval
    return replace(interval, low=1.0 - interval.high, high=1.0 - interval.low)


def _zone(limit: float, plan: RunPlan) -> float:
    """δ, the indifference half-width, narrowed near 0 and 1 as the SPRT narrows it."""
    return min(plan.indifference, limit / 2.0, (1.0 - limit) / 2.0)


def _run_rates(samples: tuple[Sample, ...], bar: Bar, plan: RunPlan, confidence: float) -> Decision:
    """The default rule: the cluster-robust interval on run rates, floored at the binomial.

    Fixed runs: the two-sided interval at `confidence` against the bar. Sequential: from run
    max(repeat, 2) to max_runs, each look's bounds at 1 − α/L (pass side) and 1 − β/L (fail
    side), α = 1 − confidence, β = α/2, L the looks (Bonferroni): pass once the lower bound
    rules out the bad edge bar − δ, fail once the upper bound rules out the good edge
    bar + δ (both: the side of the bar the pooled rate is on); at max_runs, neither is
    inconclusive.
    """
    value = aggregate(samples, plan.aggregate, bar.direction)
    point = describe_point(
        Judgement("inconclusive", value, plan.aggregate, len(samples), ""), bar.metric
    )
    counts, limit = _oriented(samples, bar)
    successes, trials = pooled_counts(samples)
    if len(samples) < 2:
        message = f"{point}; the run-rates rule needs 2 runs to measure run-to-run variance"
        judgement = Judgement("inconclusive", value, plan.aggregate, 1, message)
        return Decision("continue", judgement, "run-rates-t", None)
    alpha = 1.0 - confidence
    if not plan.sequential:
        interval = _unoriented(run_rates_interval(counts, 1.0 - alpha / 2.0), bar)
        fixed = _against_bar(interval, bar, point, value, plan=plan, runs=len(samples))
        return Decision(fixed.status, fixed, "run-rates-t", _effective_n(counts))
    looks = _looks(plan, max(plan.repeat, 2))
    per_pass, per_fail = alpha / looks, alpha * BLOCK_SHARE / looks
    low = run_rates_interval(counts, 1.0 - per_pass)
    high = run_rates_interval(counts, 1.0 - per_fail)
    delta = _zone(limit, plan)
    good, bad = low.low >= limit - delta, high.high < limit + delta
    rate = successes / trials if bar.direction == "min" else 1.0 - successes / trials
    step: StepStatus
    if good and bad:
        step = "pass" if rate >= limit else "fail"
    else:
        step = "pass" if good else "fail" if bad else "continue"
    last = len(samples) >= plan.budget
    status: StepStatus = "inconclusive" if step == "continue" and last else step
    shown = _unoriented(replace(low, high=high.high, confidence=1.0 - per_pass - per_fail), bar)
    edges = f"bad edge {_edge(bar, delta, bad=True):g}, good edge {_edge(bar, delta, bad=False):g}"
    said = {
        "pass": "good: the lower bound rules out the bad edge",
        "fail": "bad: the upper bound rules out the good edge",
        "continue": "undecided",
        "inconclusive": f"undecided after max_runs {plan.budget}",
    }[status]
    message = (
        f"{point}; run rates: {shown.describe()} (bounds at 1 − {per_pass:.4g} and "
        f"1 − {per_fail:.4g} one-sided, {looks} looks; {edges}): {said}"
    )
    final: Status = "inconclusive" if status == "continue" else status
    judgement = Judgement(final, value, plan.aggregate, len(samples), message, shown)
    return Decision(status, judgement, "run-rates-t", _effective_n(counts))


def _against_bar(
    interval: Interval, bar: Bar, point: str, value: float, *, plan: RunPlan, runs: int
) -> Judgement:
    """A fixed number of runs: the interval wholly on one side of the bar decides."""
    status = interval_status(interval, bar)
    where = {"pass": "clears", "fail": "misses", "inconclusive": "straddles"}[status]
    message = f"{point}; {interval.describe()} {where} the bar {bar.operator} {bar.limit:g}"
    return Judgement(status, value, plan.aggregate, runs, message, interval)


def _edge(bar: Bar, delta: float, *, bad: bool) -> float:
    below = (bar.direction == "min") == bad
    return round(bar.limit - delta if below else bar.limit + delta, 10)


def _effective_n(counts: list[tuple[int, int]]) -> float:
    """The attempts the run-rates interval is worth: N, shrunk by the between-run variance
    when it exceeds the binomial (N · p(1 − p) / (N² · V), at most N)."""
    successes = sum(k for k, _ in counts)
    trials = sum(n for _, n in counts)
    rate = successes / trials
    runs = len(counts)
    variance = runs / (runs - 1) * sum((k - rate * n) ** 2 for k, n in counts) / trials**2
    binomial = rate * (1.0 - rate) / trials
    if variance <= binomial or variance == 0.0:
        return float(trials)
    return round(rate * (1.0 - rate) / variance, 2)


def _effective(
    samples: tuple[Sample, ...], bar: Bar, plan: RunPlan, confidence: float, icc: float
) -> Decision:
    """Effective counts k/DE, N/DE (ρ declared, or assumed for one run), then the pooled rules."""
    raw = [(s.successes or 0, s.trials or 0) for s in samples]
    successes, trials = effective_counts(raw, icc)
    declared = icc == plan.icc
    basis = (
        f"{successes:.1f}/{trials:.1f} effective attempts (ρ {icc:g} "
        f"{'declared' if declared else 'assumed: one run cannot show run-to-run variance'})"
    )
    value = aggregate(samples, plan.aggregate, bar.direction)
    point = describe_point(
        Judgement("inconclusive", value, plan.aggregate, len(samples), ""), bar.metric
    )
    if not plan.sequential:
        interval = replace(wilson(successes, trials, confidence), basis=basis)
        fixed = _against_bar(interval, bar, point, value, plan=plan, runs=len(samples))
        return Decision(fixed.status, fixed, "effective-counts", round(trials, 2))
    test = Sprt(bar.limit, bar.direction, 1.0 - confidence, plan.indifference)
    last = len(samples) >= plan.budget
    step = test.final(successes, trials, plan.budget) if last else test.step(successes, trials)
    status: StepStatus = "inconclusive" if step == "continue" and last else step
    interval = replace(wilson(successes, trials, confidence), basis=basis)
    said = {"pass": "good", "fail": "bad", "continue": "undecided"}[step]
    if status == "inconclusive":
        said += f" after max_runs {plan.budget}"
    message = f"{point}; {test.describe(successes, trials)}: {said}; {interval.describe()}"
    final: Status = interval_status(interval, bar) if status == "continue" else status
    judgement = Judgement(final, value, plan.aggregate, len(samples), message, interval)
    return Decision(status, judgement, "effective-counts", round(trials, 2))


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
    return Decision(status, replace(shown, status=final, message=message), "pooled-wilson-sprt")


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
