"""The `check` command's flow: load the policy, start the sandbox if asked, run, deliver."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from gate_runner import channel as output
from gate_runner.api import SepuruxClient
from gate_runner.ci import detect
from gate_runner.cli.delivery import (
    deliver,
    deliver_policy_error,
    report_specs,
    rewrite_interrupted,
    scrubbed,
    verdict_without_policy,
)
from gate_runner.cli.dry_run import print_plan
from gate_runner.cli.progress import Progress
from gate_runner.cli.signals import StopNow, stop_on_signals
from gate_runner.config import load_policy
from gate_runner.errors import ExitCode, PolicyError, ServiceError, UsageError
from gate_runner.files import regular_target
from gate_runner.forge.deliver import PolicyReview, forge_results
from gate_runner.governance.check_gate import (
    GovernanceRequest,
    GovernedGate,
    PolicyRefUnreadable,
    govern,
    merge_governance,
    prepare,
)
from gate_runner.monorepo import PolicyRun, campaign_prefixes, discover_policies, merge_verdicts
from gate_runner.monorepo.merge import prefixed
from gate_runner.monorepo.select import baseline_for, judged, select_across
from gate_runner.policy import Mode, Policy
from gate_runner.runner import (
    GateClock,
    GateOptions,
    evaluate_payloads,
    gate_error_verdict,
    mark_interrupted,
    run_gate,
    select_campaigns,
)
from gate_runner.safe_text import terminal
from gate_runner.sandbox import Sandbox, load_scenario
from gate_runner.secrets import bad_token_reason, secret_set, token_value
from gate_runner.settings import CommandLine, default_token_env, resolve, resolve_gate
from gate_runner.verdict import (
    CampaignResult,
    CIContext,
    RunError,
    Verdict,
    read_baseline,
    read_baseline_runs,
    saved_runs,
)


@dataclass(frozen=True)
class CheckRequest:
    config: Path
    campaigns: tuple[str, ...]
    enforcement: Mode | None
    timeout: float | None
    api_url: str | None
    verdict_path: Path
    reports: tuple[str, ...]
    soft_exit_code: int
    dry_run: bool
    fresh: bool
    baseline: Path | None
    sandbox: Path | None
    comment: bool
    # Every policy when --config is repeated (config is the first); empty with one.
    configs: tuple[Path, ...] = ()
    discover: bool = False
    publish: bool = False
    policy_ref: str | None = None  # check --policy-ref REF|auto (docs/governance.md)
    store: str | None = None  # --store DIR|git-notes, where --baseline auto looks


def policy_paths(request: CheckRequest) -> list[Path]:
    """The policies to judge: --discover's, else each --config given (once each)."""
    if request.discover:
        if request.configs:
            raise UsageError("--discover finds the policies itself; leave out --config")
        return discover_policies(Path("."))
    return list(dict.fromkeys(request.configs or (request.config,)))


