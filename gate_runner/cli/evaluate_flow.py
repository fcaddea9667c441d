"""`evaluate`: a saved payload judged by the policy with no API, delivered as `check` delivers."""

from __future__ import annotations

import os
from pathlib import Path

from gate_runner import channel as output
from gate_runner.ci import detect
from gate_runner.cli.common import as_of
from gate_runner.cli.outputs import (
    deliver,
    deliver_policy_error,
    usable_report_specs,
    usage_error_verdict,
)
from gate_runner.config import load_policy
from gate_runner.enforce import decided_verdict
from gate_runner.errors import PolicyError, UsageError
from gate_runner.governance.check_gate import GovernanceRequest, govern, prepare
from gate_runner.policy import Mode
from gate_runner.runner import GateClock, GateOptions, judge_payloads, select_campaigns
from gate_runner.saved_payloads import read_baseline, read_baseline_runs, read_payload_file
from gate_runner.secrets import loaded_policy_secrets
from gate_runner.settings import CommandLine, resolve


def run_evaluate(
    payload_file: Path,
    campaign: str | None,
    config: Path,
    *,
    enforcement: Mode | None,
    soft_exit_code: int,
    verdict: Path,
    reports: tuple[str, ...],
    baseline: Path | None,
    on: str | None,
) -> int:
    """The payload's verdict, written with its reports; the exit code `check` would give."""
    specs, bad_report = usable_report_specs(reports)
    settings = resolve(
        CommandLine(enforcement=enforcement, soft_exit_code=soft_exit_code, verdict_path=verdict),
        os.environ,
    )
    channel = output.current()
    today = as_of(on)
    try:
        # The waiver rules apply here as in check (governance/check_gate.py).
        governed = prepare(
            config, GovernanceRequest(), load=load_policy, env=os.environ, today=today
        )
        policy = governed.policy
    except PolicyError as error:
        # A verdict in every phase: the reports a workflow uploads exist even now.
        return deliver_policy_error(
            error,
            config,
            settings.verdict_path.value,
            specs,
            channel=channel,
            env=os.environ,
            enforcement=settings.enforcement.value,
        )
    try:
        if bad_report is not None:
            raise bad_report
        payloads = read_payload_file(payload_file, campaign, [c.key for c in policy.campaigns])
        select_campaigns(policy, tuple(payloads))  # an unknown key names the known ones
        options = GateOptions(
            campaign_keys=tuple(payloads),
            enforcement=settings.enforcement.value,
            soft_exit_code=settings.soft_exit_code.value,
            baseline=read_baseline(baseline) if baseline is not None else {},
            baseline_runs=read_baseline_runs(baseline) if baseline is not None else {},
        )
    except UsageError as error:
        # Found after the policy loaded: a verdict and the reports, as in every phase.
        channel.error(str(error))
        unused = usage_error_verdict(
            policy, error, ci=detect(os.environ), clock=GateClock(),
            enforcement=settings.enforcement.value, today=today,
        )  # fmt: skip
        return deliver(unused, settings.verdict_path.value, specs, channel=channel, env=os.environ)
    judged = judge_payloads(policy, payloads, options, ci=detect(os.environ), today=today)
    judged = govern(judged, governed, rejudge=None, baseline=options.baseline)
    result = decided_verdict(judged, soft_exit_code=options.soft_exit_code, interrupted=False)
    # No API call, but a saved payload may echo the token the policy names: scrub it.
    channel.add_secrets(*loaded_policy_secrets(os.environ, policy).values)
    channel.masks(os.environ)
    return deliver(result, settings.verdict_path.value, specs, channel=channel, env=os.environ)
