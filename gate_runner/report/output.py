"""Where reports go: parse `--report FORMAT[=PATH]`, write each through the output channel."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gate_runner.errors import UsageError
from gate_runner.report.registry import REPORTERS
from gate_runner.settings import DEFAULT_VERDICT_PATH

if TYPE_CHECKING:
    # Only the type: the channel imports the secrets, which import the forge (comment) module.
    from gate_runner.channel import Channel
    from gate_runner.verdict import Verdict  # only the type: --report's parsing runs without it


@dataclass(frozen=True)
class ReportSpec:
    """One `--report`: a format, and a path (None: the format's default; "-": stdout)."""

    format: str
    path: str | None = None

    @property
    def destination(self) -> str:
        return self.path if self.path is not None else REPORTERS[self.format].default_path


def parse_report_spec(text: str) -> ReportSpec:
    name, sep, path = text.partition("=")
    name = name.strip().lower()
    if name not in REPORTERS:
        known = ", ".join(sorted(REPORTERS))
        raise UsageError(
            f"unknown report format {name!r} in --report {text!r}; known formats: {known}"
        )
    if sep and not path.strip():
        raise UsageError(
            f"--report {text!r} names no path; use {name}=PATH, or {name}=- for stdout"
        )
    return ReportSpec(name, path.strip() if sep else None)


def write_reports(
    verdict: Verdict,
    specs: Sequence[ReportSpec],
    *,
    env: Mapping[str, str],
    channel: Channel,
    verdict_path: str | None = None,
    rendered: Mapping[str, str] | None = None,
) -> list[str]:
    """Write every report asked for; a report that cannot be written is a warning, not a crash.

    The verdict should already be scrubbed (Secrets.scrub_data) so no cut or escape can split
    a token; the channel scrubs every rendered byte again on its way out.
    """
    warnings: list[str] = []
    on_github = env.get("GITHUB_ACTIONS") == "true"
    wanted = list(dict.fromkeys(specs))
    if on_github and not any(s.format == "github" for s in wanted):
        wanted.append(ReportSpec("github"))
    for spec in wanted:
        # `rendered`: a format the caller already has (the verdict document for json).
        known = (rendered or {}).get(spec.format)
        text = known if known is not None else REPORTERS[spec.format].render(verdict)
        destination = spec.destination
        try:
            channel.write_file(destination, text, human=not REPORTERS[spec.format].data)
        except (OSError, UsageError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            warnings.append(f"could not write the {spec.format} report to {destination}: {reason}")
    if any(s.format == "github" for s in wanted):
        warnings += _github_files(verdict, env, channel, verdict_path or str(DEFAULT_VERDICT_PATH))
    return warnings


def _github_files(
    verdict: Verdict, env: Mapping[str, str], channel: Channel, verdict_path: str
) -> list[str]:
    # late: `--help` and `--report`'s parsing load this module; GitHub's files need the renderer
    from gate_runner.report import github

    warnings: list[str] = []
    summary_path = env.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        try:
            already = os.path.getsize(summary_path) if os.path.exists(summary_path) else 0
            text = github.step_summary(verdict, already=already)
            if text:
                channel.append_file(summary_path, text)
            else:
                warnings.append(
                    "the step summary is full (1 MiB); the gate-runner summary was left out"
                )
        except OSError as exc:
            warnings.append(f"could not append to GITHUB_STEP_SUMMARY: {exc.strerror or exc}")
    output_path = env.get("GITHUB_OUTPUT")
    if output_path:
        try:
            channel.append_file(output_path, github.step_outputs(verdict, verdict_path))
        except OSError as exc:
            warnings.append(f"could not append to GITHUB_OUTPUT: {exc.strerror or exc}")
    return warnings
