"""`check`, `evaluate` and `test`: options in, the runner called, reports out, an exit code."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gate_runner import channel as output
from gate_runner.cli.common import AS_OF_HELP, as_of, fail, guarded
from gate_runner.errors import ExitCode
from gate_runner.report.registry import report_help
from gate_runner.settings import DEFAULT_VERDICT_PATH, floor_policies

if TYPE_CHECKING:
    from gate_runner.policy import Mode


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
    help=report_help(),
)
VERDICT = typer.Option(DEFAULT_VERDICT_PATH, "--verdict", help="Where the verdict JSON goes.")
SOFT_EXIT = typer.Option(
    0,
    "--soft-exit-code",
    help="Exit code for a failure in soft mode "
    "(GitLab allow_failure, Buildkite soft_fail, Jenkins UNSTABLE).",
)
BASELINE = typer.Option(
    None,
    "--baseline",
    help="A previous verdict; assertions see its payload as `baseline` "
    "(check: `auto` finds the merge base's verdict in --store).",
)
CHECK_CONFIG = typer.Option(
    None,
    "--config",
    "-c",
    metavar="PATH",
    help="The policy file (default sepurux.yml); repeat it for several policies (a monorepo).",
)
DISCOVER = typer.Option(
    False,
    "--discover",
    help="Judge every sepurux.yml under this directory (as git lists it: .gitignore respected).",
)
PUBLISH = typer.Option(
    False,
    "--publish",
    help="Post a status per campaign and one for the gate on GitHub, GitLab, Bitbucket or Azure"
    " DevOps (as the policy's `publish: true`).",
)
DEBUG = typer.Option(False, "--debug", help="Show a traceback for internal errors.")
AS_OF = typer.Option(None, "--as-of", metavar="YYYY-MM-DD", help=AS_OF_HELP)


def check(
    config: list[Path] | None = CHECK_CONFIG,
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
        False,
        "--fresh",
        help="Start new runs even if this commit has some, and reuse no stored result "
        "(gate.reuse).",
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
    policy_ref: str | None = typer.Option(
        None,
        "--policy-ref",
        help="Judge by the policy at this git ref (auto: the PR's target branch); "
        "a loosening in the working tree then follows gate.policy_changes.",
    ),
    store: str | None = typer.Option(
        None,
        "--store",
        help="Where --baseline auto looks and gate.reuse files and finds results: a "
        "directory, or git-notes (refs/notes/gate-runner).",
    ),
    publish: bool = PUBLISH,
    discover: bool = DISCOVER,
    floor: list[str] | None = typer.Option(
        None,
        "--floor",
        metavar="POLICY",
        help="A central policy as a floor (a path, or URL#sha256=HEX); repeatable, and "
        "GATE_RUNNER_FLOOR too. Its bar judges wherever the repository's is looser.",
    ),
    on: str | None = AS_OF,
    debug: bool = DEBUG,
) -> int:
    """Run the campaigns, evaluate, enforce, report, and exit with the verdict's code."""
    # late: `--help` imports every command module; a command's core loads when it runs
    from gate_runner.check_plan import CheckRequest
    from gate_runner.cli.check_flow import Delivery, run_check  # late: as above

    configs = tuple(config or ())
    request = CheckRequest(
        configs=configs,
        discover=discover,
        campaigns=tuple(campaign or ()),
        enforcement=_mode(enforcement),
        timeout=timeout,
        api_url=api_url,
        soft_exit_code=soft_exit_code,
        fresh=fresh,
        baseline=baseline,
        sandbox=sandbox,
        policy_ref=policy_ref,
        store=store,
        dry_run=dry_run,
        floors=floor_policies(floor or (), os.environ),
    )
    delivery = Delivery(
        verdict_path=verdict, reports=tuple(report or ()), comment=comment, publish=publish
    )
    return run_check(request, delivery, today=as_of(on))


def evaluate(
    payload_file: Path = typer.Option(
        ..., "--payload", help="A saved decision payload (or a verdict)."
    ),
    campaign: str | None = typer.Option(None, "--campaign", help="The campaign key it belongs to."),
    config: Path = CONFIG,
    enforcement: ModeChoice | None = ENFORCEMENT,
    soft_exit_code: int = SOFT_EXIT,
    verdict: Path = VERDICT,
    report: list[str] | None = REPORT,
    baseline: Path | None = BASELINE,
    on: str | None = AS_OF,
    debug: bool = DEBUG,
) -> int:
    """Evaluate a saved payload against the policy, with no API: same checks, same exit codes."""
    # late: `--help` imports every command module; a command's core loads when it runs
    from gate_runner.cli.evaluate_flow import run_evaluate

    return run_evaluate(
        payload_file, campaign, config, enforcement=_mode(enforcement),
        soft_exit_code=soft_exit_code, verdict=verdict, reports=tuple(report or ()),
        baseline=baseline, on=on,
    )  # fmt: skip


def test(
    directory: Path = typer.Argument(Path("policy-tests"), help="A folder of policy test cases."),
    config: Path = CONFIG,
) -> int:
    """Run policy tests: saved payloads and the outcome each must give."""
    # late: `--help` imports every command module; a command's core loads when it runs
    from gate_runner.config import load_policy
    from gate_runner.policy_tests import find_cases, run_case  # late: as above

    cases = find_cases(directory)
    if not cases:
        fail(f"{directory}: no test cases (*.yml, *.yaml)")
    passed = failed = 0
    out = output.current()
    for path in cases:
        result = run_case(path, config, load_policy)
        if result.passed:
            passed += 1
            out.line(f"PASS {path}", err=False)
        else:
            failed += 1
            out.line(f"FAIL {path}: " + "; ".join(result.problems), err=False)
    out.line(f"{passed} passed, {failed} failed", err=False)
    return int(ExitCode.BLOCKED if failed else ExitCode.OK)


def _mode(choice: ModeChoice | None) -> Mode | None:
    return choice.value if choice is not None else None


def register(app: typer.Typer) -> None:
    for command in (check, evaluate, test):
        app.command(command.__name__)(guarded(command))
