"""`gate-runner sandbox`: serve a local Sepurux-compatible API on loopback until SIGINT/SIGTERM."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from gate_runner import channel
from gate_runner.cli.common import guarded
from gate_runner.errors import ExitCode, UsageError


def register(app: typer.Typer) -> None:
    app.command("sandbox")(guarded(sandbox))


def sandbox(
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            help="Scenario file (YAML, schemas/scenario.schema.json); default: the built-in demo.",
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Loopback address to listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port; 0 picks a free one.")
    ] = 0,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", help="Token to accept; default: the scenario's, else sandbox-token."
        ),
    ] = None,
) -> None:
    """Serve a local Sepurux-compatible API driven by a scenario file, for demos and tests."""
    # late: `--help` imports every command module; the HTTP server loads when this one runs
    from gate_runner.sandbox import DEFAULT_TOKEN, Sandbox, Scenario, load_scenario
    from gate_runner.sandbox.demo import DEMO_SCENARIO  # late: as above

    try:
        loaded = load_scenario(scenario) if scenario else Scenario.from_dict(DEMO_SCENARIO)
        server = Sandbox(loaded, host=host, port=port, token=token).start()
    except UsageError as exc:
        channel.current().error(str(exc))
        raise typer.Exit(int(ExitCode.USAGE)) from None
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    out = channel.current()  # stdout: what the sandbox serves and served
    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        out.line(f"sandbox listening on {server.url}", err=False)
        if server.token == DEFAULT_TOKEN:
            out.line(f"token: {DEFAULT_TOKEN} (send it in X-Sepurux-Token or X-API-Key)", err=False)
        else:
            # A token given by flag or file is not repeated: CI logs keep what is printed.
            out.line("token: as given by --token or the scenario file", err=False)
        for campaign in loaded.campaigns:
            out.line(f"campaign {campaign.name}: {campaign.id} ({campaign.mode})", err=False)
        # A timed wait keeps the main thread responsive to signals on every platform.
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    counts = server.request_counts()
    out.line(
        f"sandbox stopped: {server.total_requests()} requests served, "
        f"{server.runs_created} runs created",
        err=False,
    )
    for key in sorted(counts):
        out.line(f"  {key}: {counts[key]}", err=False)
