"""A run's attempt count from `statistics.trials`: a positive integer its rate agrees with.

No pass without evidence (docs/statistics.md, "Trial counts"): a count that is missing, not
a positive integer, above MAX_TRIALS, or that the run's pass_rate is not a whole number of
is refused, never replaced by a fallback rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from gate_runner.expressions import compile_expression
from gate_runner.policy import Policy
from gate_runner.verdict import Check, Location

# No run of an agent makes ten million attempts; a larger count is nonsense, and refusing it
# keeps every sum and binomial term far from overflow (a 1e400-sized integer).
MAX_TRIALS = 10_000_000
# A payload's rate may be rounded to two decimals (the API's own examples are): rate x count
# may miss a whole number of successes by at most 0.005 x count.
ROUNDING = 0.005


@dataclass(frozen=True)
class BadCount:
    """Why a run's trial count is no evidence; `message` names the expression and its line."""

    message: str


def trials_of(policy: Policy, payload: dict[str, Any] | None) -> int | None:
    """The run's attempt count when `statistics.trials` gives a valid one, else None."""
    found = count_of(policy, payload)
    return found if isinstance(found, int) else None


def count_of(
    policy: Policy, payload: dict[str, Any] | None, rate: float | None = None
) -> int | BadCount | None:
    """The count, None without `statistics.trials`, or why the count is refused.

    `rate`: the run's pass_rate, which must be a whole number of successes of the count.
    """
    expression = policy.statistics.trials
    if expression is None or payload is None:
        return None

    try:
        value = compile_expression(expression).search(payload)
    except Exception:  # whatever the payload holds, the answer is "no count"
        value = None
    where = f"statistics.trials `{expression}`"
    if policy.statistics.trials_origin is not None:
        where += f" ({policy.statistics.trials_origin})"
    problem = _problem(value, rate)
    return int(value) if problem is None else BadCount(f"{where} {problem}; no decision without it")


def _problem(value: Any, rate: float | None) -> str | None:
    if value is None:
        return "selected nothing in the run's payload: it needs the attempt count"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"selected a {type(value).__name__}, not a count of attempts"
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return f"gave {value!r}: a count of attempts is a whole number"
    if value < 1:
        return f"gave {int(value)}: a pass rate needs at least one attempt"
    if value > MAX_TRIALS:
        return f"gave {_short(value)}: more than the {MAX_TRIALS:,} attempts a run can have"
    if rate is not None and math.isfinite(rate):
        successes = rate * value
        if abs(successes - round(successes)) > ROUNDING * value + 1e-9:
            return (
                f"gave {int(value)}, but pass_rate {rate:g} is not a whole number of successes "
                f"of {int(value)} attempts ({successes:.4g})"
            )
    return None


def _short(value: float) -> str:
    try:
        digits = len(str(int(value)))
    except ValueError:  # beyond Python's int-to-str limit (4,300 digits)
        return "a number of more than 4,300 digits"
    return f"{int(value)}" if digits <= 12 else f"a {digits}-digit number"


def counts_or_error(
    policy: Policy,
    rates: Sequence[float | None],
    payloads: Sequence[dict[str, Any] | None],
    what: str,
    template: Check,
) -> list[int | None] | Check:
    """The trial counts of these runs, or `template` as the error that refuses the first bad one."""
    counts: list[int | None] = []
    for rate, payload in zip(rates, payloads, strict=True):
        found = count_of(policy, payload, rate)
        if isinstance(found, BadCount):
            origin = policy.statistics.trials_origin
            where = Location(origin.file, origin.line, origin.col) if origin else None
            message = f"{what} {len(counts) + 1} of {len(rates)}: {found.message}"
            return replace(template, status="error", message=message, actual=None, location=where)
        counts.append(found)
    return counts
