"""What each threshold key means: payload metric, comparison, scale, limit range and message.

The one table. The evaluator checks a threshold by it, the create request sends its
values as it says, `explain` shows each rule from it, repeats estimate the kinds it marks,
a policy diff and a floor class a changed limit by it (threshold_effect), and a test holds
the policy schema (and the sandbox's own copy) to the same keys, types and ranges.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from gate_runner.policy import Threshold

# min: the metric must be at least the limit; max: at most; all: contain every listed item.
Direction = Literal["min", "max", "all"]
# How the payload's metric is read (evaluate/metrics.py implements each rule):
#   fraction        a number in 0..1
#   count           a number >= 0
#   score           0..100; a value in 0..1 is read as a fraction (x100); falls back to the
#                   reliability endpoint's answer (payload["reliability"]) when the run has none
#   distinct_count  how many distinct strings a list holds
#   set             the distinct strings a list holds
Scale = Literal["fraction", "count", "score", "distinct_count", "set"]
LimitType = Literal["number", "integer", "strings"]
# Which change of the limit loosens the bar (a policy diff): a lower one, a higher one, or
# fewer items (dropping any listed item loosens, adding only tightens).
Looser = Literal["lower", "higher", "fewer"]
# Which way a changed limit moves the bar (a policy diff; a floor: "loosens" is below it).
Effect = Literal["loosens", "tightens", "neutral"]


@dataclass(frozen=True)
class ThresholdKind:
    key: str
    metric: str  # the payload field it is checked against
    direction: Direction
    scale: Scale
    limit_type: LimitType  # what the policy may write as its limit
    minimum: float | None  # the limit's range (the schema's minimum/maximum)
    maximum: float | None
    description: str  # also the schema's description of the key
    # The check's message: {actual} {op} {limit}; for `all`, {missing} lists what is absent.
    message: str
    met: str = ""  # for `all`: the message when nothing is missing
    # Compared with the --baseline verdict's metric (a drop of at most the limit): judged by
    # gate-runner only, never sent to the service, which has no baseline.
    baseline: bool = False
    # Estimated from several runs (statistics.decide_bar: an interval or the SPRT on the values,
    # in `direction`); any other kind is absolute: each run must meet it. Each entry says.
    estimated: bool = field(kw_only=True)
    # How a policy diff classes a changed limit. Each entry says.
    looser: Looser = field(kw_only=True)

    def operator(self, passed: bool) -> str:
        if self.direction == "min":
            return ">=" if passed else "<"
        return "<=" if passed else ">"

    def expected(self, limit: object) -> object:
        """The verdict's `expected` for a limit: ">= 0.85", or the list of required items."""
        if isinstance(limit, (tuple, list)):
            return list(limit)
        if self.baseline:
            assert isinstance(limit, (int, float))
            return f"a drop of at most {limit:g}"
        assert isinstance(limit, (int, float))
        return f"{self.operator(True)} {limit:g}"

    def rule(self, limit: object) -> str:
        """The check in words, for `explain`: "pass_rate >= 0.85"."""
        if self.direction == "all":
            return f"{self.metric} include {', '.join(map(str, _items(limit)))}"
        if self.baseline:
            return f"{self.metric} drops at most {limit} from the --baseline verdict's"
        return f"{self.metric} {self.expected(limit)}"


def _items(limit: object) -> list[object]:
    return list(limit) if isinstance(limit, (tuple, list)) else [limit]


