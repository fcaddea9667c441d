"""The `check` command's flow: load the policy, start the sandbox if asked, run, deliver."""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from gate_runner import channel as output
from gate_runner.api import RunContext, SepuruxClient, run_key
from gate_runner.ci import detect
from gate_runner.cli.delivery import (
    deliver,
    deliver_policy_error,
    report_specs,
    rewrite_interrupted,
    verdict_without_policy,
)
from gate_runner.cli.progress import Progress
from gate_runner.cli.signals import StopNow, stop_on_signals
from gate_runner.config import load_policy
from gate_runner.errors import ExitCode, PolicyError, ServiceError, UsageError
from gate_runner.files import regular_target
from gate_runner.policy import DEFAULT_TOKEN_ENV, Mode, Policy
from gate_runner.runner import (
    GateClock,
    GateOptions,
    gate_error_verdict,
    mark_interrupted,
    plan_runs,
    run_gate,
    select_campaigns,
)
from gate_runner.sandbox import Sandbox, load_scenario
from gate_runner.secrets import bad_token_reason, secret_set, token_value
from gate_runner.verdict import CIContext, RunError, Verdict

DEFAULT_REQUEST_TIMEOUT = 10.0


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


def run_check(request: CheckRequest) -> int:
    clock = GateClock()
    channel = output.current()
    specs = report_specs(request.reports)
    if request.timeout is not None and not request.timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, not {request.timeout:g}")
    request_timeout = _request_timeout(os.environ)
    if request.sandbox and request.api_url:
        raise UsageError("--sandbox starts its own API; leave out --api-url")
    if str(request.verdict_path) != "-":
        # A device, FIFO or directory is refused before any run starts, and left as it is.
        regular_target(request.verdict_path)
    env = os.environ
    ci = detect(env)
    # Before the policy names its variable, the default one and the forge tokens are secrets.
    channel.add_secrets(*secret_set(env, token_env=DEFAULT_TOKEN_ENV).values)
    with ExitStack() as stack:
        stopper = stack.enter_context(stop_on_signals(channel))
        try:
            if stopper.cancel.is_set():
                raise StopNow
            policy = load_policy(request.config)
        except PolicyError as error:
            stopper.raise_now = False  # a signal now must not break the verdict's delivery
            return deliver_policy_error(
                error,
                request.config,
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
        channel.add_secrets(*secret_set(env, token_env=policy.api.token_env).values)
        # An unknown campaign key is a usage error before any call.
        select_campaigns(policy, request.campaigns)
        options = GateOptions(
            campaign_keys=request.campaigns,
            enforcement=request.enforcement,
            timeout=request.timeout,
            soft_exit_code=request.soft_exit_code,
            fresh=request.fresh,
            baseline=load_baseline(request.baseline),
        )
        if request.dry_run:
            _print_plan(policy, options, ci, request.api_url or env.get("SEPURUX_API_BASE_URL"))
            return int(ExitCode.OK)
        base_url = request.api_url or env.get("SEPURUX_API_BASE_URL") or policy.api.base_url
        token = token_value(env.get(policy.api.token_env))
        if request.sandbox is not None:
            sandbox = stack.enter_context(_sandbox(request.sandbox))
            base_url, token = sandbox.url, sandbox.token
            # The CI's token stays a secret even when --sandbox talks with another one.
            channel.add_secrets(sandbox.token)
        # Before anything else is printed, so the CI hides the tokens everywhere.
        channel.masks(env)
        if request.sandbox is not None:
            channel.line(f"gate-runner: sandbox from {request.sandbox} at {base_url}")
        cancel = stopper.cancel
        verdict = _run(
            policy,
            options,
            base_url,
            token,
            ci=ci,
            clock=clock,
            cancel=cancel,
            request_timeout=request_timeout,
        )
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


def _request_timeout(env: Mapping[str, str]) -> float:
    """Seconds one HTTP request may take: GATE_RUNNER_REQUEST_TIMEOUT, else 10."""
    text = env.get("GATE_RUNNER_REQUEST_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_REQUEST_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    # NaN and infinity would disable the timeout: refuse them like any other bad value.
    if not (math.isfinite(value) and value > 0):
        raise UsageError(
            f"GATE_RUNNER_REQUEST_TIMEOUT must be a positive number of seconds, not {text!r}"
        )
    return value


def load_baseline(path: Path | None) -> Mapping[str, dict[str, Any]]:
    """Campaign key -> payload of a previous verdict, for assertions that forbid regressions."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"--baseline {path}: {error.strerror}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise UsageError(f"--baseline {path}: not valid JSON ({error})") from None
    campaigns = data.get("campaigns") if isinstance(data, dict) else None
    if not isinstance(campaigns, list):
        raise UsageError(f"--baseline {path}: not a gate-runner verdict (no `campaigns` list)")
    return {
        c["key"]: c["payload"]
        for c in campaigns
        if isinstance(c, dict)
        and isinstance(c.get("key"), str)
        and isinstance(c.get("payload"), dict)
    }


def _print_plan(policy: Policy, options: Any, ci: CIContext, base_url: str | None) -> None:
    channel = output.current()
    runs = plan_runs(select_campaigns(policy, options.campaign_keys))
    url = (base_url or policy.api.base_url).rstrip("/")
    token_state = "set" if os.environ.get(policy.api.token_env) else "NOT set"
    channel.line(f"dry run: {len(runs)} run(s) would be created; nothing is called", err=False)
    channel.line(
        f"auth: {policy.api.auth_header} from ${policy.api.token_env} ({token_state})", err=False
    )
    for run in runs:
        body: dict[str, Any] = {"campaign": run.campaign, "thresholds": run.thresholds}
        for name, value in (
            ("trace_id", run.trace_id),
            ("trace_file", run.trace_file),
            ("mutation_pack_id", run.mutation_pack_id),
            ("repo", ci.repository),
            ("pull_request_number", ci.pull_request),
        ):
            if value is not None:
                body[name] = value
        context = RunContext(repo=ci.repository, pull_request=ci.pull_request, commit=ci.commit)
        key = run_key(run, context, policy.digest, options.fresh)
        if ci.commit is None:
            key += "  (random: no commit is known, so every gate starts new runs)"
        channel.line(f"\nPOST {url}/v1/ci/runs  ({run.key})", err=False)
        channel.line(f"Idempotency-Key: {key}", err=False)
        # A ${VAR} may have expanded the token into a field: the channel scrubs it.
        channel.line(json.dumps(body, indent=2), err=False)


@contextmanager
def _sandbox(scenario_path: Path) -> Iterator[Any]:
    with Sandbox(load_scenario(scenario_path), host="127.0.0.1", port=0) as sandbox:
        yield sandbox
