"""The `check` use case: a CheckRequest in, one verdict (and its exit code) out; never prints.

prepare (the policies, governance, the baseline, a plan per policy), then run (the token
checked, the sandbox started, the runs made), govern, decide (once per policy, by enforce,
with governance's part and the job's cancel state in), and merge (the worst code wins).
What a user sees on the way (secrets to mask, lines, progress) goes to the CheckObserver
the caller gives; files, reports and the forge are the caller's.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from gate_runner.api import RunEvent, SepuruxClient
from gate_runner.check_plan import (
    CheckRequest,
    PolicyPlan,
    check_usage,
    plan_policies,
    policy_paths,
    prepare_policy,
)
from gate_runner.config import load_policy
from gate_runner.enforce import Undecided, decided_verdict
from gate_runner.errors import PolicyError, ServiceError, UsageError
from gate_runner.governance.check_gate import (
    GovernedGate,
    PolicyRefUnreadable,
    govern,
    merge_governance,
)
from gate_runner.governance.history.reuse import file_results, plan_reuse
from gate_runner.governance.history.store import ReuseRecords, open_reuse_records
from gate_runner.monorepo import PolicyRun, merge_verdicts
from gate_runner.policy import Policy
from gate_runner.runner import (
    GateClock,
    gate_errored,
    judge_payloads,
    run_gate,
    select_campaigns,
)
from gate_runner.sandbox import Sandbox, load_scenario
from gate_runner.secrets import bad_token_reason, token_value
from gate_runner.settings import GateSettings, resolve_gate
from gate_runner.verdict import CampaignResult, CIContext, Verdict


@dataclass(frozen=True)
class PolicyFailure:
    """No policy to judge by: which file, and why (the caller still writes a verdict)."""

    path: Path
    error: PolicyError | PolicyRefUnreadable


@dataclass(frozen=True)
class UsageFailure:
    """A usage error found once the policies loaded (an unknown --campaign, an unreadable
    --baseline, one the observer raised): nothing ran; the policy and its mode are known."""

    policy: Policy
    error: UsageError


@dataclass(frozen=True)
class Checked:
    """What `check` came to: the plans, and the verdict (None for a dry run)."""

    plans: tuple[PolicyPlan, ...]
    verdict: Verdict | None
    # Whether any policy asks for statuses (`publish: true`), run by --campaign or not.
    publish: bool = False


# A client for a policy's API: (base URL, token, policy, seconds per request).
Connect = Callable[[str, str, Policy, float], SepuruxClient]


class CheckObserver(Protocol):
    """What the caller shows on the way; every method is called from this thread."""

    def loaded(self, policies: Sequence[Policy]) -> None:
        """Every policy is loaded (their tokens are secrets now); no run has started.

        A UsageError raised here (a flag of the caller's it cannot use, such as --report
        pdf) ends the check as a UsageFailure: the caller still writes a verdict.
        """

    def api_ready(self, sandbox: Sandbox | None) -> None:
        """The API is known (the sandbox's, when one was started); runs start next."""

    def policy_started(self, policy: Policy, count: int, keys: Sequence[str]) -> None:
        """One policy's runs start (of `count` policies), for the campaigns `keys` names."""

    def progress(self, total: int) -> AbstractContextManager[Callable[[RunEvent], None]]:
        """Around one policy's runs: where its run events go."""


def connect(base_url: str, token: str, policy: Policy, request_timeout: float) -> SepuruxClient:
    """The real client for a policy's API."""
    return SepuruxClient(
        base_url,
        token,
        token_env=policy.api.token_env,
        auth_header=policy.api.auth_header,
        project=policy.api.project,
        request_timeout=request_timeout,
    )


def check(
    request: CheckRequest,
    observer: CheckObserver,
    *,
    env: Mapping[str, str],
    ci: CIContext,
    clock: GateClock,
    cancel: threading.Event,
    today: date,
    load: Callable[[Path], Policy] | None = None,
    client: Connect = connect,
) -> Checked | PolicyFailure | UsageFailure:
    """Prepare, run, govern, decide, merge: the verdict, with the exit code enforce decides.

    `today` is the day judged at (--as-of): the schedule's mode and the waivers in force.
    `cancel` (a threading.Event) stops the runs; the verdict then says it was interrupted.
    An invalid policy (an api.base_url the CI does not trust too) or an unreadable
    --policy-ref is a PolicyFailure, a usage error found after the policies loaded a
    UsageFailure, not an exception.
    """
    settings = check_usage(request, env)
    if load is None:  # a remote extends (or --floor) arrives within the gate's --timeout
        deadline = clock.started + request.timeout if request.timeout is not None else None
        load = functools.partial(load_policy, deadline=deadline, floors=request.floors, today=today)
    governed: list[GovernedGate] = []
    gates: list[GateSettings] = []
    for index, path in enumerate(policy_paths(request, env)):
        try:
            # The baseline is the repository's: looked up once, with the first policy.
            governed.append(prepare_policy(request, path, env, today, load, first=index == 0))
            # Before any request: a policy's api.base_url at an origin the CI does not trust
            # is its error (settings.base_url), even for a policy --campaign leaves out.
            gates.append(resolve_gate(request.command_line(), env, governed[-1].policy))
        except (PolicyError, PolicyRefUnreadable) as error:
            return PolicyFailure(path, error)
    try:
        observer.loaded([g.policy for g in governed])
        plans = plan_policies(request, governed, gates, settings)
    except UsageError as error:
        return UsageFailure(governed[0].policy, error)
    publish = any(g.policy.publish for g in governed)
    if request.dry_run:
        return Checked(plans, None, publish)
    records = open_reuse_records(request.store, env=env) if request.store is not None else None
    with ExitStack() as stack:
        sandbox = None
        if request.sandbox is not None:
            scenario = load_scenario(request.sandbox)
            sandbox = stack.enter_context(Sandbox(scenario, host="127.0.0.1", port=0))
        observer.api_ready(sandbox)
        runs = []
        for plan in plans:
            base_url = plan.base_url.value
            token = token_value(env.get(plan.policy.api.token_env))
            if sandbox is not None:
                base_url, token = sandbox.url, sandbox.token
            observer.policy_started(plan.policy, len(plans), plan.options.campaign_keys)
            own = _run(
                plan,
                base_url,
                token,
                observer,
                records=records,
                api_base=plan.base_url.value if request.sandbox is None else _sandbox(request),
                ci=ci,
                clock=clock if len(plans) == 1 else GateClock(),
                cancel=cancel,
                today=today,
                request_timeout=settings.request_timeout.value,
                client=client,
            )
            judged = _governed(own, plan, ci, today)
            # Decided once, with all it rests on: a cancel that came before this policy's
            # verdict was whole interrupts it (one that comes later is the caller's to tell).
            decided = decided_verdict(
                judged, soft_exit_code=plan.options.soft_exit_code, interrupted=cancel.is_set()
            )
            runs.append(PolicyRun(plan.policy.path, plan.prefix, decided))
    verdict = merge_verdicts(runs, soft_exit_code=settings.soft_exit_code.value)
    if len(runs) > 1:
        verdict = merge_governance(verdict, [run.verdict for run in runs])
    return Checked(plans, verdict, publish)


def _governed(judged: Undecided, plan: PolicyPlan, ci: CIContext, today: date) -> Undecided:
    """One policy's judged gate with governance in (both policies judging, baseline, waivers)."""

    def rejudge(policy: Policy, key: str, payload: dict[str, Any]) -> CampaignResult:
        one = replace(plan.options, campaign_keys=(key,))
        return judge_payloads(policy, {key: payload}, one, ci=ci, today=today).campaigns[0]

    return govern(judged, plan.governed, rejudge=rejudge, baseline=plan.options.baseline)


def _run(
    plan: PolicyPlan,
    base_url: str,
    token: str | None,
    observer: CheckObserver,
    *,
    records: ReuseRecords | None,
    api_base: str,
    ci: CIContext,
    clock: GateClock,
    cancel: threading.Event,
    today: date,
    request_timeout: float,
    client: Connect,
) -> Undecided:
    """One policy's runs (those gate.reuse finds not run again); a token that is missing or
    cannot be sent errs every campaign."""
    policy, options = plan.policy, plan.options
    campaigns = select_campaigns(policy, options.campaign_keys)
    reuse = plan_reuse(
        policy,
        campaigns,
        records,
        api_base=api_base,
        ci=ci,
        fresh=options.fresh,
        now=datetime.now(timezone.utc),
    )
    options = replace(options, reused=reuse.found)
    if reuse.found and all(c.key in reuse.found for c in campaigns):
        # Nothing to run: no client, so no token is needed and nothing is sent.
        verdict = run_gate(policy, options, None, ci=ci, today=today, clock=clock, cancel=cancel)
        return replace(verdict, notes=(*verdict.notes, *reuse.notes))
    try:
        api = client(base_url, _usable_token(policy, token), policy, request_timeout)
    except ServiceError as error:
        return gate_errored(policy, error, options, ci=ci, today=today, clock=clock)
    try:
        with observer.progress(len(campaigns)) as on_event:
            verdict = run_gate(
                policy,
                options,
                api,
                ci=ci,
                today=today,
                clock=clock,
                on_event=on_event,
                cancel=cancel,
            )
    finally:
        api.close()
    filed = file_results(reuse, verdict.campaigns, ci=ci, now=datetime.now(timezone.utc))
    return replace(verdict, notes=(*verdict.notes, *reuse.notes, *filed))


def _sandbox(request: CheckRequest) -> str:
    """The API base a sandbox run is keyed by: its scenario (its port is new every time)."""
    assert request.sandbox is not None
    try:
        return "sandbox:" + hashlib.sha256(request.sandbox.read_bytes()).hexdigest()
    except OSError:
        return f"sandbox:{request.sandbox}"


def _usable_token(policy: Policy, token: str | None) -> str:
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
    return token
