"""The `check` command: the use case (use_case.check) called, its verdict delivered.

Flags come in as a use_case.CheckRequest and a Delivery; this module shows what the use
case reports on the way, writes the verdict and reports, then the forge results.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from gate_runner import channel as output
from gate_runner.api import RunEvent
from gate_runner.channel import Channel
from gate_runner.check_plan import CheckRequest
from gate_runner.ci import detect
from gate_runner.cli.dry_run import budget_line, print_plan
from gate_runner.cli.outputs import (
    deliver,
    deliver_policy_error,
    rewrite_interrupted,
    scrubbed,
    usable_report_specs,
    usage_error_verdict,
    verdict_without_policy,
)
from gate_runner.cli.progress import Progress
from gate_runner.cli.signals import StopNow, Stopper, stop_on_signals
from gate_runner.config.schema import default_token_env
from gate_runner.errors import ExitCode, PolicyError, UsageError
from gate_runner.files import regular_target
from gate_runner.forges.forge_results import PolicyReview, forge_results
from gate_runner.forges.http import publish_deadline
from gate_runner.policy import Policy
from gate_runner.report.output import ReportSpec
from gate_runner.runner import GateClock
from gate_runner.safe_text import terminal
from gate_runner.sandbox import Sandbox
from gate_runner.secrets import loaded_policy_secrets, secret_set
from gate_runner.use_case import Checked, PolicyFailure, UsageFailure, check
from gate_runner.verdict import CIContext, RunError


@dataclass(frozen=True)
class Delivery:
    """Where check's verdict goes: the verdict file, the reports, the comment, the statuses."""

    verdict_path: Path
    reports: tuple[str, ...] = ()
    comment: bool = False
    publish: bool = False


def run_check(request: CheckRequest, delivery: Delivery, *, today: date) -> int:
    """`today` is the day judged at (--as-of, default today)."""
    clock = GateClock()
    channel = output.current()
    # A --report that cannot be written is a usage error once the policy is loaded, so the
    # verdict (and the reports that can be written) still exist (docs/exit-codes.md).
    specs, bad_report = usable_report_specs(delivery.reports)
    if str(delivery.verdict_path) != "-":
        # A device, FIFO or directory is refused before any run starts, and left as it is.
        regular_target(delivery.verdict_path)
    env = os.environ
    ci = detect(env)
    # Before the policy names its variable, the default one and the forge tokens are secrets.
    channel.add_secrets(*secret_set(env, token_env=default_token_env()).values)
    with stop_on_signals(channel) as stopper:
        console = _Console(channel, stopper, request.sandbox, bad_report)
        try:
            if stopper.cancel.is_set():
                raise StopNow
            checked = check(
                request, console, env=env, ci=ci, clock=clock, cancel=stopper.cancel,
                today=today,
            )  # fmt: skip
        except StopNow:
            stopper.raise_now = False  # a signal now must not break the verdict's delivery
            verdict = verdict_without_policy(
                request.config,
                RunError(
                    "cancelled",
                    "the job was cancelled (SIGINT/SIGTERM) before the policy was loaded",
                ),
                exit_code=int(ExitCode.INTERRUPTED),
                ci=ci,
                clock=clock,
                enforcement=request.enforcement,
                interrupted=True,
            )
            # The requested reports too, no comment: nothing was decided to comment on.
            return deliver(verdict, delivery.verdict_path, specs, channel=channel, env=env)
        if isinstance(checked, PolicyFailure):
            stopper.raise_now = False
            return _deliver_failure(checked, request, delivery, specs, ci=ci, clock=clock)
        if isinstance(checked, UsageFailure):
            # Found after the policy loaded: a verdict and the reports, as in every phase.
            channel.error(str(checked.error))
            verdict = usage_error_verdict(
                checked.policy, checked.error, ci=ci, clock=clock,
                enforcement=request.enforcement, today=today,
            )  # fmt: skip
            return deliver(verdict, delivery.verdict_path, specs, channel=channel, env=env)
        if checked.verdict is None:  # --dry-run
            for plan in checked.plans:
                print_plan(
                    plan.policy, plan.options, ci, plan.base_url, channel=channel, today=today
                )
            return int(ExitCode.OK)
        return _deliver(checked, request, delivery, specs, stopper=stopper, env=env, clock=clock)


