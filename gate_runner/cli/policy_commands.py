"""Commands about the policy file: validate, explain, schema, init."""

from __future__ import annotations

import enum
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from gate_runner import channel
from gate_runner.cli.common import AS_OF_HELP, as_of, guarded
from gate_runner.cli.fast_validate import run_validate
from gate_runner.config import check_files, load_policy
from gate_runner.errors import ExitCode
from gate_runner.secrets import loaded_policy_secrets
from gate_runner.settings import floor_policies


class OutputFormat(str, enum.Enum):
    text = "text"
    json = "json"


def _fail(message: str, code: ExitCode = ExitCode.USAGE) -> typer.Exit:
    channel.current().error(message)
    return typer.Exit(int(code))


def validate(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Policy files (default: ./sepurux.yml).")
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = (
        OutputFormat.text
    ),
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Fetch nothing: remote extends from the cache, or skipped with a warning.",
        ),
    ] = False,
    floor: Annotated[
        list[str] | None,
        typer.Option(
            "--floor",
            metavar="POLICY",
            help="A central policy as a floor (a path, or URL#sha256=HEX); repeatable, and "
            "GATE_RUNNER_FLOOR too: each setting it would judge instead is a warning.",
        ),
    ] = None,
) -> None:
    """Validate policy files: schema and semantic checks, every problem with its line and column."""
    code = run_validate(
        files or [Path("sepurux.yml")], output.value, offline=offline, floors=floor or ()
    )
    if code:
        raise typer.Exit(code)


def explain(
    config: Annotated[Path, typer.Option("--config", help="The policy file.")] = Path(
        "sepurux.yml"
    ),
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = (
        OutputFormat.text
    ),
    on: Annotated[
        str | None, typer.Option("--as-of", metavar="YYYY-MM-DD", help=AS_OF_HELP)
    ] = None,
    old_date: Annotated[str | None, typer.Option("--date", hidden=True)] = None,
    attempts: Annotated[
        int,
        typer.Option(
            "--attempts",
            min=1,
            max=10_000,
            help="Attempts a run makes, for each campaign's simulated outlook (default 50).",
        ),
    ] = 50,
    floor: Annotated[
        list[str] | None,
        typer.Option(
            "--floor",
            metavar="POLICY",
            help="Explain the policy as a floor raises it (a path, or URL#sha256=HEX); "
            "repeatable, and GATE_RUNNER_FLOOR too.",
        ),
    ] = None,
) -> None:
    """Show the effective policy after extends, each value with its origin, and today's mode,
    and what each campaign's settings promise (P(pass) near the bar, mean runs; simulated)."""
    # late: `--help` imports every command module; the outlook's statistics load when it runs
    from gate_runner.config.explain import explanation, render_text
    from gate_runner.modes import mode_in_force  # late: as above

    today = as_of(on, old=old_date, old_flag="--date")
    floors = floor_policies(floor or (), os.environ)
    # A PolicyError reaches the one handler (common.run_safely).
    policy = load_policy(config, floors=floors, today=today)
    enforcement = mode_in_force(policy, None, today=today, override=None)
    data = explanation(policy, today, enforcement, attempts=attempts)
    text = json.dumps(data, indent=2) if output is OutputFormat.json else render_text(data)
    # A ${VAR} may have expanded the token into a value (trace_id: ${SEPURUX_API_KEY}).
    out = channel.current()
    out.secrets = loaded_policy_secrets(os.environ, policy)
    # What validate warns (settings with no effect, what a floor judges), on stderr.
    for warning in check_files([config], floors=floors, today=today)[str(config)].warnings:
        out.line(str(replace(warning, message=f"warning: {warning.message}")))
    out.line(text, err=False)


def schema(
    verdict: Annotated[bool, typer.Option("--verdict", help="The verdict's schema.")] = False,
    scenario: Annotated[
        bool, typer.Option("--scenario", help="The sandbox scenario's schema.")
    ] = False,
) -> None:
    """Print a JSON Schema: the policy's (default), the verdict's or the sandbox scenario's."""
    from importlib import resources

    if verdict and scenario:
        raise _fail("choose one of --verdict and --scenario")
    name = "verdict" if verdict else "scenario" if scenario else "sepurux"
    resource = resources.files("gate_runner").joinpath(f"schemas/{name}.schema.json")
    try:
        text = resource.read_text(encoding="utf-8")
    except OSError:
        raise _fail(
            f"schemas/{name}.schema.json is missing from this installation", ExitCode.INTERNAL
        ) from None
    channel.current().line(text, err=False)


def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter policy.")] = Path(
        "sepurux.yml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter sepurux.yml that validates, and the schema its modeline names."""
    # late: the starter is read from the package at import; only init needs it
    from gate_runner.templates import starter_files

    if path.exists() and not force:
        raise _fail(f"{path} already exists; use --force to overwrite it")
    files = starter_files(path)
    for target, text in files.items():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot write {target}: {exc.strerror or exc}") from None
    written = " and ".join(str(p) for p in files)
    next_step = f"next: gate-runner validate {path}"
    channel.current().line(f"wrote {written} (commit both); {next_step}", err=False)


def register(app: typer.Typer) -> None:
    for command in (validate, explain, schema, init):
        app.command(command.__name__)(guarded(command))
