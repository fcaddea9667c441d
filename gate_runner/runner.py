"""One policy's gate: policy -> runs on the API -> each campaign judged -> an Undecided verdict.

The gate's decision (outcome, exit code, summary) is made once, by the caller that knows
everything it rests on (use_case.check: after governance, with the job's cancel state), with
`decided_verdict`. Never prints and never exits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING

from gate_runner.api import RunContext, RunRequest, execute_runs
from gate_runner.campaign_result import errored_result, judge_payload, result_of_run, rule_modes
from gate_runner.enforce import Undecided, decided_verdict
from gate_runner.errors import ServiceError, UsageError
from gate_runner.governance.history.reuse import ReusedRuns
from gate_runner.modes import mode_in_force
from gate_runner.policy import Campaign, Mode, Policy, RecordedFile
from gate_runner.repeats import inconclusive_note, judge_runs, run_priority
from gate_runner.run_checks import Stop
from gate_runner.settings import gate_timeout
from gate_runner.statistics.budget import Budget, Spend, runs_left, spend, total
from gate_runner.thresholds import needs_reliability, request_thresholds
from gate_runner.trials import trials_of
from gate_runner.verdict import (
    CampaignResult,
    CIContext,
    DecisionPayload,
    PolicyInfo,
    RunError,
    Timings,
    Verdict,
)

if TYPE_CHECKING:
    from gate_runner.api import RunEvent, RunRequest, SepuruxClient


@dataclass(frozen=True)
class GateOptions:
    """What the user asked for on the command line, already parsed."""

    campaign_keys: tuple[str, ...] = ()
    enforcement: Mode | None = None
    timeout: float | None = None
    soft_exit_code: int = 0
    fresh: bool = False
    baseline: Mapping[str, DecisionPayload] = field(default_factory=dict)
    # The baseline's runs, for campaigns it ran several times (else its one payload above).
    baseline_runs: Mapping[str, Sequence[DecisionPayload]] = field(default_factory=dict)
    # gate.reuse: campaign key -> a stored result judged anew instead of new runs.
    reused: Mapping[str, ReusedRuns] = field(default_factory=dict)


@dataclass
class GateClock:
    """Wall-clock start for the verdict and a monotonic start for durations."""

    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    started: float = field(default_factory=time.monotonic)

    def timings(self) -> Timings:
        finished = datetime.now(timezone.utc)
        return Timings(
            _iso(self.started_at), _iso(finished), round(time.monotonic() - self.started, 3)
        )


def select_campaigns(policy: Policy, keys: Sequence[str]) -> tuple[Campaign, ...]:
    """The campaigns named with --campaign (all when none); a usage error names the known ones."""
    if not keys:
        return policy.campaigns
    known = {c.key: c for c in policy.campaigns}
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise UsageError(
            f"unknown campaign {', '.join(map(repr, unknown))} for --campaign; "
            f"{policy.path} declares: {', '.join(known) or 'none'}"
        )
    return tuple(known[k] for k in dict.fromkeys(keys))


def plan_runs(
    policy: Policy, campaigns: Sequence[Campaign], options: GateOptions, today: date
) -> list[RunRequest]:
    """The create requests of round 1: `repeat` runs of each campaign (indices 1..repeat)."""
    return [
        run_request(policy, c, index, options, today)
        for c in campaigns
        for index in range(1, c.runs.repeat + 1)
    ]


def run_request(
    policy: Policy, campaign: Campaign, index: int, options: GateOptions, today: date
) -> RunRequest:
    """The index-th run (1-based) of a campaign, with its merged thresholds as the API wants:
    the bars judged at the campaign's mode or above (a rule staged below it is judged here)."""
    c = campaign
    sent = rule_modes(policy, c, options, today).sent(c.thresholds)
    return RunRequest(
        key=c.key,
        name_or_id=c.name_or_id,
        trace_id=c.trace_id,
        trace_file=c.trace_file,
        thresholds=request_thresholds(sent),
        mutation_pack_id=c.mutation_pack_id,
        needs_reliability=needs_reliability(c.thresholds),
        repeat_index=index,
        trace_data=c.trace_data,
    )


