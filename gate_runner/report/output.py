"""Where reports go: parse `--report FORMAT[=PATH]`, write each one, scrub secrets last."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from gate_runner.errors import UsageError
from gate_runner.report import github
from gate_runner.report.registry import REPORTERS, STDOUT
from gate_runner.settings import DEFAULT_VERDICT_PATH
from gate_runner.verdict import Verdict, write_atomically

MASK = "***"
# Shorter values are not scrubbed: replacing every "ab" would wreck the reports and hide nothing.
MIN_SECRET_LENGTH = 4


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


def scrub(text: str, secrets: Sequence[str]) -> str:
    """Replace every secret (and every line of a multi-line one) with ***."""
    values = {s for secret in secrets for s in (secret, *secret.splitlines())}
    for value in sorted(values, key=len, reverse=True):
        if len(value.strip()) >= MIN_SECRET_LENGTH:
            text = text.replace(value, MASK)
    return text


def write_reports(
    verdict: Verdict,
    specs: Sequence[ReportSpec],
    *,
    env: Mapping[str, str],
    stdout: TextIO,
    secrets: Sequence[str] = (),
    verdict_path: str | None = None,
    masks_printed: bool = False,
) -> list[str]:
    """Write every report asked for; a report that cannot be written is a warning, not a crash."""
    warnings: list[str] = []
    on_github = env.get("GITHUB_ACTIONS") == "true"
    wanted = list(dict.fromkeys(specs))
    if on_github and not any(s.format == "github" for s in wanted):
        wanted.append(ReportSpec("github"))
    if on_github and not masks_printed:
        # Before any other byte: the runner only hides what it was told about earlier.
        stdout.write(github.mask_commands(secrets))
    for spec in wanted:
        text = scrub(REPORTERS[spec.format].render(verdict), secrets)
        destination = spec.destination
        if destination == STDOUT:
            stdout.write(text)
            continue
        try:
            write_atomically(Path(destination), text)
        except OSError as exc:
            warnings.append(
                f"could not write the {spec.format} report to {destination}: {exc.strerror or exc}"
            )
    stdout.flush()
    if any(s.format == "github" for s in wanted):
        warnings += _github_files(verdict, env, secrets, verdict_path or str(DEFAULT_VERDICT_PATH))
    return warnings


def _github_files(
    verdict: Verdict, env: Mapping[str, str], secrets: Sequence[str], verdict_path: str
) -> list[str]:
    warnings: list[str] = []
    summary_path = env.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        try:
            already = os.path.getsize(summary_path) if os.path.exists(summary_path) else 0
            text = scrub(github.step_summary(verdict, already=already), secrets)
            if text:
                _append(summary_path, text)
            else:
                warnings.append(
                    "the step summary is full (1 MiB); the gate-runner summary was left out"
                )
        except OSError as exc:
            warnings.append(f"could not append to GITHUB_STEP_SUMMARY: {exc.strerror or exc}")
    output_path = env.get("GITHUB_OUTPUT")
    if output_path:
        try:
            _append(output_path, scrub(github.step_outputs(verdict, verdict_path), secrets))
        except OSError as exc:
            warnings.append(f"could not append to GITHUB_OUTPUT: {exc.strerror or exc}")
    return warnings


def _append(path: str, text: str) -> None:
    with open(path, "a", encoding="utf-8", newline="\n") as handle:
        handle.write(text if text.endswith("\n") else text + "\n")
