"""`check` in process: what `gate-runner check` runs between reading its flags and exiting.

The use case (`use_case.check`) with the CLI's own progress lines and delivery (`deliver`
writes the verdict and the reports and prints the summary), through a channel that scrubs the
same secrets the CLI adds. What only a process adds (argv and the environment read, signals,
the real streams, the exit status) is the same for every input, so a family of inputs that
differ only in what the gate makes of them runs here, and one of them as a process.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from gate_runner import use_case
from gate_runner.api import RunEvent
from gate_runner.channel import Channel
from gate_runner.check_plan import CheckRequest
from gate_runner.ci import detect
from gate_runner.cli.outputs import deliver, usable_report_specs
from gate_runner.cli.progress import Progress
from gate_runner.config.schema import default_token_env
from gate_runner.policy import Policy
from gate_runner.runner import GateClock
from gate_runner.sandbox import Sandbox
from gate_runner.secrets import loaded_policy_secrets, secret_set

from .cli import Done


class Console:
    """What `check` shows on the way, as the CLI does: the policy's secrets, progress lines."""

    def __init__(self, channel: Channel, env: Mapping[str, str]) -> None:
        self.channel, self.env = channel, env

    def loaded(self, policies: Sequence[Policy]) -> None:
        for policy in policies:
            self.channel.add_secrets(*loaded_policy_secrets(self.env, policy).values)

    def api_ready(self, sandbox: Sandbox | None) -> None:
        if sandbox is not None:
            self.channel.add_secrets(sandbox.token)
        self.channel.masks(self.env)

    def policy_started(self, policy: Policy, count: int, keys: Sequence[str]) -> None:
        """Nothing to show here: the budget line and the policy's name are the CLI's."""

    @contextmanager
    def progress(self, total: int) -> Iterator[Callable[[RunEvent], None]]:
        with Progress(self.channel, total=total, live=False) as progress:
            yield progress.on_event


def check_in_process(
    request: CheckRequest,
    cwd: Path,
    *,
    env: Mapping[str, str],
    verdict: Path,
    reports: Sequence[str] = (),
    client: use_case.Connect = use_case.connect,
) -> Done:
    """`check` for `request` (its paths absolute), the verdict at `verdict`; `reports` are
    --report values, relative to `cwd`. The exit code is the one the process would exit with."""
    stdout, stderr = io.StringIO(), io.StringIO()
    channel = Channel(stdout=stdout, stderr=stderr)
    channel.add_secrets(*secret_set(env, token_env=default_token_env()).values)
    texts = [f"{name}={cwd / path}" for name, _, path in (r.partition("=") for r in reports)]
    specs, bad = usable_report_specs(texts)
    assert bad is None, bad
    checked = use_case.check(
        request,
        Console(channel, env),
        env=env,
        ci=detect(env, cwd=cwd),
        clock=GateClock(),
        cancel=threading.Event(),
        today=date.today(),
        client=client,
    )
    assert isinstance(checked, use_case.Checked) and checked.verdict is not None, checked
    code = deliver(checked.verdict, verdict, specs, channel=channel, env=env)
    return Done(["check", "(in process)"], code, stdout.getvalue(), stderr.getvalue())
