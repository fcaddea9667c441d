"""The one output channel: every byte we emit is scrubbed and defused; a lost stream is no error.

stdout, stderr (progress and error lines too), the verdict, every report file, the
GitHub step summary and outputs, and the PR comment body all pass `Channel.filter`
after formatting and before they leave the process. A stream that cannot be written
(a closed pipe, `>&-`, `/dev/full`) is dropped once, with a note on the other stream:
the gate's answer never depends on whether anyone reads its output.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, TextIO

from gate_runner import files
from gate_runner.ci import mask_lines
from gate_runner.safe_text import terminal
from gate_runner.secrets import Secrets

STDOUT = "-"
Stream = Literal["stdout", "stderr"]
Severity = Literal["error", "warning", "note"]
# GitHub's runner acts on `##[` anywhere in a line, Azure's agent on `##vso[` (any case):
# untrusted text (a run id, a tool name, a policy message) must not reach either as a command.
_LOGGING_COMMAND = re.compile(r"##(?=\[|vso\[)", re.IGNORECASE)


def problem_line(severity: Severity, message: str) -> str:
    """THE one format of an error, warning or note line: `gate-runner: error: ...`."""
    return f"gate-runner: {severity}: {message}"


def defuse(text: str) -> str:
    """Text in which no CI logging command (`##[...]`, `##vso[...]`) can start."""
    return _LOGGING_COMMAND.sub("#\u200b#", text)


class Channel:
    """Where the process writes: scrubbed of the secrets, CI commands defused, failures absorbed."""

    def __init__(
        self,
        secrets: Secrets | None = None,
        *,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.secrets = secrets or Secrets()
        # Streams given here (tests) replace sys.stdout/sys.stderr, read at each write.
        self._given: dict[Stream, TextIO | None] = {"stdout": stdout, "stderr": stderr}
        self._dead: set[Stream] = set()
        self._lock = threading.RLock()

    def filter(self, text: str) -> str:
        """What any text becomes before it leaves the process."""
        return defuse(self.secrets.scrub(text))

    def add_secrets(self, *values: str | None) -> None:
        self.secrets = self.secrets.with_values(values)

    # --- streams -----------------------------------------------------------------------------

    def out(self, text: str) -> None:
        self._write("stdout", self.filter(text))

    def err(self, text: str) -> None:
        self._write("stderr", self.filter(text))

    def line(self, text: str, *, err: bool = True) -> None:
        (self.err if err else self.out)(text if text.endswith("\n") else text + "\n")

    def error(self, message: str) -> None:
        """`gate-runner: error: ...` on stderr: how every command reports a failure."""
        self._prefixed("error", message)

    def warning(self, message: str) -> None:
        self._prefixed("warning", message)

    def _prefixed(self, severity: Severity, message: str) -> None:
        # Every line starts with the prefix and shows its controls escaped: whatever path, key
        # or answer a message quotes, nothing it holds starts a line (a CI command) or an ESC.
        lines = message.split("\n")
        self.err("".join(problem_line(severity, terminal(line)) + "\n" for line in lines))

    def masks(self, env: Mapping[str, str]) -> None:
        """The CI's mask lines, unfiltered (they name the secrets), before any other output."""
        lines = mask_lines(env, self.secrets.mask_parts())
        if lines:
            self._write("stdout", lines)

    def is_terminal(self, name: Stream) -> bool:
        """Whether the stream is a terminal (a live progress line), never an error."""
        stream = None if name in self._dead else self._stream(name)
        try:
            return stream is not None and stream.isatty()
        except (OSError, ValueError):
            return False

    def stream_alive(self, name: Stream) -> bool:
        return name not in self._dead and self._stream(name) is not None

    def _write(self, name: Stream, text: str) -> None:
        if not text:
            return
        with self._lock:
            if name in self._dead:
                return
            stream = self._stream(name)
            if stream is None:  # started with the descriptor closed (`>&-`)
                self._dead.add(name)
                return
            try:
                stream.write(text)
                stream.flush()
            except (OSError, ValueError) as error:
                self._lose(name, error)

    def _stream(self, name: Stream) -> TextIO | None:
        given = self._given[name]
        if given is not None:
            return given
        return sys.stdout if name == "stdout" else sys.stderr

    def _lose(self, name: Stream, error: Exception) -> None:
        self._dead.add(name)
        if self._given[name] is None:
            _silence(name)
        reason = getattr(error, "strerror", None) or type(error).__name__
        other: Stream = "stderr" if name == "stdout" else "stdout"
        if name == "stdout":
            # A note on the other stream; never on stdout, which may be a consumer's pipe.
            self._write(
                other,
                problem_line(
                    "note",
                    f"{name} cannot be written ({reason}); the verdict file has everything\n",
                ),
            )

    # --- files ---------------------------------------------------------------------------------

    def write_file(self, path: Path | str, text: str, *, human: bool = True) -> None:
        """A whole file, atomically (`-` is stdout). Raises OSError/UsageError for the caller.

        Data formats (`human=False`: the verdict, SARIF...) keep untrusted text as it came,
        scrubbed only; a log never interprets them, and their readers compare ids.
        """
        if str(path) == STDOUT:
            self.out(text)
            return
        scrubbed = self.secrets.scrub(text)
        files.write_text(Path(path), defuse(scrubbed) if human else scrubbed)

    def append_file(self, path: Path | str, text: str) -> None:
        files.append_text(Path(path), self.filter(text))


def _silence(name: Stream) -> None:
    """Point the lost stream at /dev/null, so Python's exit-time flush cannot fail (exit 120)."""
    fd = 1 if name == "stdout" else 2
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
    except OSError:
        pass
    replacement = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    if name == "stdout":
        sys.stdout = replacement
    else:
        sys.stderr = replacement


def standard_streams() -> None:
    """A closed descriptor 0-2 (`>&-`, `2>&-`) gets /dev/null before a file or socket takes it."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            try:
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:
                    os.dup2(null, fd)
                    os.close(null)
            except OSError:
                pass


_CURRENT = Channel()


def current() -> Channel:
    """The process's channel: every command writes through it."""
    return _CURRENT
