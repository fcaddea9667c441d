"""SIGTERM and SIGINT at each phase of `check`: a valid verdict, every report, exit 130, promptly.

The phases are reached for real, not through a test hook: a slow campaign list (resolving),
a slow create (creating), a run that never finishes (polling), and a `--comment` post to a
slow fake GitHub API on 127.0.0.1 (reporting). The signal goes out once the progress log
(or the fake API) shows the phase has begun.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from support import LOADED_BOUND_S, WAIT_S, Answer, LoopbackServer, Request, start_gate

from gate_runner.sandbox import Sandbox, Scenario

from .conftest import (
    TOKEN,
    assert_no_token,
    assert_no_token_in_files,
    assert_no_traceback,
    clean_env,
    gate_policy,
    load_verdict,
    write_policy,
)
from .fake_api import FakeApi, Script, fake_api

# Every test here runs gate-runner processes (seconds each on a loaded machine): slow.
pytestmark = pytest.mark.slow

# CI kills the job a few seconds after its signal; bench/cancellation.py holds that tight
# figure. Here the bound only has to tell "stopped" from "waited for the slow answer" (SLOW),
# with room for a loaded machine (5 s left it too little).
PROMPT_S = LOADED_BOUND_S
SLOW = 120.0  # a slow answer: far beyond PROMPT_S; released when the test ends
REPORTS = {
    "junit": "report.xml",
    "sarif": "report.sarif",
    "gitlab": "codequality.json",
    "markdown": "report.md",
}
GITHUB_TOKEN = "trust-GH-TOKEN-52aa7e-never-print-me"
SIGNALS = {"SIGTERM": signal.SIGTERM, "SIGINT": signal.SIGINT}


@dataclass(frozen=True)
class Phase:
    """Where the gate is when the signal arrives, and how to tell it got there."""

    id: str
    faults: list[dict[str, Any]]  # on campaign `core`
    global_faults: list[dict[str, Any]]
    ready: tuple[str, ...]  # regexes that must all have matched a stderr line
    pending: tuple[str, ...]  # campaigns the verdict must show as pending
    comment: bool = False


PHASES = [
    Phase(
        "resolving",
        [],
        [{"on": "campaigns", "kind": "slow", "delay": SLOW}],
        (r"core: resolving campaign 'core'", r"other: resolving campaign 'other'"),
        ("core", "other"),
    ),
    Phase(
        "creating",
        [{"on": "create", "kind": "slow", "delay": SLOW}],
        [],
        (r"core: creating a run of campaign ", r"other: decision pass"),
        ("core",),
    ),
    Phase(
        "polling",
        [{"on": "poll", "kind": "never_finishes"}],
        [],
        (r"core: run \S+ is running", r"other: decision pass"),
        ("core",),
    ),
    Phase(
        "reporting",
        [],
        [],
        (r"other: decision pass", r"core: decision pass"),
        (),
        comment=True,
    ),
]


class SlowGitHub(LoopbackServer):
    """A fake GitHub API on the shared loopback server that takes its time over every request."""

    def __init__(self) -> None:
        super().__init__(self._slowly)

    @property
    def paths(self) -> list[str]:
        return self.targets()

    def _slowly(self, _request: Request) -> Answer:
        self.release.wait(SLOW)
        return Answer(200, raw=b"[]")


@dataclass
class Lines:
    """A process stream read line by line in a thread, so the test can wait for a line."""

    stream: Any
    lines: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def start(self) -> Lines:
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self) -> None:
        for line in self.stream:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    def wait_for(self, patterns: tuple[str, ...], timeout: float) -> bool:
        def seen() -> bool:
            return all(any(re.search(p, line) for line in self.lines) for p in patterns)

        with self.changed:
            return self.changed.wait_for(seen, timeout)

    @property
    def text(self) -> str:
        with self.changed:
            return "".join(self.lines)


@pytest.fixture
def github() -> Iterator[SlowGitHub]:
    with SlowGitHub() as api:
        yield api


def github_env(tmp_path: Path, api: SlowGitHub) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "c0ffee"}}}))
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/agent",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "GITHUB_API_URL": api.url,
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "step-output.txt"),
    }


@pytest.mark.parametrize("signame", list(SIGNALS))
@pytest.mark.parametrize("phase", PHASES, ids=[p.id for p in PHASES])
def test_a_signal_leaves_a_verdict_and_every_report(
    phase: Phase, signame: str, tmp_path: Path, github: SlowGitHub
) -> None:
    scenario = Scenario.from_dict(
        {
            "faults": phase.global_faults,
            "campaigns": [
                {"name": "core", "duration": 0.2, "faults": phase.faults},
                {"name": "other", "duration": 0.2},
            ],
        }
    )
    write_policy(tmp_path / "sepurux.yml", gate_policy(["core", "other"], timeout=60))
    extra = github_env(tmp_path, github) if phase.comment else {}
    args = ["check", "--api-url", "", "--verdict", "verdict.json"]
    args += [f"--report={name}={path}" for name, path in REPORTS.items()]
    if phase.comment:
        args.append("--comment")

    with Sandbox(scenario, host="127.0.0.1", port=0, token=TOKEN) as sandbox:
        args[2] = sandbox.url
        process = start_gate(args, cwd=tmp_path, env=clean_env(extra))
        stdout, stderr = Lines(process.stdout).start(), Lines(process.stderr).start()
        try:
            reached = stderr.wait_for(phase.ready, WAIT_S)
            if phase.comment:
                reached = reached and github.hit.wait(WAIT_S)
            assert reached, f"phase {phase.id} never began\n{stderr.text}"
            signalled = time.monotonic()
            process.send_signal(SIGNALS[signame])
            code = process.wait(timeout=PROMPT_S + 10)
            took = time.monotonic() - signalled
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    out, err = stdout.text, stderr.text
    described = f"exit {code} after {took:.1f} s\n--- stdout\n{out}\n--- stderr\n{err}"

    assert code == 130, described
    assert took < PROMPT_S, described
    assert f"gate-runner: {signame} received; stopping and writing the verdict" in err
    assert "gate-runner: verdict written to verdict.json" in err
    assert_no_traceback(out, err)

    verdict = load_verdict(tmp_path / "verdict.json")
    assert verdict["interrupted"] is True
    assert verdict["exit_code"] == 130
    assert verdict["summary"].startswith("INTERRUPTED: ")
    statuses = {c["key"]: c["status"] for c in verdict["campaigns"]}
    assert statuses == {k: "pending" if k in phase.pending else "done" for k in ("core", "other")}
    for campaign in verdict["campaigns"]:
        if campaign["status"] == "pending":
            assert campaign["outcome"] == "error"
            assert campaign["error"]["kind"] == "cancelled"
        else:
            assert campaign["outcome"] == "pass"
            assert campaign["payload"]["decision"] == "pass"

    # Every requested report, rendered from the interrupted verdict.
    ElementTree.parse(tmp_path / REPORTS["junit"])
    sarif = json.loads((tmp_path / REPORTS["sarif"]).read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert isinstance(json.loads((tmp_path / REPORTS["gitlab"]).read_text(encoding="utf-8")), list)
    markdown = (tmp_path / REPORTS["markdown"]).read_text(encoding="utf-8")
    pending = len(phase.pending)
    expected = "**Interrupted**: the job was cancelled (SIGINT/SIGTERM)"
    if pending:
        expected += f"; {pending} campaign{'s' if pending != 1 else ''} had no decision yet"
    assert expected + "." in markdown

    if phase.comment:
        assert github.paths == ["/repos/acme/agent/issues/7/comments?per_page=100"]
        assert "gate-runner: warning: comment not posted: interrupted" in err
    for token in (TOKEN, GITHUB_TOKEN):
        assert_no_token(out, "stdout", token=token)
        assert_no_token(err, "stderr", token=token)
        assert_no_token_in_files(tmp_path, token=token)


# --- before the policy is loaded ---------------------------------------------------------------


def hanging_extends(tmp_path: Path, api: FakeApi) -> Path:
    """A policy whose remote parent never arrives: the gate sits in `load_policy`."""
    cwd = tmp_path / "work"
    cwd.mkdir()
    parent = {"url": f"{api.url}/x.yml", "sha256": "0" * 64}  # plain http: loopback only
    (cwd / "sepurux.yml").write_text(
        json.dumps({"version": 1, "extends": [parent], "campaigns": {"core": {}}}),
        encoding="utf-8",
    )
    return cwd


def assert_interrupted_before_the_policy(cwd: Path, process: subprocess.Popen[str]) -> None:
    try:
        stdout, stderr = process.communicate(timeout=PROMPT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"still running {PROMPT_S} s after the signal")
    assert process.returncode == 130, stderr
    assert_no_traceback(stdout, stderr)
    verdict = load_verdict(cwd / "gate-runner-verdict.json")
    assert verdict["interrupted"] is True and verdict["exit_code"] == 130
    assert verdict["error"]["kind"] == "cancelled"
    assert verdict["campaigns"] == []
    ElementTree.parse(cwd / "report.xml")  # the requested report is there, and whole


@pytest.mark.parametrize("signame", list(SIGNALS))
def test_a_signal_during_a_hanging_remote_extends_leaves_a_verdict(
    signame: str, tmp_path: Path
) -> None:
    # It died silently: the signal came before check had anywhere to write a verdict.
    with fake_api(Script(hang=True)) as api:
        cwd = hanging_extends(tmp_path, api)
        env = clean_env({"GATE_RUNNER_CACHE_DIR": str(tmp_path / "cache")})
        process = start_gate(["check", "--report", "junit=report.xml"], cwd=cwd, env=env)
        assert api.server.hit.wait(WAIT_S), "the remote parent was never asked for"
        process.send_signal(SIGNALS[signame])
        assert_interrupted_before_the_policy(cwd, process)


def catches_sigterm(pid: int) -> bool:
    """Linux: the process has a SIGTERM handler (SigCgt bit 15), i.e. gate-runner's main() ran."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return False
    caught = re.search(r"^SigCgt:\s*([0-9a-f]+)", status, re.MULTILINE)
    return bool(caught and int(caught.group(1), 16) & (1 << (signal.SIGTERM - 1)))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("delay", [0.0, 0.1, 0.2])
def test_a_signal_during_start_up_leaves_a_verdict(delay: float, tmp_path: Path) -> None:
    # 0.2-0.4 s in, Python is still importing: the default SIGTERM killed the job silently.
    # Only the interpreter's own start comes before main(); from there the signal is held.
    # The hanging parent keeps the gate from getting past loading, whenever the signal lands.
    with fake_api(Script(hang=True)) as api:
        cwd = hanging_extends(tmp_path, api)
        env = clean_env({"GATE_RUNNER_CACHE_DIR": str(tmp_path / "cache")})
        process = start_gate(["check", "--report", "junit=report.xml"], cwd=cwd, env=env)
        deadline = time.monotonic() + WAIT_S
        while not catches_sigterm(process.pid) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert catches_sigterm(process.pid), "gate-runner never started"
        time.sleep(delay)
        process.send_signal(signal.SIGTERM)
        assert_interrupted_before_the_policy(cwd, process)
