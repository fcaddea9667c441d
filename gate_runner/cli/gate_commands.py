"""`check`, `evaluate` and `test`: options in, the runner called, reports out, an exit code."""

from __future__ import annotations

import json
import os
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from gate_runner import channel as output
from gate_runner.ci import detect
from gate_runner.cli.check_flow import CheckRequest, load_baseline, run_check
from gate_runner.cli.common import fail, load_policy_or_exit, run_safely
from gate_runner.cli.delivery import deliver, deliver_policy_error, report_specs
from gate_runner.errors import ExitCode, PolicyError, UsageError
from gate_runner.runner import GateOptions, evaluate_payloads
from gate_runner.secrets import secret_set

DEFAULT_VERDICT = "gate-runner-verdict.json"


class ModeChoice(str, Enum):
    observe = "observe"
    soft = "soft"
    hard = "hard"


CONFIG = typer.Option(Path("sepurux.yml"), "--config", "-c", help="The policy file.")
CAMPAIGN = typer.Option(None, "--campaign", help="Run only this campaign key (repeatable).")
ENFORCEMENT = typer.Option(None, "--enforcement", help="Override the mode in force (recorded).")
REPORT = typer.Option(
    None,
    "--report",
    help="FORMAT[=PATH], repeatable: text, json, junit, sarif, gitlab, github, markdown.",
)
VERDICT = typer.Option(Path(DEFAULT_VERDICT), "--verdict", help="Where the verdict JSON goes.")
SOFT_EXIT = typer.Option(
    0,
    "--soft-exit-code",
    help="Exit code for a failure in soft mode "
    "(GitLab allow_failure, Buildkite soft_fail, Jenkins UNSTABLE).",
)
BASELINE = typer.Option(
    None, "--baseline", help="A previous verdict; assertions see its payload as `baseline`."
)


def check(
    config: Path = CONFIG,
    campaign: list[str] | None = CAMPAIGN,
    enforcement: ModeChoice | None = ENFORCEMENT,
    timeout: float | None = typer.Option(None, "--timeout", help="Seconds for the whole gate."),
    api_url: str | None = typer.Option(None, "--api-url", help="Sepurux API base URL."),
    verdict: Path = VERDICT,
    report: list[str] | None = REPORT,
    soft_exit_code: int = SOFT_EXIT,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the runs it would create; call nothing."
    ),
    fresh: bool = typer.Option(
        False, "--fresh", help="Start new runs even if this commit has some."
    ),
    baseline: Path | None = BASELINE,
    sandbox: Path | None = typer.Option(
        None,
        "--sandbox",
        help="Run against a local sandbox started from this scenario file (no account needed).",
    ),
    comment: bool = typer.Option(
        False, "--comment", help="Post or update one sticky PR/MR comment."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback for internal errors."),
) -> None:
    """Run the campaigns, evaluate, enforce, report, and exit with the verdict's code."""
    request = CheckRequest(
        config=config,
        campaigns=tuple(campaign or ()),
        enforcement=_mode(enforcement),
        timeout=timeout,
        api_url=api_url,
        verdict_path=verdict,
        reports=tuple(report or ()),
        soft_exit_code=soft_exit_code,
        dry_run=dry_run,
        fresh=fresh,
        baseline=baseline,
        sandbox=sandbox,
        comment=comment,
    )

    def work() -> int:
        check_soft_exit_code(request.soft_exit_code)
        return run_check(request)

    raise typer.Exit(run_safely(work, debug=debug))


