"""The error tree: each class carries the exit code the CLI maps it to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Literal

from gate_runner.safe_text import terminal

# Why no decision was reached (the verdict's `error.kind`; the schema lists the same words).
ServiceErrorKind = Literal[
    "unreachable", "auth", "not_found", "http", "payload", "run_failed", "timeout", "cancelled"
]


class ExitCode(IntEnum):
    """Exit codes of every command (DESIGN §3)."""

    OK = 0
    BLOCKED = 1
    USAGE = 2
    NO_DECISION = 3
    INTERNAL = 4
    INTERRUPTED = 130


class GateRunnerError(Exception):
    """Base of every error gate-runner raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL


class UsageError(GateRunnerError):
    """A bad flag, a missing file, a value the user gave that cannot be used."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a policy file, at a position a user can jump to."""

    file: str
    line: int
    col: int
    message: str
    # The extends chain that led to this file, outermost first ("a.yml:3", "b.yml:5").
    chain: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.col}: {self.message}"
        if self.chain:
            text += f" (extended from {' -> '.join(self.chain)})"
        # One line, whatever a file name, key or value in the policy holds (newlines, ESC).
        return terminal(text)

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "message": self.message,
            "chain": list(self.chain),
        }


class PolicyError(GateRunnerError):
    """A policy that cannot be used: every problem found, each with its position."""

    exit_code = ExitCode.USAGE

    def __init__(self, diagnostics: list[Diagnostic], token_envs: Sequence[str] = ()) -> None:
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.file, d.line, d.col))
        # The token variables the files name: whoever prints the diagnostics scrubs their values.
        self.token_envs = tuple(token_envs)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class PolicyFetchError(PolicyError):
    """Every problem is a remote policy file that could not be fetched, with nothing cached:
    the policy is not known to be wrong, so no decision (exit 3), not an invalid policy."""

    exit_code = ExitCode.NO_DECISION


class ServiceError(GateRunnerError):
    """No decision could be reached: the API was down, refused us, or answered nonsense."""

    exit_code = ExitCode.NO_DECISION

    def __init__(self, kind: ServiceErrorKind, message: str) -> None:
        self.kind = kind
        self.message = message
        super().__init__(message)


class Interrupted(GateRunnerError):
    """CI cancelled the job (SIGINT/SIGTERM)."""

    exit_code = ExitCode.INTERRUPTED
