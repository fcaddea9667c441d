"""What a valid policy's statistics promise: warnings `validate` prints, the file still valid."""

from __future__ import annotations

from typing import Any

from gate_runner.config.merge import Merged
from gate_runner.config.yaml_positions import PathKey, where
from gate_runner.errors import Diagnostic

POWER = 0.8
# The pass rate a regression's sample size is figured at when no min_pass_rate says one.
DEFAULT_RATE = 0.9


def advise(merged: Merged) -> list[Diagnostic]:
    """A rate bar that can never pass, and the attempts a max_regression needs to protect."""
    stats = merged.data.get("statistics")
    confidence = stats.get("confidence") if isinstance(stats, dict) else None
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)):
        return []
    found: list[Diagnostic] = []

    def add(path: PathKey, message: str) -> None:
        origin = merged.origin(path)
        chain = merged.chains.get(origin.file, ())
        found.append(Diagnostic(origin.file, origin.line, origin.col, message, chain))

    places: list[PathKey] = [("thresholds",)]
    campaigns = merged.data.get("campaigns")
    if isinstance(campaigns, dict):
        places += [("campaigns", key, "thresholds") for key in campaigns]
    top_rate = _number(_get(merged.data, ("thresholds", "min_pass_rate")))
    for place in places:
        own = _get(merged.data, place)
        if not isinstance(own, dict):
            continue
        rate = _number(own.get("min_pass_rate"))
        if rate is not None and rate >= 1.0:
            at = (*place, "min_pass_rate")
            add(
                at,
                f"{where(at)}: {rate:g} with statistics.confidence {confidence:g} can never "
                "pass: no number of attempts shows a rate of at least 1 at a confidence "
                "(250 of 250 is still inconclusive); use a bar below 1, or max_failures: 0",
            )
        margin = _number(own.get("max_regression"))
        if margin is not None and margin > 0:
            # late: validate loads the statistics package only for a policy with max_regression
            from gate_runner.statistics.regression import attempts_per_side

            at = (*place, "max_regression")
            at_rate = rate if rate is not None else top_rate
            at_rate = DEFAULT_RATE if at_rate is None or at_rate >= 1.0 else at_rate
            n = attempts_per_side(margin, at_rate, confidence, POWER)
            add(
                at,
                f"{where(at)}: {margin:g} blocks only a drop shown at confidence "
                f"{confidence:g}; telling a drop of {margin:g} from no change with "
                f"{POWER:.0%} power takes about {n:,} attempts on each side (baseline and "
                f"current, summed over runs) at a pass rate of {at_rate:g}; fewer attempts "
                "catch only larger drops",
            )
    return found


def _get(data: Any, path: PathKey) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _number(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if ok else None