def evaluate(
    payload: Path = typer.Option(..., "--payload", help="A saved decision payload (or a verdict)."),
    campaign: str | None = typer.Option(None, "--campaign", help="The campaign key it belongs to."),
    config: Path = CONFIG,
    enforcement: ModeChoice | None = ENFORCEMENT,
    soft_exit_code: int = SOFT_EXIT,
    verdict: Path = VERDICT,
    report: list[str] | None = REPORT,
    baseline: Path | None = BASELINE,
    debug: bool = typer.Option(False, "--debug", help="Show a traceback for internal errors."),
) -> None:
    """Evaluate a saved payload against the policy, with no API: same checks, same exit codes."""

    def work() -> int:
        specs = report_specs(report or ())
        check_soft_exit_code(soft_exit_code)
        try:
            policy = load_policy_or_exit(config)
        except PolicyError as error:
            # A verdict in every phase: the reports a workflow uploads exist even now.
            return deliver_policy_error(
                error,
                config,
                verdict,
                specs,
                channel=output.current(),
                env=os.environ,
                enforcement=_mode(enforcement),
            )
        payloads = _payloads(payload, campaign, [c.key for c in policy.campaigns])
        options = GateOptions(
            campaign_keys=tuple(payloads),
            enforcement=_mode(enforcement),
            soft_exit_code=soft_exit_code,
            baseline=load_baseline(baseline),
        )
        result = evaluate_payloads(
            policy, payloads, options, ci=detect(os.environ), today=date.today()
        )
        # No API call, but a saved payload may echo the token the policy names: scrub it.
        channel = output.current()
        channel.add_secrets(*secret_set(os.environ, token_env=policy.api.token_env).values)
        channel.masks(os.environ)
        return deliver(result, verdict, specs, channel=channel, env=os.environ)

    raise typer.Exit(run_safely(work, debug=debug))


def test(
    directory: Path = typer.Argument(Path("policy-tests"), help="A folder of policy test cases."),
    config: Path = CONFIG,
) -> None:
    """Run policy tests: saved payloads and the outcome each must give."""

    def work() -> int:
        from gate_runner.policy_tests import find_cases, run_case

        cases = find_cases(directory)
        if not cases:
            fail(f"{directory}: no test cases (*.yml, *.yaml)")
        passed = failed = 0
        for path in cases:
            result = run_case(path, config, load_policy_or_exit)
            if result.passed:
                passed += 1
                typer.echo(f"PASS {path}")
            else:
                failed += 1
                typer.echo(f"FAIL {path}: " + "; ".join(result.problems))
        typer.echo(f"{passed} passed, {failed} failed")
        return ExitCode.BLOCKED if failed else ExitCode.OK

    raise typer.Exit(run_safely(work, debug=False))


def check_soft_exit_code(code: int) -> None:
    if code == 0:
        return
    if not 5 <= code <= 125:
        raise UsageError(
            f"--soft-exit-code {code} is not allowed: use 0 or 5–125 (1–4 already mean blocked, "
            "invalid, no decision and internal error; 126 and up are reserved by shells)"
        )


def _mode(choice: ModeChoice | None) -> Any:
    return choice.value if choice is not None else None


def _payloads(path: Path, campaign: str | None, keys: list[str]) -> dict[str, dict[str, Any]]:
    """A bare payload for one campaign, or a saved verdict whose payloads are judged again."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"{path}: cannot read the payload: {error.strerror}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise UsageError(f"{path}: not valid JSON: {error}") from None
    if (
        isinstance(data, dict)
        and isinstance(data.get("campaigns"), list)
        and "schema_version" in data
    ):
        saved: dict[str, dict[str, Any]] = {
            c["key"]: c["payload"]
            for c in data["campaigns"]
            if isinstance(c, dict)
            and isinstance(c.get("key"), str)
            and isinstance(c.get("payload"), dict)
        }
        wanted = [campaign] if campaign else list(saved)
        missing = [k for k in wanted if k not in saved]
        if missing or not wanted:
            holds = ", ".join(missing) or "any campaign"
            raise UsageError(f"{path}: the verdict holds no payload for {holds}")
        return {k: saved[k] for k in wanted}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a payload must be a JSON object, not {type(data).__name__}")
    if campaign is None:
        if len(keys) != 1:
            raise UsageError(
                f"the policy has {len(keys)} campaigns ({', '.join(keys)}); "
                "say which one this payload is for with --campaign"
            )
        campaign = keys[0]
    return {campaign: data}


def register(app: typer.Typer) -> None:
    app.command("check")(check)
    app.command("evaluate")(evaluate)
    app.command("test")(test)