THRESHOLDS: dict[str, ThresholdKind] = {
    kind.key: kind
    for kind in (
        ThresholdKind(
            "min_pass_rate", "pass_rate", "min", "fraction", "number", 0, 1,
            "Lowest acceptable pass rate, a fraction 0..1.",
            "pass_rate {actual} {op} {limit}", estimated=True, looser="lower",
        ),
        ThresholdKind(
            "max_unsafe", "unsafe_attempts", "max", "count", "integer", 0, None,
            "Most unsafe attempts accepted.",
            "unsafe_attempts {actual} {op} {limit}", estimated=False, looser="higher",
        ),
        ThresholdKind(
            "max_failures", "failures", "max", "count", "integer", 0, None,
            "Most failures accepted.",
            "failures {actual} {op} {limit}", estimated=True, looser="higher",
        ),
        ThresholdKind(
            "min_reliability_score", "reliability_score", "min", "score", "number", 0, 100,
            "Lowest acceptable reliability score, 0..100.",
            "reliability_score {actual} {op} {limit}", estimated=True, looser="lower",
        ),
        ThresholdKind(
            "min_mutation_categories", "mutation_categories", "min", "distinct_count", "integer",
            0, None,
            "Fewest distinct mutation categories the run must cover.",
            "{actual} mutation categories {op} {limit}", estimated=False, looser="lower",
        ),
        ThresholdKind(
            "required_mutation_categories", "mutation_categories", "all", "set", "strings",
            None, None,
            "Mutation categories the run must cover.",
            "missing mutation categories: {missing}", "every required mutation category ran",
            estimated=False, looser="fewer",
        ),
        ThresholdKind(
            "max_regression", "pass_rate", "min", "fraction", "number", 0, 1,
            "Largest drop of pass_rate from the --baseline verdict accepted, a fraction 0..1. "
            "With statistics.confidence the drop is tested (Newcombe's interval with trial "
            "counts, Welch's t on runs without): pass when shown to be at most this, fail when "
            "shown to be more, else inconclusive. Without --baseline it is not judged.",
            # The limit is the largest drop accepted: a higher one loosens.
            "pass_rate changed by {actual}", baseline=True, estimated=False,
            looser="higher",
        ),
    )
}  # fmt: skip


def limit_of(raw: Any) -> Any:
    """A threshold's limit as written: a bare limit, or the `value` of {value, enforcement}."""
    return raw.get("value") if isinstance(raw, dict) else raw


def request_thresholds(thresholds: Iterable[Threshold]) -> dict[str, Any]:
    """The create request's `thresholds`: each key with its limit in JSON (lists for sets);
    a baseline comparison stays here (the service has no baseline)."""
    return {
        t.key: list(t.value) if isinstance(t.value, tuple) else t.value
        for t in thresholds
        if not (t.key in THRESHOLDS and THRESHOLDS[t.key].baseline)
    }


def needs_reliability(thresholds: Iterable[Threshold]) -> bool:
    """Whether a campaign's checks may need the reliability endpoint's answer."""
    return any(THRESHOLDS[t.key].scale == "score" for t in thresholds if t.key in THRESHOLDS)


def by_rank(before: int, after: int) -> Effect:
    """A lower rank is weaker."""
    if after < before:
        return "loosens"
    return "tightens" if after > before else "neutral"


def bar_effect(looser: Looser, before: Any, after: Any, *, absent_is_no_bar: bool = True) -> Effect:
    """A changed bar (None: absent): lower / higher: a number where that way loosens; fewer:
    a set where dropping any item loosens. absent_is_no_bar False: absent is another rule,
    so adding or removing it loosens either way."""
    if before == after:
        return "neutral"
    if looser == "fewer":
        old, new = set(before or ()), set(after or ())
        return "loosens" if old - new else "tightens"
    if before is None or after is None:
        return "loosens" if after is None or not absent_is_no_bar else "tightens"
    if not (_number(before) and _number(after)):
        return "loosens"
    return by_rank(-before, -after) if looser == "higher" else by_rank(before, after)


def threshold_effect(key: str, before: Any, after: Any) -> Effect:
    """A changed threshold limit, classed by the table's `looser` (a policy diff; a floor:
    "loosens" is below it)."""
    kind = THRESHOLDS.get(key)
    if kind is None:
        return "loosens"  # a threshold this version does not know: a person reads it
    return bar_effect(kind.looser, before, after)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
