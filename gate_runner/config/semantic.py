"""Checks beyond the schema, on the merged policy: JMESPath, waivers, schedule, dates, traces."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from gate_runner.config.merge import Merged
from gate_runner.config.shadows import enforcements
from gate_runner.config.yaml_positions import PathKey, where
from gate_runner.errors import Diagnostic
from gate_runner.expressions import ExpressionError, compile_expression

DECISION_CHECK = "decision"


def _dicts(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[tuple[int, dict[str, Any]]]:
    items = value if isinstance(value, list) else []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]


def _suggest(word: str, options: list[str]) -> str:
    import difflib  # only when a waiver names something unknown

    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


class _Checker:
    def __init__(self, merged: Merged) -> None:
        self.m = merged
        self.found: list[Diagnostic] = []

    def add(self, path: PathKey, message: str) -> None:
        origin = self.m.origin(path)
        chain = self.m.chains.get(origin.file, ())
        self.found.append(Diagnostic(origin.file, origin.line, origin.col, message, chain))

    def date_at(self, path: PathKey, *, shown: PathKey | None = None) -> date | None:
        text = self.m.get(path) if self._has(path) else None
        if not isinstance(text, str):
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.add(path, f"{where(shown or path)}: {text} is not a real date")
            return None

    def _has(self, path: PathKey) -> bool:
        try:
            self.m.get(path)
        except (KeyError, IndexError, TypeError):
            return False
        return True

    def assertions(self, path: PathKey) -> list[str]:
        # ~10 ms, and only needed when a policy has assertions. The same compiler as the
        # evaluator's, so `validate` accepts exactly the `+`/`-` arithmetic the gate runs.

        names: list[str] = []
        for index, item in _items(self.m.get(path) if self._has(path) else None):
            if isinstance(item.get("name"), str):
                names.append(item["name"])
            expr = item.get("expr")
            if isinstance(expr, str) and expr:
                try:
                    compile_expression(expr)
                except ExpressionError as exc:
                    at = (*path, index, "expr")
                    column = "" if exc.column is None else f" at column {exc.column + 1}"
                    self.add(at, f"{where(at)}: {exc}{column}")
        return names

    def schedule(self) -> None:
        """The policy's schedule and each campaign's or rule's own (issue 20) ascend."""
        for at, enforcement in enforcements(self.m):
            path: PathKey = (*at, "schedule")
            previous: date | None = None
            for index, _ in _items(enforcement.get("schedule")):
                current = self.date_at((*path, index, "from"))
                if current and previous and current <= previous:
                    where_at = (*path, index, "from")
                    message = f"{current} is not after the entry before it ({previous})"
                    self.add(where_at, f"{where(where_at)}: {message}; schedule dates must ascend")
                previous = current or previous

    def campaigns(self, global_names: list[str]) -> dict[str, set[str]]:
        checks: dict[str, set[str]] = {}
        defaults = set(_dicts(self.m.data.get("thresholds")))
        for key, value in _dicts(self.m.data.get("campaigns")).items():
            path: PathKey = ("campaigns", key)
            own = self.assertions((*path, "assertions")) if isinstance(value, dict) else []
            campaign = _dicts(value)
            thresholds = _dicts(campaign.get("thresholds"))
            checks[key] = {DECISION_CHECK, *defaults, *thresholds, *global_names, *own}
            if "trace_id" in campaign and "trace_file" in campaign:
                self.add(
                    (*path, "trace_file"), f"{where(path)}: set trace_id or trace_file, not both"
                )
            trace_file = campaign.get("trace_file")
            if isinstance(trace_file, str) and trace_file:
                self.trace_file((*path, "trace_file"), trace_file)
        return checks

    def trace_file(self, path: PathKey, value: str) -> None:
        base = self.m.base_dirs.get(self.m.origin(path).file)
        if base is None:
            self.add(
                path, f"{where(path)}: a policy fetched from a URL cannot name a local trace_file"
            )
        elif not (base / Path(value)).is_file():
            self.add(path, f"{where(path)}: no such file {value} (relative to the declaring file)")

    def waiver_reason(self) -> re.Pattern[str] | None:
        """`waivers.reason`, compiled; a pattern that does not compile is an error at its line."""
        pattern = _dicts(self.m.data.get("waivers")).get("reason")
        if not isinstance(pattern, str):
            return None
        try:
            return re.compile(pattern)
        except re.error as exc:
            at: PathKey = ("waivers", "reason")
            self.add(at, f"{where(at)}: {pattern!r} is not a regular expression: {exc}")
            return None

    def waivers(self, checks: dict[str, set[str]] | None) -> None:
        reason = self.waiver_reason()
        for index, waiver in _items(_dicts(self.m.data.get("waivers")).get("entries")):
            path: PathKey = ("waivers", "entries", index)
            # Messages name the path as the user wrote it (`waivers[0]` in the list form).
            shown: PathKey = ("waivers", index) if self.m.waivers_as_list else path
            self.date_at((*path, "until"), shown=(*shown, "until"))
            text = waiver.get("reason")
            if reason is not None and isinstance(text, str) and not reason.search(text):
                at = (*path, "reason")
                rule = self.m.origin(("waivers", "reason"))
                message = f"{text!r} does not contain a match of waivers.reason {reason.pattern!r}"
                message += f" (set at {rule}); name the ticket it waits for"
                self.add(at, f"{where((*shown, 'reason'))}: {message}")
            campaign, check = waiver.get("campaign"), waiver.get("check")
            if checks is None or not isinstance(campaign, str) or not isinstance(check, str):
                continue
            if campaign not in checks:
                at = (*path, "campaign")
                hint = _suggest(campaign, sorted(checks))
                message = f"no campaign '{campaign}' in the policy{hint}"
                self.add(at, f"{where((*shown, 'campaign'))}: {message}")
            elif check not in checks[campaign]:
                options = sorted(checks[campaign])
                at = (*path, "check")
                message = f"campaign '{campaign}' has no check '{check}'{_suggest(check, options)}"
                message += f" (it has: {', '.join(options)})"
                self.add(at, f"{where((*shown, 'check'))}: {message}")


