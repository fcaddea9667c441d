"""The command line: a thin typer adapter over the core; the only layer that prints or exits."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from gate_runner.channel import standard_streams
from gate_runner.cli import fast_validate
from gate_runner.cli.common import run_safely


def main() -> None:
    standard_streams()  # `>&-` / `2>&-`: no file or socket may take descriptor 1 or 2
    argv = sys.argv[1:]
    if argv[:1] == ["check"]:
        # late: `validate` never holds signals, and signal's enums cost its start-up
        from gate_runner.cli.signals import hold_signals

        hold_signals()  # a signal during start-up still gets its verdict
    # Every command also runs in run_safely where it is registered; this catches the rest
    # (the fast path, imports, registration), so no fault ever ends in a bare traceback.
    raise SystemExit(run_safely(lambda: _dispatch(argv), debug="--debug" in argv))


def _dispatch(argv: Sequence[str]) -> int:
    code = fast_validate.fast_path(argv)  # read at the call: a test may stand in for it
    if code is not None:
        return code
    # late: typer (and pydantic) cost ~80 ms; validate runs in every CI job without them
    from gate_runner.cli.typer_app import _register, app

    _register()
    app()  # standalone: click exits with the command's code (SystemExit passes run_safely)
    return 0