def run_check(request: CheckRequest) -> int:
    clock = GateClock()
    channel = output.current()
    specs = report_specs(request.reports)
    command_line = CommandLine(
        api_url=request.api_url,
        timeout=request.timeout,
        enforcement=request.enforcement,
        soft_exit_code=request.soft_exit_code,
        verdict_path=request.verdict_path,
    )
    settings = resolve(command_line, os.environ)
    request_timeout = settings.request_timeout.value
    if request.sandbox and request.api_url:
        raise UsageError("--sandbox starts its own API; leave out --api-url")
    if str(request.verdict_path) != "-":
        # A device, FIFO or directory is refused before any run starts, and left as it is.
        regular_target(request.verdict_path)
    env = os.environ
    ci = detect(env)
    # Before the policy names its variable, the default one and the forge tokens are secrets.
    channel.add_secrets(*secret_set(env, token_env=default_token_env()).values)
    with ExitStack() as stack:
        stopper = stack.enter_context(stop_on_signals(channel))
        paths = policy_paths(request)
        try:
            if stopper.cancel.is_set():
                raise StopNow
            governed: list[GovernedGate] = []
            for index, path in enumerate(paths):
                failed = path
                # The baseline is the repository's: looked up once, with the first policy.
                governed.append(_prepare(request, path, find_baseline=index == 0))
            policies = [g.policy for g in governed]
        except PolicyRefUnreadable as error:
            stopper.raise_now = False
            channel.error(str(error))
            verdict = verdict_without_policy(
                failed,
                RunError("usage", str(error)),
                exit_code=int(ExitCode.USAGE),
                ci=ci,
                clock=clock,
                enforcement=request.enforcement,
            )
            return deliver(verdict, request.verdict_path, specs, channel=channel, env=env)
        except PolicyError as error:
            stopper.raise_now = False  # a signal now must not break the verdict's delivery
            return deliver_policy_error(
                error,
                failed,
                request.verdict_path,
                specs,
                channel=channel,
                env=env,
                enforcement=request.enforcement,
                clock=clock,
            )
        except StopNow:
            stopper.raise_now = False
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
            return deliver(verdict, request.verdict_path, specs, channel=channel, env=env)
        # From here a signal sets `cancel`; the scheduler stops and the verdict says so.
        stopper.raise_now = False
        for policy in policies:
            channel.add_secrets(*secret_set(env, token_env=policy.api.token_env).values)
        prefixes = campaign_prefixes([str(p) for p in paths])
        # An unknown campaign key is a usage error before any call.
        selected = select_across(policies, prefixes, request.campaigns)
        if _baseline_auto(request):
            found = governed[0].baseline
            baseline = governed[0].baseline_payloads()
            document = found.verdict if found is not None else None
            usable = document is not None and isinstance(document.get("campaigns"), list)
            baseline_runs = saved_runs(document) if usable and document else {}
        elif request.baseline is not None:
            baseline = read_baseline(request.baseline)
            baseline_runs = read_baseline_runs(request.baseline)
        else:
            baseline, baseline_runs = {}, {}
        plans = []
        for policy, prefix, keys in zip(policies, prefixes, selected, strict=True):
            if keys is None:
                continue  # --campaign named none of this policy's campaigns
            options = GateOptions(
                campaign_keys=keys,
                enforcement=settings.enforcement.value,
                # The runner resolves the gate timeout with the policy (settings.gate_timeout).
                timeout=request.timeout,
                soft_exit_code=settings.soft_exit_code.value,
                fresh=request.fresh,
                baseline=baseline_for(policy, prefix, baseline),
                baseline_runs=baseline_for(policy, prefix, baseline_runs),
            )
            plans.append((policy, prefix, options, resolve_gate(command_line, env, policy)))
        if request.dry_run:
            for policy, _prefix, options, gate in plans:
                print_plan(policy, options, ci, gate.base_url, channel=channel)
            return int(ExitCode.OK)
        sandbox = None
        if request.sandbox is not None:
            sandbox = stack.enter_context(_sandbox(request.sandbox))
            # The CI's token stays a secret even when --sandbox talks with another one.
            channel.add_secrets(sandbox.token)
        # Before anything else is printed, so the CI hides the tokens everywhere.
        channel.masks(env)
        if sandbox is not None:
            channel.line(f"gate-runner: sandbox from {request.sandbox} at {sandbox.url}")
        cancel = stopper.cancel
        runs = []
        rules = {id(g.policy): g for g in governed}
        for policy, prefix, options, gate in plans:
            base_url = gate.base_url.value
            token = token_value(env.get(policy.api.token_env))
            if sandbox is not None:
                base_url, token = sandbox.url, sandbox.token
            if len(plans) > 1:
                # Progress lines follow.
                channel.line(f"gate-runner: policy {terminal(policy.path)}")
            own = _run(
                policy,
                options,
                base_url,
                token,
                ci=ci,
                clock=clock if len(plans) == 1 else GateClock(),
                cancel=cancel,
                request_timeout=request_timeout,
            )
            own = _governed(own, rules[id(policy)], options, ci)
            runs.append(PolicyRun(policy.path, prefix, own))
        verdict = merge_verdicts(runs, soft_exit_code=settings.soft_exit_code.value)
        if len(runs) > 1:
            verdict = merge_governance(verdict, [run.verdict for run in runs])
        if cancel.is_set() and not verdict.interrupted:
            # Cancelled after the last decision: the verdict is whole, but CI asked us to stop.
            verdict = mark_interrupted(verdict, soft_exit_code=request.soft_exit_code)
        code = deliver(
            verdict,
            request.verdict_path,
            specs,
            channel=channel,
            env=env,
            comment=request.comment,
            cancel=cancel,
        )
        # After the verdict, reports and comment: statuses and the soft review (warnings only).
        forge_warnings = forge_results(
            scrubbed(verdict, channel)[0],
            publish=request.publish or any(p.publish for p in policies),
            reviews=[
                PolicyReview(policy.enforcement.soft, frozenset(prefixed(prefix, k) for k in keys))
                for policy, prefix, keys in judged(policies, prefixes, selected)
            ],
            env=env,
            cancel=cancel,
        )
        for warning in forge_warnings:
            channel.warning(warning)
        if cancel.is_set() and not verdict.interrupted:
            # The signal came while reporting: the files must not say the job ran to its end.
            rewrite_interrupted(
                verdict,
                request.verdict_path,
                specs,
                channel=channel,
                soft_exit_code=request.soft_exit_code,
            )
        return int(ExitCode.INTERRUPTED) if cancel.is_set() else code