def run_gate(
    policy: Policy,
    options: GateOptions,
    client: SepuruxClient | None,
    *,
    ci: CIContext,
    today: date,
    clock: GateClock | None = None,
    on_event: Callable[[RunEvent], None] | None = None,
    cancel: threading.Event | None = None,
) -> Undecided:
    """Run the selected campaigns on the API and judge them (a cancelled run's campaigns say
    so; whether the gate was interrupted is decided with the rest).

    `client` may be None only when gate.reuse found every campaign (options.reused): then
    nothing is run and nothing is sent.
    """
    clock = clock or GateClock()
    campaigns = select_campaigns(policy, options.campaign_keys)
    timeout = gate_timeout(options.timeout, policy).value
    deadline = clock.started + timeout
    context = RunContext(repo=ci.repository, pull_request=ci.pull_request, commit=ci.commit)
    # Rounds (issue #12): round 1 starts `repeat` runs of every campaign; each later round
    # starts one more run of each campaign whose statistics still wait for one.
    runs: dict[str, list[CampaignResult]] = {c.key: [] for c in campaigns}
    final = {
        c.key: _judge_reused(policy, c, options.reused[c.key], options, today)
        for c in campaigns
        if c.key in options.reused
    }
    requests = plan_runs(policy, [c for c in campaigns if c.key not in final], options, today)
    while requests:
        if client is None:
            raise ValueError("run_gate: campaigns to run and no API client")
        outcomes = execute_runs(
            client,
            requests,
            context,
            deadline=deadline,
            concurrency=policy.gate.concurrency,
            policy_digest=policy.digest,
            fresh=options.fresh,
            on_event=on_event,
            cancel=cancel,
        )
        for request, outcome in zip(requests, outcomes, strict=True):
            campaign = next(c for c in campaigns if c.key == request.key)
            runs[campaign.key].append(result_of_run(policy, campaign, outcome, options, today))
        stop = _stop(deadline, cancel)
        waiting: list[Campaign] = []
        for campaign in campaigns:
            if campaign.key in final:
                continue
            judged = judge_runs(
                policy,
                campaign,
                runs[campaign.key],
                today=today,
                last_chance=stop,
                baseline=_baseline_runs(options, campaign.key),
                override=options.enforcement,
            )
            if judged.more:
                waiting.append(campaign)
            else:
                final[campaign.key] = judged.result
        served = _serve(policy, waiting, runs, options)
        requests = [run_request(policy, c, len(runs[c.key]) + 1, options, today) for c in served]
        for campaign in waiting:
            if campaign not in served:  # gate.budget is spent: judged on the runs it has
                final[campaign.key] = judge_runs(
                    policy,
                    campaign,
                    runs[campaign.key],
                    today=today,
                    baseline=_baseline_runs(options, campaign.key),
                    capped=True,
                    override=options.enforcement,
                ).result
    results = [final[c.key] for c in campaigns]
    budget = policy.gate.budget
    if budget != Budget():
        results = [replace(r, spent=_spent(policy, runs[r.key])) for r in results]
    gathered = undecided(policy, results, options, ci=ci, clock=clock, today=today)
    if budget == Budget():
        return gathered
    spent = total([r.spent for r in results if r.spent is not None], budget)
    return replace(gathered, budget=budget, spent=spent)


def _judge_reused(
    policy: Policy, campaign: Campaign, stored: ReusedRuns, options: GateOptions, today: date
) -> CampaignResult:
    """A stored result judged by today's policy (waivers, dates, the baseline); no run."""
    judged = _judge_saved(policy, campaign, stored.runs, options, today)
    return replace(judged, reused=stored.reused)


def _judge_saved(
    policy: Policy,
    campaign: Campaign,
    saved: Sequence[tuple[str | None, DecisionPayload]],
    options: GateOptions,
    today: date,
) -> CampaignResult:
    """Saved runs (run id or None, payload), each judged alone, then together: no run."""
    runs = [
        judge_payload(policy, campaign, payload, options, today, run_id=run_id, duration=None)
        for run_id, payload in saved
    ]
    return judge_runs(
        policy,
        campaign,
        runs,
        today=today,
        last_chance="planned",
        baseline=_baseline_runs(options, campaign.key),
        override=options.enforcement,
    ).result


def _spent(policy: Policy, runs: Sequence[CampaignResult]) -> Spend:
    """The runs a campaign started, the trials their payloads counted, their price."""
    return spend((trials_of(policy, r.payload) for r in runs), policy.gate.budget)


def _serve(
    policy: Policy,
    waiting: Sequence[Campaign],
    runs: Mapping[str, Sequence[CampaignResult]],
    options: GateOptions,
) -> list[Campaign]:
    """The waiting campaigns that get one more run: all while gate.budget allows; else the
    ones where a run is most likely to settle the answer (docs/statistics.md, "Spend where
    it decides"), in the policy's order on a tie."""
    budget = policy.gate.budget
    spent = total((_spent(policy, r) for r in runs.values()), budget)
    left = runs_left(budget, spent)
    if left is None or left >= len(waiting):
        return list(waiting)
    priority = {
        c.key: run_priority(policy, c, runs[c.key], _baseline_runs(options, c.key)) for c in waiting
    }
    # Highest first; sorted is stable, so a tie keeps the policy's order.
    ranked = sorted(waiting, key=lambda c: priority[c.key], reverse=True)
    return ranked[:left]


