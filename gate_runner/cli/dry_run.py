"""`check --dry-run`: the create requests check would send, built by the same body builder."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from gate_runner.api import RunContext, run_key
from gate_runner.api.client import is_uuid
from gate_runner.api.request_body import create_body
from gate_runner.runner import plan_runs, select_campaigns
from gate_runner.statistics.budget import Budget, worst_case

if TYPE_CHECKING:
    from gate_runner.channel import Channel
    from gate_runner.policy import Policy
    from gate_runner.runner import GateOptions
    from gate_runner.settings import Setting
    from gate_runner.verdict import CIContext


def print_plan(
    policy: Policy,
    options: GateOptions,
    ci: CIContext,
    base_url: Setting[str],
    *,
    channel: Channel,
    today: date,
) -> None:
    """Print each POST /v1/ci/runs with its headers and body; call nothing.

    Through the output channel, which scrubs: a ${VAR} may have expanded the token into a
    field (trace_id: ${SEPURUX_API_KEY}).
    """
    runs = plan_runs(policy, select_campaigns(policy, options.campaign_keys), options, today)
    url = base_url.value.rstrip("/")
    token = os.environ.get(policy.api.token_env)
    token_state = "set" if token else "NOT set"
    channel.line(f"dry run: {len(runs)} run(s) would be created; nothing is called", err=False)
    budget = budget_line(policy, options.campaign_keys)
    if budget is not None:
        channel.line(budget, err=False)
    channel.line(f"API: {url} (from {base_url.origin})", err=False)
    channel.line(
        f"auth: {policy.api.auth_header} from ${policy.api.token_env} ({token_state})", err=False
    )
    context = RunContext(repo=ci.repository, pull_request=ci.pull_request, commit=ci.commit)
    for run in runs:
        notes: list[str] = []
        # A uuid is sent as it is; a name becomes an id only by asking the API.
        campaign_id = run.name_or_id
        if not is_uuid(run.name_or_id):
            campaign_id = f"<id of campaign {run.name_or_id!r}>"
            notes.append(
                f"campaign_id: the id of {run.name_or_id!r}, resolved by GET /v1/campaigns"
            )
        trace_id = run.trace_id
        if trace_id is None and run.trace_file:
            trace_id = f"<id answered for {run.trace_file}>"
            notes.append(f"trace_id: answered by uploading {run.trace_file} (POST /v1/traces)")
        body = create_body(run, context, campaign_id, trace_id=trace_id)
        key = run_key(run, context, policy.digest, options.fresh)
        if ci.commit is None:
            key += "  (random: no commit is known, so every gate starts new runs)"
        lines = [
            f"\nPOST {url}/v1/ci/runs  ({run.key}{_repeat(run.repeat_index)})",
            f"Idempotency-Key: {key}",
            json.dumps(body, indent=2),
            *(f"  note: {note}" for note in notes),
        ]
        channel.line("\n".join(lines), err=False)


def budget_line(policy: Policy, keys: Sequence[str]) -> str | None:
    """What the selected campaigns can spend at worst, when the policy sets gate.budget."""
    if policy.gate.budget == Budget():
        return None
    plans = {c.key: c.runs for c in select_campaigns(policy, keys)}
    return f"budget: {worst_case(plans, policy.gate.budget)}"


def _repeat(index: int) -> str:
    """Which run of a repeated campaign (issue #12); later runs, up to max_runs, start only
    while the campaign is undecided, so a dry run shows round 1."""
    return f", run {index}" if index > 1 else ""