def _baseline_auto(request: CheckRequest) -> bool:
    return request.baseline is not None and str(request.baseline) == "auto"


def _prepare(request: CheckRequest, path: Path, *, find_baseline: bool) -> GovernedGate:
    """The policy that judges (--policy-ref), the waiver rules, the baseline (--baseline auto).

    A ref that cannot be read raises PolicyRefUnreadable: exit 2 with the one fix named,
    and still a verdict file; it never falls back to the working tree.
    """
    if _baseline_auto(request) and request.store is None:
        raise UsageError("--baseline auto needs --store DIR or --store git-notes")
    governance = GovernanceRequest(
        policy_ref=request.policy_ref,
        baseline_auto=_baseline_auto(request) and find_baseline,
        store=request.store,
    )
    return prepare(path, governance, load=load_policy, env=os.environ, today=date.today())


def _governed(verdict: Verdict, governed: GovernedGate, options: Any, ci: CIContext) -> Verdict:
    today = date.today()

    def rejudge(policy: Policy, key: str, payload: dict[str, Any]) -> CampaignResult:
        one = replace(options, campaign_keys=(key,))
        return evaluate_payloads(policy, {key: payload}, one, ci=ci, today=today).campaigns[0]

    return govern(
        verdict,
        governed,
        rejudge=rejudge,
        baseline=options.baseline,
        soft_exit_code=options.soft_exit_code,
    )


def _run(
    policy: Policy,
    options: Any,
    base_url: str,
    token: str | None,
    *,
    ci: CIContext,
    clock: Any,
    cancel: threading.Event,
    request_timeout: float,
) -> Verdict:
    today = date.today()
    try:
        if token is None:
            raise ServiceError(
                "auth",
                f"no API token: the variable {policy.api.token_env} is not set "
                f"(api.token_env in {policy.path}); set it in the CI secrets",
            )
        unusable = bad_token_reason(token)
        if unusable is not None:
            # requests would fail deep inside (exit 4) or print the header; nothing is sent.
            raise ServiceError(
                "auth",
                f"the token in {policy.api.token_env} cannot be sent: {unusable}; "
                "set it again in the CI secrets",
            )
        client = SepuruxClient(
            base_url,
            token,
            token_env=policy.api.token_env,
            auth_header=policy.api.auth_header,
            project=policy.api.project,
            request_timeout=request_timeout,
        )
    except ServiceError as error:
        return gate_error_verdict(policy, error, options, ci=ci, today=today, clock=clock)
    total = len(select_campaigns(policy, options.campaign_keys))
    try:
        with Progress(output.current(), total=total) as progress:
            return run_gate(
                policy,
                options,
                client,
                ci=ci,
                today=today,
                clock=clock,
                on_event=progress.on_event,
                cancel=cancel,
            )
    finally:
        client.close()


@contextmanager
def _sandbox(scenario_path: Path) -> Iterator[Any]:
    with Sandbox(load_scenario(scenario_path), host="127.0.0.1", port=0) as sandbox:
        yield sandbox
