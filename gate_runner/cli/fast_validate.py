"""``gate-runner validate`` without typer: the command CI runs most, kept near interpreter start."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from gate_runner import channel as output_channel
from gate_runner import config
from gate_runner.secrets import policy_secrets
from gate_runner.settings import floor_policies

FORMATS = ("text", "json")


def run_validate(
    paths: Sequence[Path], output: str, *, offline: bool = False, floors: Sequence[str] = ()
) -> int:
    """Validate, print (problems on stderr, the success line on stdout), return the exit code.

    offline: remote parents come from the cache only; one that is not there is skipped with
    a warning (on stderr, "warning: " after the position), which does not fail the file.
    floors: each --floor (and GATE_RUNNER_FLOOR): a setting it would raise is a warning.
    """
    import os

    results = config.check_files(paths, offline=offline, floors=floor_policies(floors, os.environ))
    valid = not any(r.diagnostics for r in results.values())
    channel = output_channel.current()
    if not valid or any(r.warnings for r in results.values()):
        # A message may name an expanded value: the tokens the files name are scrubbed.
        named = [name for r in results.values() for name in r.token_envs]
        channel.add_secrets(*policy_secrets(os.environ, named).values)
    if output == "json":
        files = {name: [d.to_dict() for d in r.diagnostics] for name, r in results.items()}
        document: dict[str, object] = {"valid": valid, "files": files}
        if offline or floors or any(r.warnings for r in results.values()):
            document["warnings"] = {
                name: [d.to_dict() for d in r.warnings] for name, r in results.items()
            }
        if any(r.notes for r in results.values()):
            document["notes"] = {
                name: [d.to_dict() for d in r.notes] for name, r in results.items()
            }
        channel.out(json.dumps(document, indent=2) + "\n")
    else:
        for result in results.values():
            for note in result.notes:  # a rule staged apart: its mode today, its schedule
                channel.line(str(replace(note, message=f"note: {note.message}")))
            for warning in result.warnings:
                shown = replace(warning, message=f"warning: {warning.message}")
                channel.line(str(shown))
            for diagnostic in result.diagnostics:
                channel.line(str(diagnostic))
        if valid:
            names = ", ".join(str(p) for p in paths)
            channel.line(f"ok: {names} {'is' if len(paths) == 1 else 'are'} valid", err=False)
    if valid:
        return 0
    # Only remote files that could not be fetched: nothing is known to be wrong (exit 3).
    failed = [r for r in results.values() if r.diagnostics]
    return 3 if all(r.unreachable for r in failed) else 2


def fast_path(argv: Sequence[str]) -> int | None:
    """Run ``validate`` when argv is plainly that; None hands the rest (help, errors) to typer."""
    if not argv or argv[0] != "validate":
        return None
    files: list[Path] = []
    output = "text"
    offline = False
    floors: list[str] = []
    args = list(argv[1:])
    only_files = False
    while args:
        arg = args.pop(0)
        if only_files or not arg.startswith("-") or arg == "-":
            files.append(Path(arg))
        elif arg == "--":
            only_files = True
        elif arg == "--offline":
            offline = True
        elif arg == "--floor" and args:
            floors.append(args.pop(0))
        elif arg.startswith("--floor="):
            floors.append(arg.split("=", 1)[1])
        elif arg == "--format" and args and args[0] in FORMATS:
            output = args.pop(0)
        elif arg.startswith("--format=") and arg.split("=", 1)[1] in FORMATS:
            output = arg.split("=", 1)[1]
        else:
            return None
    return run_validate(files or [Path("sepurux.yml")], output, offline=offline, floors=floors)