def fixed_k_of_n(campaign: dict[str, Any]) -> bool:
    """`{repeat: 3, min_passing_runs: 2}` on a campaign means k of exactly n = repeat runs: a
    max_runs it would inherit from `gate:` does not stretch it to "2 of at most 5"."""
    return "repeat" in campaign and "max_runs" not in campaign and ("min_passing_runs" in campaign)


class _RunsChecker(_Checker):
    """repeat / max_runs / min_passing_runs / aggregate / statistics agree (docs/statistics.md)."""

    def statistics(self) -> dict[str, Any]:
        stats = _dicts(self.m.data.get("statistics"))
        trials = stats.get("trials")
        if isinstance(trials, str) and trials:
            try:
                compile_expression(trials)
            except ExpressionError as exc:
                at: PathKey = ("statistics", "trials")
                column = "" if exc.column is None else f" at column {exc.column + 1}"
                self.add(at, f"{where(at)}: {exc}{column}")
        return stats

    def runs(self) -> None:
        stats = self.statistics()
        gate = _dicts(self.m.data.get("gate"))
        self.plan(("gate",), gate, {}, stats)
        repeats: dict[str, int] = {}
        for key, value in _dicts(self.m.data.get("campaigns")).items():
            self.plan(("campaigns", key), gate, _dicts(value), stats)
            repeat = _dicts(value).get("repeat", gate.get("repeat", 1))
            repeats[key] = repeat if isinstance(repeat, int) and repeat > 0 else 1
        self.budget(_dicts(gate.get("budget")), repeats)

    def budget(self, budget: dict[str, Any], repeats: dict[str, int]) -> None:
        """The plan's minimum (every campaign's repeat) must fit in gate.budget.runs."""
        runs = budget.get("runs")
        if not isinstance(runs, int) or isinstance(runs, bool):
            return
        # late: the statistics package costs validate ~20 ms; only a policy with a budget asks
        from gate_runner.statistics.budget import refusal

        why = refusal(runs, repeats)
        if why is not None:
            at: PathKey = ("gate", "budget", "runs")
            self.add(at, f"{where(at)}: {why}")

    def plan(
        self, path: PathKey, gate: dict[str, Any], own: dict[str, Any], stats: dict[str, Any]
    ) -> None:
        def setting(key: str) -> tuple[Any, PathKey]:
            if key in own:
                return own[key], (*path, key)
            return gate.get(key), ("gate", key)

        def number(key: str) -> tuple[int | None, PathKey]:
            value, at = setting(key)
            ok = isinstance(value, int) and not isinstance(value, bool)
            return (value if ok else None), at

        repeat, repeat_at = number("repeat")
        max_runs, max_at = number("max_runs")
        k, k_at = number("min_passing_runs")

        def mine(*places: PathKey) -> bool:
            # Settings a campaign inherits from gate: are checked once, on gate:.
            return path == ("gate",) or any(at[0] != "gate" for at in places)

        repeat = repeat or 1
        if fixed_k_of_n(own):
            max_runs = None
        budget = max_runs if max_runs is not None else repeat
        name = "gate" if path == ("gate",) else f"campaign {path[-1]}"
        if max_runs is not None and max_runs < repeat and mine(repeat_at, max_at):
            self.add(
                max_at, f"{where(max_at)}: max_runs {max_runs} is below repeat {repeat} ({name})"
            )
        elif (
            max_runs is not None
            and max_runs > repeat
            and k is None
            and not isinstance(stats.get("confidence"), (int, float))
            and mine(repeat_at, max_at)
        ):
            message = (
                f"max_runs {max_runs} above repeat {repeat} ({name}), but nothing asks for the "
                "extra runs: set statistics.confidence or min_passing_runs"
            )
            self.add(max_at, f"{where(max_at)}: {message}")
        if k is not None and k > budget and mine(repeat_at, max_at, k_at):
            self.add(
                k_at,
                f"{where(k_at)}: min_passing_runs {k} is more than the {budget} runs this "
                f"{name} may get (max_runs, else repeat)",
            )
        if own.get("aggregate") == "pooled" and not stats.get("trials"):
            at = (*path, "aggregate")
            message = "aggregate: pooled needs statistics.trials (e.g. trials: trace_count)"
            self.add(at, f"{where(at)}: {message}")


def check_merged(merged: Merged, *, complete: bool = True) -> list[Diagnostic]:
    """Every semantic problem of the effective policy; tolerant of data the schema refused.

    complete=False: a parent was skipped (validate --offline), so what a waiver names may
    live in it; waivers are then checked for their dates only.
    """
    checker = _Checker(merged)
    checker.schedule()
    runs = _RunsChecker(merged)
    runs.runs()
    checker.found.extend(runs.found)
    global_names = checker.assertions(("assertions",))
    checks = checker.campaigns(global_names)
    checker.waivers(checks if complete else None)
    return checker.found
