"""Re-judge saved verdicts under a candidate policy: which merges would it have blocked?"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gate_runner.enforce import blocks, mode_in_force, overall_outcome
from gate_runner.evaluate import evaluate_campaign
from gate_runner.policy import Campaign, ErrorPolicy, Origin, Policy


@dataclass(frozen=True)
class SavedVerdict:
    source: str  # a file path, or "<store>:<commit>"
    data: Any  # the parsed JSON, not yet trusted
    problem: str | None = None  # why it could not even be read


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
    policy: Policy, verdicts: Iterable[SavedVerdict], *, today: date, last: int | None = None
) -> ReplayReport:
    """Judge every saved payload again; the newest `last` verdicts when given, oldest first."""
    report = ReplayReport(policy.path, today)
    judge = _Judge(policy, today)
    readable: list[tuple[str, SavedVerdict]] = []
    for saved in verdicts:
        problem = saved.problem or _problem(saved.data)
        if problem:
            report.skipped.append(f"{saved.source}: {problem}")
        else:
            readable.append((_started(saved.data), saved))
    readable.sort(key=lambda pair: pair[0])
    if last is not None:
        readable = readable[-last:] if last > 0 else []
    report.replayed = [judge.verdict(saved) for _started_at, saved in readable]
    return report


class _Judge:
    def __init__(self, policy: Policy, today: date) -> None:
        self.policy, self.today = policy, today
        self.campaigns: dict[str, Campaign] = {c.key: c for c in policy.campaigns}

    def campaign(self, key: str) -> Campaign:
        """The candidate's campaign of that key; a central policy's defaults for any other."""
        found = self.campaigns.get(key)
        if found is None:
            found = Campaign(
                key=key,
                campaign=key,
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

    def verdict(self, saved: SavedVerdict) -> Replayed:
        data = saved.data
        ci = data.get("ci") if isinstance(data.get("ci"), dict) else {}
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
            source=saved.source,
            repository=_text(ci.get("repository")),
            commit=_text(ci.get("commit")),
            started_at=_started(data),
            before=(str(data.get("outcome")), data.get("blocking") is True),
            after=(overall_outcome(outcomes), any(blocking)),
            flips=tuple(flips),
        )

    def campaign_result(self, entry: dict[str, Any]) -> tuple[str, bool]:
        campaign = self.campaign(str(entry["key"]))
        mode = mode_in_force(self.policy, campaign, today=self.today, override=None).mode
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
    return None


def _started(data: dict[str, Any]) -> str:
    timings = data.get("timings")
    started = timings.get("started_at") if isinstance(timings, dict) else None
    return started if isinstance(started, str) else ""


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