class _Console:
    """What the use case shows on the way: secrets first, then the sandbox and progress."""

    def __init__(
        self,
        channel: Channel,
        stopper: Stopper,
        scenario: Path | None,
        bad_report: UsageError | None,
    ) -> None:
        self.channel, self.stopper, self.scenario = channel, stopper, scenario
        self.bad_report = bad_report
        self.env = os.environ

    def loaded(self, policies: Sequence[Policy]) -> None:
        # From here a signal sets `cancel`; the scheduler stops and the verdict says so.
        self.stopper.raise_now = False
        for policy in policies:
            self.channel.add_secrets(*loaded_policy_secrets(self.env, policy).values)
        if self.bad_report is not None:
            raise self.bad_report  # the use case's UsageFailure: a verdict, nothing run

    def api_ready(self, sandbox: Sandbox | None) -> None:
        if sandbox is not None:
            # The CI's token stays a secret even when --sandbox talks with another one.
            self.channel.add_secrets(sandbox.token)
        # Before anything else is printed, so the CI hides the tokens everywhere.
        self.channel.masks(self.env)
        if sandbox is not None:
            self.channel.line(f"gate-runner: sandbox from {self.scenario} at {sandbox.url}")

    def policy_started(self, policy: Policy, count: int, keys: Sequence[str]) -> None:
        if count > 1:
            # Progress lines follow.
            self.channel.line(f"gate-runner: policy {terminal(policy.path)}")
        budget = budget_line(policy, keys)
        if budget is not None:  # before the first run: what this gate can spend at worst
            self.channel.line(f"gate-runner: {budget}")

    @contextmanager
    def progress(self, total: int) -> Iterator[Callable[[RunEvent], None]]:
        with Progress(self.channel, total=total) as progress:
            yield progress.on_event


def _deliver_failure(
    failure: PolicyFailure,
    request: CheckRequest,
    delivery: Delivery,
    specs: Sequence[ReportSpec],
    *,
    ci: CIContext,
    clock: GateClock,
) -> int:
    """No policy to judge by: the reason on stderr, and still a verdict and the reports."""
    channel, env = output.current(), os.environ
    if isinstance(failure.error, PolicyError):
        return deliver_policy_error(
            failure.error,
            failure.path,
            delivery.verdict_path,
            specs,
            channel=channel,
            env=env,
            enforcement=request.enforcement,
            clock=clock,
        )
    channel.error(str(failure.error))
    verdict = verdict_without_policy(
        failure.path,
        RunError("usage", str(failure.error)),
        exit_code=int(ExitCode.USAGE),
        ci=ci,
        clock=clock,
        enforcement=request.enforcement,
        summary=failure.error.summary,
    )
    return deliver(verdict, delivery.verdict_path, specs, channel=channel, env=env)


def _deliver(
    checked: Checked,
    request: CheckRequest,
    delivery: Delivery,
    specs: Sequence[ReportSpec],
    *,
    stopper: Stopper,
    env: Mapping[str, str],
    clock: GateClock,
) -> int:
    """The verdict, reports and comment, then statuses and the soft review (warnings only)."""
    assert checked.verdict is not None
    verdict, channel, cancel = checked.verdict, output.current(), stopper.cancel
    # One deadline for the comment, the statuses and the review: what --timeout leaves
    # (the policies ran one after the other, each with its own timeout).
    forge_by = publish_deadline(clock.started + sum(plan.timeout for plan in checked.plans))
    code = deliver(
        verdict,
        delivery.verdict_path,
        specs,
        channel=channel,
        env=env,
        comment=delivery.comment,
        cancel=cancel,
        forge_deadline=forge_by,
    )
    forge_warnings = forge_results(
        scrubbed(verdict, channel)[0],
        publish=delivery.publish or checked.publish,
        reviews=[PolicyReview(p.policy.enforcement.soft, p.judged) for p in checked.plans],
        env=env,
        cancel=cancel,
        deadline=forge_by,
    )
    for warning in forge_warnings:
        channel.warning(warning)
    if cancel.is_set() and not verdict.interrupted:
        # The signal came while reporting: the files must not say the job ran to its end.
        code = rewrite_interrupted(
            verdict,
            delivery.verdict_path,
            specs,
            channel=channel,
            soft_exit_code=request.soft_exit_code,
        ).exit_code
    return code
