"""Delivery from outside: lost output streams, where the verdict lands, a verdict in every phase.

Each case runs `gate-runner check` as a process against the sandbox on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import (
    assert_no_traceback,
    clean_env,
    gate_command,
    load_verdict,
    run_gate,
    write_policy,
)

# Every test here runs gate-runner processes (seconds each on a loaded machine): slow.
pytestmark = pytest.mark.slow

SCENARIO: dict[str, Any] = {
    "campaigns": [
        {"name": "good", "duration": 0.05, "metrics": {"pass_rate": 0.97}},
        {"name": "bad", "duration": 0.05, "metrics": {"pass_rate": 0.4}},
    ]
}


def workdir(tmp_path: Path, campaign: str) -> Path:
    cwd = tmp_path / "work"
    cwd.mkdir()
    (tmp_path / "scenario.yml").write_text(yaml.safe_dump(SCENARIO), encoding="utf-8")
    write_policy(
        cwd / "sepurux.yml",
        {
            "version": 1,
            "enforcement": {"mode": "hard"},
            "thresholds": {"min_pass_rate": 0.9},
            "campaigns": {campaign: {}},
        },
    )
    return cwd


def check_args(tmp_path: Path, *extra: str) -> list[str]:
    return ["check", "--sandbox", str(tmp_path / "scenario.yml"), *extra]


# --- the answer does not depend on who reads stdout or stderr ---------------------------------

REDIRECTS = {
    # How the output is lost: a shell redirect around the command.
    "pipe-closed-early": "{cmd} | true",
    "stdout-closed": "{cmd} >&-",
    "stdout-full": "{cmd} >/dev/full",
    "stderr-closed": "{cmd} 2>&-",
    "both-closed": "{cmd} >&- 2>&-",
}


@pytest.mark.parametrize(("campaign", "expected"), [("good", 0), ("bad", 1)])
@pytest.mark.parametrize("redirect", sorted(REDIRECTS))
def test_lost_output_never_changes_the_exit_code_or_the_verdict(
    redirect: str, campaign: str, expected: int, tmp_path: Path
) -> None:
    # Was exit 4 (and, with stderr closed, no verdict) whatever the gate decided.
    cwd = workdir(tmp_path, campaign)
    command = shlex.join(gate_command(check_args(tmp_path, "--report", "junit=j.xml")))
    # PIPESTATUS: the gate's own code, not `true`'s.
    script = REDIRECTS[redirect].format(cmd=command) + "; exit ${PIPESTATUS[0]}"
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == expected, done.stderr
    assert_no_traceback(done.stdout, done.stderr)
    assert "Exception ignored" not in done.stderr
    verdict = load_verdict(cwd / "gate-runner-verdict.json")
    assert verdict["exit_code"] == expected
    assert (cwd / "j.xml").read_text(encoding="utf-8").startswith("<?xml")


# --- where the verdict lands --------------------------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_honour_the_umask(umask: int, mode: int, tmp_path: Path) -> None:
    # mkstemp made every file 0600: an uploader running as another user could not read them.
    cwd = workdir(tmp_path, "good")
    done = run_gate(
        check_args(tmp_path, "--report", "sarif=out/g.sarif"),
        cwd,
        clean_env(),
        preexec_fn=lambda: os.umask(umask),
    )
    assert done.returncode == 0, done.stderr
    for name in ("gate-runner-verdict.json", "out/g.sarif"):
        assert stat.S_IMODE((cwd / name).stat().st_mode) == mode, name


def test_a_symlinked_verdict_path_stays_a_link_and_its_target_is_written(tmp_path: Path) -> None:
    cwd = workdir(tmp_path, "good")
    target = tmp_path / "store" / "verdict.json"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    (cwd / "v.json").symlink_to(target)
    done = run_gate(check_args(tmp_path, "--verdict", "v.json"), cwd, clean_env())
    assert done.returncode == 0, done.stderr
    assert (cwd / "v.json").is_symlink()
    assert json.loads(target.read_text(encoding="utf-8"))["outcome"] == "pass"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # an existing file keeps its mode


@pytest.mark.parametrize("kind", ["device", "fifo", "directory", "link-to-device"])
def test_what_is_not_a_regular_file_is_refused_and_left_alone(kind: str, tmp_path: Path) -> None:
    # As root, `--verdict /dev/full` replaced the device with a regular file. The test makes
    # its own device node (a copy of /dev/full's numbers): a regression cannot harm /dev.
    cwd = workdir(tmp_path, "good")
    if kind in ("device", "link-to-device"):
        if os.geteuid() != 0:
            pytest.skip("making a device node needs root")
        device = tmp_path / "full"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    if kind == "device":
        path, expected = device, "character device"
    elif kind == "fifo":
        path, expected = cwd / "pipe", "FIFO"
        os.mkfifo(path)
    elif kind == "directory":
        path, expected = cwd / "folder", "directory"
        path.mkdir()
    else:
        path, expected = cwd / "link", "character device"
        path.symlink_to(device)
    before = path.lstat()
    done = run_gate(check_args(tmp_path, "--verdict", str(path)), cwd, clean_env())
    assert done.returncode == 2, done.stderr
    assert f"is a {expected}, not a regular file" in done.stderr
    assert_no_traceback(done.stderr)
    after = path.lstat()
    assert (after.st_mode, after.st_ino, after.st_rdev) == (
        before.st_mode,
        before.st_ino,
        before.st_rdev,
    )
    assert "sandbox from" not in done.stderr  # refused before anything ran


def test_verdict_dash_means_stdout(tmp_path: Path) -> None:
    cwd = workdir(tmp_path, "bad")
    done = run_gate(check_args(tmp_path, "--verdict", "-"), cwd, clean_env())
    assert done.returncode == 1, done.stderr
    verdict = json.loads(done.stdout)  # stdout is the verdict and nothing else
    assert verdict["outcome"] == "fail"
    assert "gate-runner: FAIL" in done.stderr  # the summary moved to stderr
    assert not (cwd / "-").exists()


# --- a verdict in every phase -----------------------------------------------------------------


def test_an_invalid_policy_still_writes_a_verdict_and_the_reports(tmp_path: Path) -> None:
    # The documented workflow uploads the SARIF file even on failure: it must exist.
    cwd = tmp_path / "work"
    cwd.mkdir()
    (cwd / "sepurux.yml").write_text(
        "version: 1\ncampaigns: {c: {thresholds: {min_pass_rat: 1}}}\n"
    )
    args = ["check", "--report", "sarif=out/g.sarif", "--report", "junit=out/j.xml"]
    done = run_gate(args, cwd, clean_env())
    assert done.returncode == 2, done.stderr
    # file:line:col, once: in the summary on stdout (issue 17)
    assert (done.stdout + done.stderr).count("sepurux.yml:2:") == 1
    verdict = load_verdict(cwd / "gate-runner-verdict.json")
    assert verdict["outcome"] == "error" and verdict["exit_code"] == 2
    assert verdict["error"]["kind"] == "policy"
    [problem] = verdict["error"]["diagnostics"]
    assert "min_pass_rat" in problem["message"] and problem["location"]["line"] == 2
    assert json.loads((cwd / "out" / "g.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
    assert (cwd / "out" / "j.xml").is_file()


def test_evaluate_with_an_invalid_policy_writes_a_verdict_too(tmp_path: Path) -> None:
    cwd = tmp_path / "work"
    cwd.mkdir()
    (cwd / "sepurux.yml").write_text("version: 1\ncampaigns: {c: {thresholds: {nope: 1}}}\n")
    (cwd / "payload.json").write_text('{"status": "done", "decision": "pass"}')
    args = ["evaluate", "--payload", "payload.json", "--report", "sarif=g.sarif"]
    done = run_gate(args, cwd, clean_env())
    assert done.returncode == 2, done.stderr
    assert (done.stdout + done.stderr).count("sepurux.yml:2:") == 1
    verdict = load_verdict(cwd / "gate-runner-verdict.json")
    assert verdict["error"]["kind"] == "policy" and verdict["exit_code"] == 2
    assert (cwd / "g.sarif").is_file()