def _baseline_runs(options: GateOptions, key: str) -> list[DecisionPayload]:
    """The baseline's payloads of a campaign: every run it kept, else its one payload."""
    runs = options.baseline_runs.get(key)
    if runs:
        return list(runs)
    one = options.baseline.get(key)
    return [one] if one is not None else []


def _stop(deadline: float, cancel: threading.Event | None) -> Stop | None:
    """Why no further run may start now, if so."""
    if cancel is not None and cancel.is_set():
        return "deadline"
    return "deadline" if time.monotonic() >= deadline else None


def evaluate_payloads(
    policy: Policy,
    payloads: Mapping[str, DecisionPayload | Sequence[DecisionPayload]],
    options: GateOptions,
    *,
    ci: CIContext,
    today: date,
) -> Verdict:
    """The verdict on saved payloads alone (policy tests, replay): judged and decided."""
    judged = judge_payloads(policy, payloads, options, ci=ci, today=today)
    return decided_verdict(judged, soft_exit_code=options.soft_exit_code, interrupted=False)


def judge_payloads(
    policy: Policy,
    payloads: Mapping[str, DecisionPayload | Sequence[DecisionPayload]],
    options: GateOptions,
    *,
    ci: CIContext,
    today: date,
) -> Undecided:
    """The same judgement over saved payloads (campaign key -> payload, or the payloads of
    its runs in the order they ran), with no API and no further run."""
    clock = GateClock()
    results = []
    for key, saved in payloads.items():
        campaign = policy.campaign(key)
        if campaign is None:
            raise UsageError(f"{policy.path} declares no campaign {key!r}")
        each = [saved] if isinstance(saved, dict) else list(saved)
        results.append(_judge_saved(policy, campaign, [(None, p) for p in each], options, today))
    return undecided(policy, results, options, ci=ci, clock=clock, today=today)


def gate_errored(
    policy: Policy,
    error: ServiceError,
    options: GateOptions,
    *,
    ci: CIContext,
    today: date,
    clock: GateClock | None = None,
) -> Undecided:
    """Every selected campaign errored for one reason (no token, a bad base URL, ...)."""
    campaigns = select_campaigns(policy, options.campaign_keys)
    results = [errored_result(policy, c, error, options, today, status="error") for c in campaigns]
    judged = undecided(policy, results, options, ci=ci, clock=clock or GateClock(), today=today)
    return replace(judged, error=RunError(error.kind, error.message))


def undecided(
    policy: Policy,
    results: Sequence[CampaignResult],
    options: GateOptions,
    *,
    ci: CIContext,
    clock: GateClock,
    today: date,
) -> Undecided:
    """What the verdict says of the campaign results besides the decision: mode, policy, notes."""
    return Undecided(
        campaigns=tuple(results),
        enforcement=mode_in_force(policy, None, today=today, override=options.enforcement),
        info=PolicyInfo(
            path=policy.path,
            digest=policy.digest,
            sources=tuple({"location": s.location, "sha256": s.sha256} for s in policy.sources),
            on_error=policy.gate.on_error,
            on_timeout=policy.gate.on_timeout,
            files=tuple(_recorded(f) for f in policy.recorded),
        ),
        ci=ci,
        timings=clock.timings(),
        notes=tuple(_notes(policy, results, today)),
    )


def _recorded(file: RecordedFile) -> dict[str, str]:
    return {k: v for k, v in asdict(file).items() if v is not None}


def _notes(policy: Policy, results: Sequence[CampaignResult], today: date) -> list[str]:
    """What a user should see besides the checks: expired or needless waivers, allowed errors."""
    notes: list[str] = []
    ran = {r.key for r in results}
    for waiver in policy.waivers:
        if waiver.campaign in ran and today > waiver.until:
            until = waiver.until.isoformat()
            where = f"{waiver.campaign}/{waiver.check}"
            notes.append(
                f"waiver for {where} expired on {until} ({waiver.origin}); it no longer applies"
            )
    for result in results:
        note = inconclusive_note(result)
        if note is not None:
            notes.append(note)
        if result.outcome == "error" and result.error_policy == "pass":
            setting = (
                "on_timeout" if result.error and result.error.kind == "timeout" else "on_error"
            )
            notes.append(f"{result.key}: no decision, allowed by gate.{setting}: pass")
        for check in result.checks:
            if check.waiver is not None and not check.waiver.expired and check.status == "pass":
                where = f"{result.key}/{check.name}"
                notes.append(f"waiver for {where} matches a passing check; it can be removed")
    return notes


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
