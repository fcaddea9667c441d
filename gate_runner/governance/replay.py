"""Re-judge saved verdicts under a candidate policy: which merges would it have blocked?"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from gate_runner.enforce import blocks, mode_in_force, overall_outcome
from gate_runner.evaluate import evaluate_campaign
from gate_runner.policy import Campaign, ErrorPolicy, Mode, Origin, Policy
from gate_runner.safe_text import terminal
from gate_runner.untrusted_json import load_file, loads
from gate_runner.verdict import OUTCOMES

# Below this many verdicts one process is quicker than starting workers.
PARALLEL_FROM = 1000
CHUNK = 250


@dataclass(frozen=True)
class SavedVerdict:
    """A verdict to replay, read lazily (in a worker) from a file or from text a store gave."""

    source: str  # a file path, or "<store>:<commit>"
    path: Path | None = None
    text: str | None = None
    problem: str | None = None  # why a store could not give its text

    def read(self) -> tuple[Any, str | None]:
        """(data, None), or (None, why it cannot be read)."""
        if self.problem is not None:
            return None, self.problem
        try:
            if self.text is not None:
                return loads(self.text), None
            assert self.path is not None  # a SavedVerdict holds one or the other
            return load_file(self.path), None
        except OSError as error:
            return None, f"cannot read: {error.strerror or error}"
        except ValueError as error:
            return None, str(error)


@dataclass(frozen=True)
class CampaignFlip:
    key: str
    before: str
    after: str
    blocking: bool  # under the candidate


@dataclass(frozen=True)
class Replayed:
    source: str
    repository: str | None
    commit: str | None
    started_at: str
    before: tuple[str, bool]  # outcome, blocking as recorded
    after: tuple[str, bool]  # outcome, blocking under the candidate
    flips: tuple[CampaignFlip, ...]


@dataclass
class ReplayReport:
    policy: str
    today: date
    replayed: list[Replayed] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "source: why"

    @property
    def blocked(self) -> int:
        return sum(1 for r in self.replayed if r.after[1])

    @property
    def newly_blocked(self) -> int:
        return sum(1 for r in self.replayed if r.after[1] and not r.before[1])

    @property
    def unblocked(self) -> int:
        return sum(1 for r in self.replayed if r.before[1] and not r.after[1])

    def flip_counts(self) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        for item in self.replayed:
            for flip in item.flips:
                pair = (flip.before, flip.after)
                counts[pair] = counts.get(pair, 0) + 1
        return dict(sorted(counts.items()))

    def changed(self) -> list[Replayed]:
        return [r for r in self.replayed if r.flips or r.before != r.after]


def replay(
    policy: Policy,
    verdicts: Iterable[SavedVerdict],
    *,
    today: date,
    last: int | None = None,
    workers: int | None = None,
) -> ReplayReport:
    """Judge every saved payload again; the newest `last` verdicts when given, oldest first."""
    items = list(verdicts)
    chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
    workers = default_workers() if workers is None else workers
    if workers > 1 and len(items) >= PARALLEL_FROM and _can_fork():
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(policy, today)
        ) as pool:
            judged = [r for chunk in pool.map(_judge_in_worker, chunks) for r in chunk]
    else:
        judge = _Judge(policy, today)
        judged = [judge.saved(saved) for saved in items]
    report = ReplayReport(policy.path, today)
    report.skipped = [r for r in judged if isinstance(r, str)]
    done = sorted((r for r in judged if isinstance(r, Replayed)), key=lambda r: r.started_at)
    if last is not None:
        done = done[-last:] if last > 0 else []
    report.replayed = done
    return report


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _can_fork() -> bool:
    # fork shares the loaded policy and imports for free; elsewhere one process is safer.
    return sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()


_WORKER: _Judge | None = None


def _start_worker(policy: Policy, today: date) -> None:
    global _WORKER  # noqa: PLW0603 - one judge per worker process
    _WORKER = _Judge(policy, today)


def _judge_in_worker(chunk: list[SavedVerdict]) -> list[Replayed | str]:
    assert _WORKER is not None
    return [_WORKER.saved(saved) for saved in chunk]


class _Judge:
    def __init__(self, policy: Policy, today: date) -> None:
        self.policy, self.today = policy, today
        self.campaigns: dict[str, Campaign] = {c.key: c for c in policy.campaigns}
        self.modes: dict[str, Mode] = {}

    def campaign(self, key: str) -> Campaign:
        """The candidate's campaign of that key; a central policy's defaults for any other."""
        found = self.campaigns.get(key)
        if found is None:
            found = Campaign(
                key=key,
                name_or_id=key,
                trace_id=None,
                trace_file=None,
                mutation_pack_id=None,
                thresholds=self.policy.default_thresholds,
                assertions=self.policy.default_assertions,
                enforcement=None,
                origin=Origin(self.policy.path, 1, 1),
            )
            self.campaigns[key] = found
        return found

    def saved(self, saved: SavedVerdict) -> Replayed | str:
        """The replayed verdict, or "source: why" when it cannot be replayed."""
        data, problem = saved.read()
        problem = problem or _problem(data)
        if problem:
            return f"{saved.source}: {problem}"
        return self.verdict(saved.source, data)

    def verdict(self, source: str, data: dict[str, Any]) -> Replayed:
        found = data.get("ci")
        ci: dict[str, Any] = found if isinstance(found, dict) else {}
        outcomes: list[Any] = []
        blocking: list[bool] = []
        flips: list[CampaignFlip] = []
        for entry in data["campaigns"]:
            after, blocks_now = self.campaign_result(entry)
            outcomes.append(after)
            blocking.append(blocks_now)
            before = str(entry.get("outcome"))
            if after != before:
                flips.append(CampaignFlip(str(entry["key"]), before, after, blocks_now))
        return Replayed(
            source=source,
            repository=_text(ci.get("repository")),
            commit=_text(ci.get("commit")),
            started_at=_started(data),
            before=(str(data.get("outcome")), data.get("blocking") is True),
            after=(overall_outcome(outcomes), any(blocking)),
            flips=tuple(flips),
        )

    def campaign_result(self, entry: dict[str, Any]) -> tuple[str, bool]:
        campaign = self.campaign(str(entry["key"]))
        mode = self.modes.get(campaign.key)
        if mode is None:  # the same for every verdict: worked out once per campaign
            mode = mode_in_force(self.policy, campaign, today=self.today, override=None).mode
            self.modes[campaign.key] = mode
        payload = entry.get("payload")
        if not isinstance(payload, dict) or entry.get("status") not in (None, "done"):
            # No decision was reached then; the candidate's on_error/on_timeout judge that.
            error = entry.get("error")
            kind = error.get("kind") if isinstance(error, dict) else None
            gate = self.policy.gate
            setting: ErrorPolicy = gate.on_timeout if kind == "timeout" else gate.on_error
            return "error", blocks("error", mode, setting)
        evaluation = evaluate_campaign(
            campaign, payload, waivers=self.policy.waivers, today=self.today, baseline=None
        )
        setting = self.policy.gate.on_error
        return evaluation.outcome, blocks(evaluation.outcome, mode, setting)


def _problem(data: Any) -> str | None:
    if not isinstance(data, dict) or "schema_version" not in data:
        return "not a gate-runner verdict"
    campaigns = data.get("campaigns")
    if not isinstance(campaigns, list) or not all(
        isinstance(c, dict) and isinstance(c.get("key"), str) for c in campaigns
    ):
        return "its campaigns are not readable"
    # An outcome is one of five words: anything else (`pass\n::error ...`) is a forged verdict,
    # refused here rather than printed and escaped later.
    for where, outcome in [("outcome", data.get("outcome"))] + [
        (f"campaign {terminal(c['key'])} outcome", c.get("outcome")) for c in campaigns
    ]:
        if outcome is not None and outcome not in OUTCOMES:
            shown = terminal(repr(outcome))[:80]
            return f"its {where} {shown} is not one of {', '.join(OUTCOMES)}"
    return None


def _started(data: dict[str, Any]) -> str:
    timings = data.get("timings")
    started = timings.get("started_at") if isinstance(timings, dict) else None
    return started if isinstance(started, str) else ""


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
