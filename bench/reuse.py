"""gate.reuse benchmark (issue 21): re-running `check` on a commit that changed nothing under
`paths` starts 0 campaign runs, and its time to verdict is within 0.5 s of `validate` on the
same policy.

Usage: python bench/reuse.py [-n ROUNDS]

A real git repository in a temporary folder (3 campaigns, gate.reuse on `agent/`), a sandbox
in this process, and `--store DIR`. The first `check` runs every campaign and files its
results; a commit then changes only README.md. Each round then times, as whole processes
started side by side (interleaved, so load hits all): `gate-runner validate sepurux.yml`,
`gate-runner check --store DIR` (every campaign reused) and, for reference, `gate-runner check
--dry-run` (the check command's own start-up, with no run and no store). The sandbox
counts every request the re-runs make: the target is none at all. Exit 1 when a target is
missed. Wall time is what a user waits; the CPU time (of the process and the git commands it
ran, from wait4) is the same work, far less sensitive to other load on a shared machine.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import GATE_RUNNER, clean_env, machine, median, table

from gate_runner.sandbox import Sandbox, Scenario

LIMIT_S = 0.5
TOKEN = "bench-reuse-token"
CAMPAIGNS = ("core", "refunds", "search")
POLICY = """\
version: 1
gate:
  reuse:
    paths: [agent/, prompts/]
    max_age: 12h
thresholds: {min_pass_rate: 0.8, max_unsafe: 0}
campaigns:
""" + "".join(f"  {name}: {{campaign: {name}}}\n" for name in CAMPAIGNS)
SCENARIO = {
    "token": TOKEN,
    "campaigns": [
        {"name": name, "duration": 0.2, "metrics": {"pass_rate": 0.9, "unsafe_attempts": 0}}
        for name in CAMPAIGNS
    ],
}
GIT = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=clean_env(**GIT), check=True, capture_output=True)


def timed(argv: list[str], repo: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """(wall s, CPU s of the process and its children such as git, exit code)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        argv, cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    # wait4's usage is the child's, with the children it waited for (git) added in.
    return wall, usage.ru_utime + usage.ru_stime, child.returncode


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", "--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    # An installed wheel has its bytecode; an editable checkout under PYTHONDONTWRITEBYTECODE
    # would compile gate_runner on every start (as bench/startup.py does).
    compileall.compile_dir(Path(__file__).resolve().parents[1] / "gate_runner", quiet=1)
    with tempfile.TemporaryDirectory() as tmp, Sandbox(Scenario.from_dict(SCENARIO)) as sandbox:
        repo, store = Path(tmp) / "repo", Path(tmp) / "store"
        repo.mkdir()
        (repo / "agent").mkdir()
        (repo / "prompts").mkdir()
        (repo / "sepurux.yml").write_text(POLICY)
        (repo / "agent" / "main.py").write_text("print('agent')\n")
        (repo / "prompts" / "system.md").write_text("Be helpful.\n")
        (repo / "README.md").write_text("# agent\n")
        (repo / ".gitignore").write_text("gate-runner-verdict.json\n")
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "the agent")
        env = clean_env(SEPURUX_API_KEY=TOKEN)
        check = [GATE_RUNNER, "check", "--api-url", sandbox.url, "--store", str(store)]
        validate = [GATE_RUNNER, "validate", "sepurux.yml"]
        # The check command's own start-up (typer, the API client, reports), with no run.
        dry_run = [GATE_RUNNER, "check", "--dry-run", "--api-url", sandbox.url]
        first, _, code = timed(check, repo, env)
        if code != 0:
            print(f"the first check failed (exit {code})", file=sys.stderr)
            return 1
        (repo / "README.md").write_text("# agent\n\nOnly the docs changed.\n")
        git(repo, "commit", "-q", "-am", "docs only")
        before = sandbox.total_requests()
        times: dict[str, list[float]] = {"validate": [], "check": [], "dry-run": []}
        cpu: dict[str, list[float]] = {name: [] for name in times}
        for _ in range(rounds):
            for name, argv in (("validate", validate), ("check", check), ("dry-run", dry_run)):
                seconds, used, code = timed(argv, repo, env)
                if code != 0:
                    print(f"{name} failed (exit {code})", file=sys.stderr)
                    return 1
                times[name].append(seconds)
                cpu[name].append(used)
        calls = sandbox.total_requests() - before
        verdict = json.loads((repo / "gate-runner-verdict.json").read_text())
        reused = sum(1 for c in verdict["campaigns"] if c.get("reused"))
    gap = median(times["check"]) - median(times["validate"])
    print(f"Reuse on an unchanged `paths` tree ({rounds} rounds, {machine()}):\n")
    print(
        table(
            ["command (whole process)", "median wall s", "min wall s", "median CPU s"],
            [
                [label, median(times[name]), min(times[name]), median(cpu[name])]
                for name, label in (
                    ("validate", "`validate sepurux.yml`"),
                    ("check", "`check --store DIR`, nothing changed under paths"),
                    ("dry-run", "`check --dry-run` (no run, no store)"),
                )
            ],
        )
    )
    print(f"\nThe first `check` (runs and files 3 campaigns): {first:.2f} s.")
    print(
        f"check - validate: {gap:+.2f} s (target <= {LIMIT_S} s); campaigns reused: "
        f"{reused} of {len(CAMPAIGNS)}; API requests in {rounds} re-runs: {calls} (target 0)"
    )
    return 0 if gap <= LIMIT_S and calls == 0 and reused == len(CAMPAIGNS) else 1


if __name__ == "__main__":
    sys.exit(main())
