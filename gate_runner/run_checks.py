"""The checks of one campaign over its runs: estimated bars by the statistics, regression, k-of-n.

`repeats.judge_runs` asks it for the checks and the aggregate; each run was judged alone first
(docs/statistics.md, "How the gate uses it").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

from gate_runner.evaluate.checks import location
from gate_runner.modes import RuleModes, strictest_bar
from gate_runner.policy import MODE_RANK, Campaign, Policy, Threshold
from gate_runner.statistics import (
    AggregationError,
    Bar,
    Decision,
    Sample,
    Status,
    aggregate,
    decide_bar,
    min_passing_runs,
    regression,
)
from gate_runner.statistics.samples import counted, pooled_counts
from gate_runner.thresholds import THRESHOLDS
from gate_runner.trials import counts_or_error
from gate_runner.verdict import Aggregate, CampaignResult, Check

Stop = Literal["decided", "budget", "deadline", "planned"]


class CampaignChecks:
    """The checks of one campaign over its runs, and what the statistics said about each."""

    def __init__(
        self,
        policy: Policy,
        campaign: Campaign,
        runs: Sequence[CampaignResult],
        baseline: Sequence[dict[str, Any]],
        modes: RuleModes | None = None,
    ) -> None:
        self.baseline = baseline
        self.modes = modes
        self.policy = policy
        self.campaign = campaign
        self.runs = runs
        self.plan = campaign.runs
        self.waiting = False
        self.samples: dict[str, tuple[Sample, ...]] = {}
        self.decisions: dict[str, Decision] = {}
        self.bars: dict[str, Bar] = {}  # the bar each decision was taken against
        self.rule: str | None = None

    def per_run(self, check_id: str) -> list[Check]:
        return [c for r in self.runs for c in r.checks if c.id == check_id]

    def checks(self) -> list[Check]:
        first = self.runs[0].checks
        out: list[Check] = []
        k = self.plan.min_passing_runs
        for template in first:
            own = self.per_run(template.id)
            if len(own) != len(self.runs):  # cannot happen: every run has the same checks
                continue
            if template.kind == "threshold":
                threshold = next(t for t in self.campaign.thresholds if t.key == template.name)
                kind = THRESHOLDS[threshold.key]
                if kind.baseline:
                    out.append(self.regression(threshold, own))
                    continue
                if kind.estimated:
                    estimated = self.staged(threshold, own)
                    if k is None:
                        out.append(estimated)
                    continue
            if template.kind == "decision":
                out.append(self.decision(own))
            else:
                out.append(_every_run(own))
        if k is not None:
            out.append(self.k_of_n(k))
        return out

    def staged(self, threshold: Threshold, own: list[Check]) -> Check:
        """An estimated threshold over the runs; a tightened, staged one is judged by each of
        its bars over the runs too (enforce.strictest_bar), the rule's own last so the aggregate
        reports its decision."""
        if self.modes is None:
            return self.estimated(threshold, own)
        # Each run's check may show another bar (its own stricter one): start from the rule's.
        base = [
            replace(c, expected=THRESHOLDS[threshold.key].expected(threshold.value),
                    location=location(threshold.origin))
            for c in own
        ]  # fmt: skip
        older = [
            self.modes.at(
                self.estimated(bar, [replace(c, location=location(bar.origin)) for c in own]),
                mode,
            )
            for bar, mode in self.modes.stricter_bars(threshold)
        ]
        mine = self.modes.judged(self.estimated(threshold, base), threshold.stage)
        return strictest_bar([mine, *older])

    def estimated(self, threshold: Threshold, own: list[Check]) -> Check:
        """A threshold judged on the runs' values by `statistics.decide_bar` (interval or SPRT)."""
        errored = next((c for c in own if c.status == "error"), None)
        if errored is not None:
            return errored
        kind = THRESHOLDS[threshold.key]
        metric = kind.metric
        counts = self.counts(own) if metric == "pass_rate" else [None] * len(own)
        if isinstance(counts, Check):
            return counts
        samples = tuple(Sample(float(c.actual), n) for c, n in zip(own, counts, strict=True))
        self.samples[metric] = samples
        assert isinstance(threshold.value, (int, float))
        assert kind.direction != "all"  # an estimated kind compares a number
        bar = Bar(threshold.key, metric, float(threshold.value), kind.direction)
        plan, note = self.plan, ""
        if plan.aggregate == "pooled" and metric != "pass_rate":
            # Only a rate has attempts to pool; the other estimated metrics take the median.
            plan, note = replace(plan, aggregate="median"), " (pooled applies to pass_rate only)"
        try:
            decision = decide_bar(samples, bar, plan)
        except AggregationError as error:
            return replace(own[-1], status="error", message=str(error), actual=None)
        self.decisions[metric] = decision
        self.bars[metric] = bar
        self.rule = self.rule or decision.rule
        if decision.status == "continue":
            self.waiting = True
        message = decision.judgement.message + note
        status = decision.judgement.status if decision.status == "continue" else decision.status
        return replace(
            own[-1],
            status=status,
            actual=decision.judgement.value,
            message=message,
            waiver=None,
            expected=kind.expected(threshold.value),
        )

    def counts(self, own: list[Check]) -> list[int | None] | Check:
        """Each run's trial count, or the error check that refuses one (gate_runner.trials)."""
        rates = [c.actual if isinstance(c.actual, (int, float)) else None for c in own]
        return counts_or_error(self.policy, rates, [r.payload for r in self.runs], "run", own[-1])

    def regression(self, threshold: Threshold, own: list[Check]) -> Check:
        """max_regression over the runs against the baseline: tested at the policy's confidence
        (`statistics.regression`), else the aggregate's raw change."""
        errored = next((c for c in own if c.status == "error"), None)
        if errored is not None or not self.baseline:
            return errored or own[-1]
        counts = self.counts(own)
        if isinstance(counts, Check):
            return counts
        current = tuple(Sample(float(c.actual), n) for c, n in zip(own, counts, strict=True))
        rates = [b.get("pass_rate") for b in self.baseline]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in rates):
            return own[-1]  # each run's own check already says what the baseline lacks
        values = [float(v) for v in rates]  # type: ignore[arg-type]
        base_counts = counts_or_error(self.policy, values, self.baseline, "baseline run", own[-1])
        if isinstance(base_counts, Check):
            return base_counts
        base = tuple(Sample(v, n) for v, n in zip(values, base_counts, strict=True))
        assert isinstance(threshold.value, (int, float))
        limit = float(threshold.value)
        confidence = self.plan.confidence
        if confidence is None:
            value = aggregate(current, self.plan.aggregate, "min")
            before = aggregate(base, self.plan.aggregate, "min")
            change = value - before
            status: Status = "pass" if change >= -limit else "fail"
            message = (
                f"pass_rate {self.plan.aggregate} {value:g} over {len(current)} runs changed by "
                f"{change:+.4f} from the baseline's {before:g} (at most -{limit:g})"
            )
            return replace(own[-1], status=status, actual=value, message=message, waiver=None)
        found = regression(
            current,
            base,
            metric="pass_rate",
            direction="min",
            max_regression=limit,
            confidence=confidence,
        )
        return replace(
            own[-1],
            status=found.status,
            actual=round(found.difference, 6),
            message=found.message,
            waiver=None,
        )

    def decision(self, own: list[Check]) -> Check:
        """The service's decisions: a `fail` our thresholds account for is re-judged by them."""
        unexplained = [
            i + 1
            for i, (check, run) in enumerate(zip(own, self.runs, strict=True))
            if check.status in ("fail", "waived")
            and not any(
                c.kind == "threshold" and c.status in ("fail", "waived") for c in run.checks
            )
        ]
        passed = sum(1 for c in own if c.status == "pass")
        errored = next((c for c in own if c.status == "error"), None)
        if errored is not None:
            return errored
        text = f"Sepurux decision pass in {passed} of {len(own)} runs"
        if unexplained:
            which = ", ".join(map(str, unexplained))
            return replace(
                own[-1], status="fail", message=f"{text}; run {which} failed beyond the thresholds"
            )
        note = "" if passed == len(own) else " (each fail from a threshold judged over the runs)"
        return replace(own[-1], status="pass", actual="pass", message=text + note, waiver=None)

    def k_of_n(self, k: int) -> Check:
        outcomes = [r.outcome for r in self.runs]
        step = min_passing_runs(outcomes, k, max_runs=self.plan.budget)  # type: ignore[arg-type]
        self.rule = "min_passing_runs"
        passed = sum(1 for o in outcomes if o == "pass")
        if step == "continue":
            self.waiting = True
        status = "inconclusive" if step == "continue" else step
        n = self.plan.budget
        of = f"of {n}" if self.plan.max_runs is None else f"of at most {n}"
        message = f"{passed} of {len(outcomes)} runs passed on their own; min_passing_runs {k} {of}"
        return Check(
            id="runs:min_passing_runs",
            kind="run",
            name="min_passing_runs",
            status=status,
            level="error",
            message=message,
            expected=f">= {k} passing runs",
            actual=passed,
            location=self.runs[-1].location,
        )

    def aggregate(self, stop: Stop) -> Aggregate:
        values: dict[str, Any] = {m: d.judgement.value for m, d in self.decisions.items()}
        pooled = None
        rates = self.samples.get("pass_rate")
        if rates and counted(rates):
            successes, trials = pooled_counts(rates)
            pooled = {"successes": successes, "trials": trials}
        interval = None
        main = self.decisions.get("pass_rate") or next(iter(self.decisions.values()), None)
        if main is not None and main.judgement.interval is not None:
            found = main.judgement.interval
            interval = {
                "low": round(found.low, 6),
                "high": round(found.high, 6),
                "confidence": found.confidence,
                "method": found.method,
                "basis": found.basis,
            }
        effective = main.effective_attempts if main is not None else None
        return Aggregate(
            method=self.plan.aggregate,
            rule=self.rule or "point",
            effective_attempts=effective,
            runs=len(self.runs),
            stopped=stop,
            metrics=values,
            pooled=pooled,
            interval=interval,
            on_inconclusive=self.plan.on_inconclusive,
        )


def _every_run(own: list[Check]) -> Check:
    """Absolute bars and assertions hold in every run: one run over the bar fails."""
    for status in ("error", "fail", "waived", "warn"):
        offenders = [i + 1 for i, c in enumerate(own) if c.status == status]
        if offenders:
            # Runs judged at several modes (a staged rule's bars): the strictest decides.
            worst = max(
                (own[i - 1] for i in offenders), key=lambda c: MODE_RANK.get(c.mode or "", -1)
            )
            which = ", ".join(map(str, offenders))
            where = f"run {which} of {len(own)}"
            return replace(
                worst,
                status="fail" if status == "waived" else worst.status,
                waiver=None,
                message=f"{where}: {worst.message} (must hold in every run)",
            )
    return replace(own[-1], message=f"{own[-1].message} in every one of {len(own)} runs")
