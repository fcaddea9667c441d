"""One run judged into a CampaignResult: its payload evaluated and enforced, or its error.

The fail-closed rule (saved_payloads.run_failure) and the depth cap meet polled and saved
payloads alike; nothing here calls the API or decides the gate's exit code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from gate_runner.enforce import blocks
from gate_runner.errors import ServiceError
from gate_runner.evaluate import evaluate_campaign
from gate_runner.evaluate.checks import location
from gate_runner.modes import RuleModes, governing, mode_from, mode_in_force
from gate_runner.policy import Campaign, ErrorPolicy, Mode, Policy
from gate_runner.saved_payloads import run_failure
from gate_runner.verdict import CampaignResult, Check, DecisionPayload, RunError, RunStatus

if TYPE_CHECKING:
    from gate_runner.api import RunOutcome


class Asked(Protocol):
    """What judging a run needs of the options (runner.GateOptions has both)."""

    @property
    def enforcement(self) -> Mode | None: ...

    @property
    def baseline(self) -> Mapping[str, DecisionPayload]: ...


# A run that ended without a decision: timed out, or cancelled while still pending.
_STATUS_OF_ERROR: dict[str, RunStatus] = {"timeout": "timeout", "cancelled": "pending"}

# A decision payload is a few levels deep; hundreds would overflow the verdict's recursion.
MAX_PAYLOAD_DEPTH = 64


def result_of_run(
    policy: Policy, campaign: Campaign, outcome: RunOutcome, asked: Asked, today: date
) -> CampaignResult:
    """One polled run: its payload judged, or its error (timeout, cancel, no payload)."""
    duration = round(max(outcome.finished - outcome.started, 0.0), 3)
    if outcome.error is not None or outcome.payload is None:
        error = outcome.error or ServiceError("payload", "the run ended without a payload")
        status = _STATUS_OF_ERROR.get(error.kind, "error")
        result = errored_result(policy, campaign, error, asked, today, status=status)
        return replace(
            result,
            campaign_id=outcome.campaign_id,
            run_id=outcome.run_id,
            duration_s=duration,
            payload=None
            if _nested_deeper_than(outcome.payload, MAX_PAYLOAD_DEPTH)
            else outcome.payload,
        )
    result = judge_payload(
        policy, campaign, outcome.payload, asked, today, run_id=outcome.run_id, duration=duration
    )
    return replace(result, campaign_id=outcome.campaign_id)


def judge_payload(
    policy: Policy,
    campaign: Campaign,
    payload: DecisionPayload,
    asked: Asked,
    today: date,
    *,
    run_id: str | None,
    duration: float | None,
) -> CampaignResult:
    baseline = asked.baseline.get(campaign.key)
    refusal: ServiceError | None = None
    for name, value in (("payload", payload), ("baseline payload", baseline)):
        if refusal is None and _nested_deeper_than(value, MAX_PAYLOAD_DEPTH):
            message = f"the {name} is nested deeper than {MAX_PAYLOAD_DEPTH} levels; refusing it"
            refusal = ServiceError("payload", message)
    if refusal is None:
        # Saved payloads (evaluate, test) meet the same fail-closed rule as polled ones.
        run_id = run_id or _text(payload.get("run_id")) or _text(payload.get("batch_id"))
        refusal = run_failure(payload, f"run {run_id}" if run_id else "the payload")
    if refusal is not None:
        errored = errored_result(policy, campaign, refusal, asked, today, status="error")
        kept = payload if refusal.kind == "run_failed" else None  # a too-deep one cannot be
        return replace(errored, run_id=run_id, duration_s=duration, payload=kept)
    modes = rule_modes(policy, campaign, asked, today)
    evaluation = evaluate_campaign(
        campaign, payload, waivers=policy.waivers, today=today, baseline=baseline, modes=modes
    )
    enforcement = governing(evaluation.checks, modes.campaign)
    error = None
    error_policy: ErrorPolicy | None = None
    if evaluation.outcome == "error":
        broken = next(c for c in evaluation.checks if c.status == "error" and c.level == "error")
        error = RunError("payload", f"{broken.name}: {broken.message}")
        error_policy = policy.gate.on_error
    url = payload.get("dashboard_url")
    return CampaignResult(
        key=campaign.key,
        campaign=campaign.name_or_id,
        campaign_id=None,
        run_id=run_id or _text(payload.get("run_id")) or _text(payload.get("batch_id")),
        dashboard_url=url if isinstance(url, str) else None,
        status="done",
        outcome=evaluation.outcome,
        blocking=blocks(evaluation.outcome, enforcement.mode, error_policy),
        enforcement=enforcement,
        checks=evaluation.checks,
        payload=payload,
        error=error,
        error_policy=error_policy,
        duration_s=duration,
        location=location(campaign.origin),
        baseline_run_id=_text((baseline or {}).get("run_id")),
        baseline_pass_rate=_finite((baseline or {}).get("pass_rate")),
    )


def rule_modes(policy: Policy, campaign: Campaign, asked: Asked, today: date) -> RuleModes:
    """Each rule's mode in this campaign today (the campaign's, unless a rule stages its own)."""
    return RuleModes(
        mode_in_force(policy, campaign, today=today, override=asked.enforcement), today
    )


def _finite(value: object) -> float | None:
    """A number a picture can draw, from a payload nobody vouches for; else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer past every float
        return None
    return number if math.isfinite(number) else None


def errored_result(
    policy: Policy,
    campaign: Campaign,
    error: ServiceError,
    asked: Asked,
    today: date,
    *,
    status: RunStatus,
) -> CampaignResult:
    enforcement = mode_in_force(policy, campaign, today=today, override=asked.enforcement)
    error_policy: ErrorPolicy | None = None
    if error.kind != "cancelled":
        error_policy = policy.gate.on_timeout if error.kind == "timeout" else policy.gate.on_error
    check = Check(
        id="run",
        kind="run",
        name="run",
        status="error",
        level="error",
        message=error.message,
        expected="a decision",
        actual=error.kind,
        location=location(campaign.origin),
        mode=enforcement.mode,
        mode_from=mode_from(enforcement),
    )
    return CampaignResult(
        key=campaign.key,
        campaign=campaign.name_or_id,
        campaign_id=None,
        run_id=None,
        dashboard_url=None,
        status=status,
        outcome="error",
        blocking=blocks("error", enforcement.mode, error_policy),
        enforcement=enforcement,
        checks=(check,),
        payload=None,
        error=RunError(error.kind, error.message),
        error_policy=error_policy,
        location=location(campaign.origin),
    )


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays/objects nest past `limit`; iterative, so any depth json.loads read is safe."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
