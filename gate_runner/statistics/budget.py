"""A budget per gate: what it may spend, what it spent, and where the next runs go."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gate_runner.statistics.plan import RunPlan, decide_bar
from gate_runner.statistics.samples import Bar, Sample, counted, pooled_counts

# The next run's outcome is averaged over this many equally likely quantiles of its
# Binomial(trials, rate so far): the same figure on every machine, ~20 decide_bar calls.
QUANTILES = 20


@dataclass(frozen=True)
class Budget:
    """`gate.budget`: the runs and trials one gate may start and spend, and a trial's price."""

    runs: int | None = None
    trials: int | None = None
    cost_per_trial: float | None = None


@dataclass(frozen=True)
class Spend:
    """What a campaign (or the gate) spent: its runs, the trials they counted, their price.

    `trials` is None when no run gave a trial count; `cost` when the budget prices a trial.
    """

    runs: int = 0
    trials: int | None = None
    cost: float | None = None


def spend(trials: Iterable[int | None], budget: Budget) -> Spend:
    """The spend of these runs (each one's trial count, None when its payload gave none)."""
    each = list(trials)
    known = [t for t in each if t is not None]
    total = sum(known) if known else None
    return Spend(len(each), total, _cost(total, budget))


def total(spends: Iterable[Spend], budget: Budget) -> Spend:
    """The gate's spend: every campaign's runs and trials added up."""
    parts = list(spends)
    known = [s.trials for s in parts if s.trials is not None]
    trials = sum(known) if known else None
    return Spend(sum(s.runs for s in parts), trials, _cost(trials, budget))


def _cost(trials: int | None, budget: Budget) -> float | None:
    if trials is None or budget.cost_per_trial is None:
        return None
    return round(trials * budget.cost_per_trial, 6)


def minimum_runs(repeats: Mapping[str, int]) -> int:
    """The runs a gate always starts: every campaign's `repeat`."""
    return sum(repeats.values())


def refusal(runs: int, repeats: Mapping[str, int]) -> str | None:
    """Why `budget.runs` cannot serve the campaigns' `repeat` minimum, or None when it can."""
    need = minimum_runs(repeats)
    if runs >= need:
        return None
    each = ", ".join(f"{key} {n}" for key, n in repeats.items())
    return (
        f"{runs} is below the {need} runs the campaigns' repeat always starts "
        f"({each}): raise budget.runs or lower repeat"
    )


def worst_case(plans: Mapping[str, RunPlan], budget: Budget) -> str:
    """The most a policy can spend, said in one line (check and --dry-run print it first)."""
    least = minimum_runs({k: p.repeat for k, p in plans.items()})
    most = sum(p.budget for p in plans.values())
    capped = most if budget.runs is None else min(most, budget.runs)
    text = f"worst case {capped} run(s) (at least {least}; max_runs allow {most}"
    text += f", gate.budget.runs {budget.runs})" if budget.runs is not None else ")"
    if budget.trials is not None:
        text += f", at most {budget.trials} trials"
        if budget.cost_per_trial is not None:
            text += f" (cost at most {budget.trials * budget.cost_per_trial:g})"
    elif budget.cost_per_trial is not None:
        text += f"; {budget.cost_per_trial:g} per trial"
    return text


def runs_left(budget: Budget, spent: Spend) -> int | None:
    """How many more runs may start (None: no cap).

    Under `trials`, only as many runs as the trials left cover at the mean trials a run
    has spent so far: a run's count is known only once it ran, so a cap is kept by not
    starting a run it would likely break.
    """
    left: list[int] = []
    if budget.runs is not None:
        left.append(max(budget.runs - spent.runs, 0))
    if budget.trials is not None:
        used = spent.trials or 0
        if used >= budget.trials:
            left.append(0)
        elif used and spent.runs:
            left.append(int((budget.trials - used) // (used / spent.runs)))
    return min(left) if left else None


def next_run_priority(samples: tuple[Sample, ...], bar: Bar, plan: RunPlan) -> tuple[float, float]:
    """Where a run is best spent, highest first: the chance the next run settles `bar`,
    then (for ties, mostly all 0 while a rule needs several runs to decide anything) how
    many standard errors the estimate so far stands from the bar: the further, the sooner
    the rule decides it."""
    return next_run_settles(samples, bar, plan), _margin(samples, bar)


def _margin(samples: tuple[Sample, ...], bar: Bar) -> float:
    if counted(samples):
        successes, trials = pooled_counts(samples)
        rate = successes / trials
        error = math.sqrt(max(rate * (1.0 - rate), 0.25 / trials) / trials)
        return abs(rate - bar.limit) / error
    values = [s.value for s in samples]
    mean = sum(values) / len(values)
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / max(len(values) - 1, 1))
    return abs(mean - bar.limit) / max(spread / math.sqrt(len(values)), 1e-9)


def next_run_settles(samples: tuple[Sample, ...], bar: Bar, plan: RunPlan) -> float:
    """The probability that one more run settles `bar`: pass or fail, not continue (nor
    inconclusive at max_runs, which settles nothing).

    The next run is drawn from Binomial(mean trials per run, the pooled rate so far) and
    judged by the same sequential rule (`decide_bar`); without trial counts the next value
    is the runs' own values again, each equally likely.
    """
    if counted(samples):
        successes, trials = pooled_counts(samples)
        per_run = max(round(trials / len(samples)), 1)
        rate = successes / trials
        nexts = [Sample(k / per_run, per_run) for k in _quantiles(per_run, rate)]
    else:
        nexts = list(samples)
    if not nexts:
        return 0.0
    settled = sum(decide_bar((*samples, s), bar, plan).status in ("pass", "fail") for s in nexts)
    return settled / len(nexts)


def _quantiles(trials: int, rate: float) -> list[int]:
    """QUANTILES equally likely successes of Binomial(trials, rate): each (i + ½)/Q quantile."""
    targets = [(i + 0.5) / QUANTILES for i in range(QUANTILES)]
    out: list[int] = []
    cumulative, k = 0.0, 0
    for target in targets:
        while k <= trials:
            cumulative_next = cumulative + _pmf(k, trials, rate)
            if cumulative_next >= target:
                break
            cumulative, k = cumulative_next, k + 1
        out.append(min(k, trials))
    return out


def _pmf(k: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 1.0 if k == 0 else 0.0
    if p >= 1.0:
        return 1.0 if k == n else 0.0
    log = (
        math.lgamma(n + 1)
        - math.lgamma(k + 1)
        - math.lgamma(n - k + 1)
        + k * math.log(p)
        + (n - k) * math.log1p(-p)
    )
    return math.exp(log)
