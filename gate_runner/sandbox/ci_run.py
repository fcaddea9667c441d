"""A CI run or batch in the sandbox: its lifecycle on the wall clock and the payloads it answers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from gate_runner.sandbox.decision import decide_run
from gate_runner.sandbox.scenario import CampaignSpec, Metrics
from gate_runner.statistics.simulation import draw_successes, run_rng

# Fields that only a finished run carries; faults that alter "the metrics" use this list too.
METRIC_FIELDS = (
    "pass_rate",
    "unsafe_attempts",
    "failures",
    "reliability_score",
    "top_failing_tools",
    "mutation_categories",
    "mutation_coverage_score",
    "trace_count",
    "scenario_coverage_pct",
)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def scaled_reliability(metrics: Metrics, scale: int) -> float:
    """reliability_score as the reliability endpoint answers it: 0-1 when scale is 1, else 0-100."""
    return round(metrics.reliability_score / 100.0, 4) if scale == 1 else metrics.reliability_score


@dataclass
class Run:
    """One run the sandbox started, and the batch that holds it.

    Every create starts a batch, as the official SDK expects (it reads `batch_id` and polls
    /v1/ci/batch/{id}). A single-trace campaign (mode run) is a batch of one member run,
    which is also served at /v1/ci/runs/{id} as the CI docs describe; a batch-mode campaign
    is one record whose id is the batch id, with `trace_count` member run ids.
    """

    id: str
    campaign: CampaignSpec
    thresholds: dict[str, Any]
    started: float  # time.monotonic() at create
    trace_id: str | None
    request_fingerprint: str  # canonical create body, to refuse a reused Idempotency-Key
    created_at: str = field(default_factory=now_iso)
    member_ids: tuple[str, ...] = ()  # batch mode only: the batch's member runs
    batch_id: str = ""  # mode run: the id of the batch of one; batch mode: the record's id
    # What this run answers: the campaign's metrics, or, for a random agent, its own draw.
    drawn: Metrics | None = None

    @property
    def metrics(self) -> Metrics:
        return self.drawn or self.campaign.metrics

    @property
    def is_batch(self) -> bool:
        return self.campaign.mode == "batch"

    @property
    def members(self) -> tuple[str, ...]:
        """The batch's member run ids: the run itself when the campaign is not a batch."""
        return self.member_ids if self.is_batch else (self.id,)

    def status(self, now: float) -> str:
        elapsed = now - self.started
        duration = self.campaign.duration
        if elapsed >= duration:
            return "done"
        return "queued" if elapsed < duration / 4 else "running"

    def payload(
        self, now: float, base_url: str, scale: int, *, as_batch: bool = False
    ) -> dict[str, Any]:
        """What GET /v1/ci/runs/{id} (or, batch or `as_batch`, /v1/ci/batch/{id}) answers."""
        status = self.status(now)
        batch_view = self.is_batch or as_batch
        body: dict[str, Any] = {"batch_id": self.batch_id} if batch_view else {"run_id": self.id}
        body["campaign_id"] = self.campaign.id
        body["status"] = status
        body["decision"] = (
            decide_run(self.thresholds, self.metrics) if status == "done" else "pending"
        )
        if self.trace_id is not None:
            body["trace_id"] = self.trace_id
        body["created_at"] = self.created_at
        body["dashboard_url"] = f"{base_url}/dashboard/runs/{self.id}"
        if batch_view:
            body["run_ids"] = list(self.members)
        if status == "done":
            body.update(self._metrics(scale, batch_view))
        return body

    def _metrics(self, scale: int, batch_view: bool) -> dict[str, Any]:
        m = self.metrics
        out: dict[str, Any] = {
            "pass_rate": m.pass_rate,
            "unsafe_attempts": m.unsafe_attempts,
            "failures": m.failures,
            "top_failing_tools": [{"tool": t.tool, "count": t.count} for t in m.top_failing_tools],
            "mutation_categories": list(m.mutation_categories),
            "mutation_coverage_score": m.mutation_coverage_score,
        }
        if self.campaign.reliability_in_run:
            out["reliability_score"] = scaled_reliability(m, scale)
        if batch_view:
            out["trace_count"] = len(self.members)
            out["scenario_coverage_pct"] = self.campaign.scenario_coverage_pct
        if m.random_pass_rate is not None:
            out["trace_count"] = m.random_pass_rate.trials  # the attempts the rate is made of
        out.update(self.campaign.extra)
        return out

    def failures(self) -> list[dict[str, Any]]:
        """The classified failures of a finished run, derived deterministically from its metrics.

        In a batch they are dealt to the member runs in turn, so each member has its own.
        """
        m = self.metrics
        members = self.members
        tools = [t.tool for t in m.top_failing_tools for _ in range(t.count)] or ["agent"]
        categories = list(m.mutation_categories) or ["unknown"]
        items = []
        for i in range(m.failures):
            tool, mutation = tools[i % len(tools)], categories[i % len(categories)]
            unsafe = i < m.unsafe_attempts
            items.append(
                {
                    "failure_id": str(uuid.uuid5(uuid.UUID(self.id), str(i))),
                    "run_id": members[i % len(members)],
                    "campaign_id": self.campaign.id,
                    "trace_id": self.trace_id,
                    "mutation": mutation,
                    "type": "unsafe_action" if unsafe else "tool_error",
                    "severity": "critical" if unsafe else "medium",
                    "description": f"{tool} failed under {mutation}",
                    "metadata": {"tool": tool},
                    "created_at": self.created_at,
                }
            )
        return items


def draw_metrics(metrics: Metrics, seed: int | str, campaign_id: str, index: int) -> Metrics | None:
    """The index-th run's (1-based) own metrics for a random agent, else None.

    `statistics.simulation` is the one rule the sandbox and bench/decisions.py share.
    """
    model = metrics.random_pass_rate
    if model is None:
        return None

    rng = run_rng(seed, campaign_id, index)
    successes = draw_successes(rng, model.trials, model.true, model.icc)
    return replace(metrics, pass_rate=successes / model.trials)
