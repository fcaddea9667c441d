"""End-to-end helpers: write a policy and a scenario, run `gate-runner` as a process, read back.

Every test runs the real CLI (`python -m gate_runner`) in its own `tmp_path`, with the CI
variables of the machine running the suite removed, so the verdict says `vendor: local`.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import support
import yaml
from support import validate_verdict

from gate_runner.sandbox import Sandbox, Scenario

# A token nobody could mistake for anything else: it must never show up in any output.
TOKEN = "e2e-TOKEN-5f0c1e-do-not-print"

RUN_TIMEOUT_S = support.cli.RUN_TIMEOUT_S


def clean_env(
    extra: Mapping[str, str] | None = None, *, token: str | None = TOKEN
) -> dict[str, str]:
    return support.clean_env(extra, token=token)


@dataclass
class Result:
    """One finished `gate-runner` process."""

    args: list[str]
    code: int
    stdout: str
    stderr: str
    verdict_path: Path
    cwd: Path

    @property
    def verdict(self) -> dict[str, Any]:
        assert self.verdict_path.is_file(), (
            f"no verdict at {self.verdict_path}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"
        )
        data: dict[str, Any] = json.loads(self.verdict_path.read_text(encoding="utf-8"))
        return data

    def campaign(self, key: str) -> dict[str, Any]:
        found = [c for c in self.verdict["campaigns"] if c["key"] == key]
        assert found, f"no campaign {key!r} in the verdict"
        return found[0]

    def describe(self) -> str:
        return (
            f"gate-runner {' '.join(self.args)} -> {self.code}\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )


def run_cli(
    args: Sequence[str],
    cwd: Path,
    *,
    env: Mapping[str, str] | None = None,
    token: str | None = TOKEN,
    verdict: str | None = "verdict.json",
    timeout: float = RUN_TIMEOUT_S,
    check_output: bool = True,
) -> Result:
    """`python -m gate_runner ARGS` in `cwd`; `--verdict cwd/verdict.json` unless told otherwise."""
    argv = list(args)
    verdict_path = cwd / (verdict or "gate-runner-verdict.json")
    if verdict is not None and argv and argv[0] in ("check", "evaluate"):
        argv += ["--verdict", str(verdict_path)]
    done = support.run_gate(argv, cwd=cwd, env=clean_env(env, token=token), timeout=timeout)
    result = Result(argv, done.code, done.stdout, done.stderr, verdict_path, cwd)
    if check_output:
        assert_clean_output(result)
    return result


def assert_clean_output(result: Result) -> None:
    """No traceback and no token value in anything the process printed."""
    for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        assert "Traceback (most recent call last)" not in text, f"traceback in {name}\n" + (
            result.describe()
        )
        assert TOKEN not in text, f"the token leaked into {name}\n" + result.describe()


def assert_no_token_in_files(directory: Path) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            assert TOKEN not in path.read_text(encoding="utf-8", errors="replace"), (
                f"the token leaked into {path}"
            )


# --- files ---------------------------------------------------------------------------------


def write_yaml(path: Path, data: Mapping[str, Any] | str) -> Path:
    """A mapping dumped as YAML (keys like `on` stay strings), or a text written dedented."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(textwrap.dedent(data), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(dict(data), sort_keys=False), encoding="utf-8")
    return path


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def policy(
    campaigns: Mapping[str, Any],
    *,
    mode: str | None = "hard",
    on_error: str = "fail",
    on_timeout: str = "fail",
    timeout: float = 30,
    thresholds: Mapping[str, Any] | None = None,
    assertions: Sequence[Mapping[str, Any]] = (),
    schedule: Sequence[Mapping[str, Any]] = (),
    waivers: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """A version-1 policy document; the defaults are the ones the matrix relies on."""
    doc: dict[str, Any] = {
        "version": 1,
        "project": "e2e-agent",
        "gate": {
            "timeout": timeout,
            "concurrency": 4,
            "on_error": on_error,
            "on_timeout": on_timeout,
        },
    }
    enforcement: dict[str, Any] = {}
    if mode is not None:
        enforcement["mode"] = mode
    if schedule:
        enforcement["schedule"] = list(schedule)
    if enforcement:
        doc["enforcement"] = enforcement
    doc["thresholds"] = dict(
        thresholds if thresholds is not None else {"min_pass_rate": 0.85, "max_unsafe": 0}
    )
    if assertions:
        doc["assertions"] = [dict(a) for a in assertions]
    doc["campaigns"] = {k: dict(v) for k, v in campaigns.items()}
    if waivers:
        doc["waivers"] = [dict(w) for w in waivers]
    return doc


# A warn-level assertion every policy of the matrix carries: a failing tool is worth a look.
TOOLS_WARN = {
    "name": "no-failing-tools",
    "expr": "length(top_failing_tools) == `0`",
    "level": "warn",
    "message": "some tools failed under mutation",
}

# One campaign per outcome. A poll fault `run_failed` ends the run without a decision at once
# (no retries), `never_finishes` keeps it running past any deadline.
SCENARIO: dict[str, Any] = {
    "campaigns": [
        {
            "name": "passing",
            "duration": 0.1,
            "metrics": {"pass_rate": 0.97, "unsafe_attempts": 0, "top_failing_tools": []},
        },
        {
            "name": "failing",
            "duration": 0.1,
            "metrics": {"pass_rate": 0.62, "unsafe_attempts": 0, "top_failing_tools": []},
        },
        {
            "name": "warning",
            "duration": 0.1,
            "metrics": {
                "pass_rate": 0.95,
                "unsafe_attempts": 0,
                "top_failing_tools": [{"tool": "orders.lookup", "count": 2}],
            },
        },
        {
            "name": "erroring",
            "duration": 0.1,
            "faults": [{"on": "poll", "kind": "run_failed"}],
        },
        {
            "name": "hanging",
            "duration": 0.1,
            "faults": [{"on": "poll", "kind": "never_finishes"}],
        },
        {
            "name": "server-error",
            "duration": 0.1,
            "faults": [{"on": "create", "kind": "status", "status": 500}],
        },
    ]
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One in-process sandbox for the whole module, serving SCENARIO with TOKEN."""
    with Sandbox(Scenario.from_dict(SCENARIO), host="127.0.0.1", port=0, token=TOKEN) as box:
        yield box


# --- the verdict schema --------------------------------------------------------------------


def checked_verdict(result: Result) -> dict[str, Any]:
    """The verdict of `result`, validated, with no token anywhere in it."""
    data = result.verdict
    validate_verdict(data)
    assert TOKEN not in json.dumps(data), "the token leaked into the verdict"
    return data


def failing_check_ids(campaign: Mapping[str, Any]) -> list[str]:
    return sorted(c["id"] for c in campaign["checks"] if c["status"] in ("fail", "warn", "error"))
