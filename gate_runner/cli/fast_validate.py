"""``gate-runner validate`` without typer: the command CI runs most, kept near interpreter start."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

FORMATS = ("text", "json")


def run_validate(paths: Sequence[Path], output: str) -> int:
    """Validate, print (problems on stderr, the success line on stdout), return the exit code."""
    from gate_runner.config import validate_files

    results = validate_files(paths)
    valid = not any(results.values())
    if output == "json":
        files = {name: [d.to_dict() for d in found] for name, found in results.items()}
        sys.stdout.write(json.dumps({"valid": valid, "files": files}, indent=2) + "\n")
    else:
        for found in results.values():
            for diagnostic in found:
                sys.stderr.write(f"{diagnostic}\n")
        if valid:
            names = ", ".join(str(p) for p in paths)
            sys.stdout.write(f"ok: {names} {'is' if len(paths) == 1 else 'are'} valid\n")
    return 0 if valid else 2


def fast_path(argv: Sequence[str]) -> int | None:
    """Run ``validate`` when argv is plainly that; None hands the rest (help, errors) to typer."""
    if not argv or argv[0] != "validate":
        return None
    files: list[Path] = []
    output = "text"
    args = list(argv[1:])
    only_files = False
    while args:
        arg = args.pop(0)
        if only_files or not arg.startswith("-") or arg == "-":
            files.append(Path(arg))
        elif arg == "--":
            only_files = True
        elif arg == "--format" and args and args[0] in FORMATS:
            output = args.pop(0)
        elif arg.startswith("--format=") and arg.split("=", 1)[1] in FORMATS:
            output = arg.split("=", 1)[1]
        else:
            return None
    return run_validate(files or [Path("sepurux.yml")], output)
