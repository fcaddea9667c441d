"""Statistics for nondeterministic agents: aggregation, intervals, sequential runs, flakiness."""

from __future__ import annotations

from gate_runner.statistics.aggregate import METHODS, AggregationError, Method, aggregate
from gate_runner.statistics.budget import Budget, Spend, next_run_priority
from gate_runner.statistics.intervals import Interval, NoInterval, interval_for, student_t, wilson
from gate_runner.statistics.judgement import Judgement, Status, judge
from gate_runner.statistics.plan import Decision, OnInconclusive, RunPlan, StepStatus, decide_bar
from gate_runner.statistics.regression import Regression, regression
from gate_runner.statistics.run_outcomes import (
    Flakiness,
    Variability,
    flakiness,
    min_passing_runs,
    settle,
    spread,
    variability,
)
from gate_runner.statistics.samples import Bar, Direction, Sample
from gate_runner.statistics.sequential import Sprt

__all__ = [
    "METHODS",
    "AggregationError",
    "Bar",
    "Budget",
    "Decision",
    "Direction",
    "Flakiness",
    "Interval",
    "Judgement",
    "Method",
    "NoInterval",
    "OnInconclusive",
    "Regression",
    "RunPlan",
    "Sample",
    "Spend",
    "Sprt",
    "Status",
    "StepStatus",
    "Variability",
    "aggregate",
    "decide_bar",
    "flakiness",
    "interval_for",
    "judge",
    "min_passing_runs",
    "next_run_priority",
    "regression",
    "settle",
    "spread",
    "student_t",
    "variability",
    "wilson",
]
