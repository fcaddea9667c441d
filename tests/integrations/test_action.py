"""The composite Action: pinned, off the job's PATH, Windows-aware; its scripts run in bash here.

The install and gate scripts are taken from action.yml and run with bash against stub
executables, with the variables the runner sets (RUNNER_OS, RUNNER_TEMP, GITHUB_OUTPUT...:
https://docs.github.com/actions/reference/variables-reference).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
DOC = ROOT / "docs" / "github-actions.md"
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is needed")


def steps() -> list[dict[str, Any]]:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))["runs"]["steps"]  # type: ignore[no-any-return]


def step(step_id: str) -> dict[str, Any]:
    return next(s for s in steps() if s.get("id") == step_id)


def test_setup_python_is_pinned_to_a_commit_of_a_node24_release() -> None:
    (setup,) = [s for s in steps() if str(s.get("uses", "")).startswith("actions/setup-python@")]
    assert SHA_PIN.match(setup["uses"]), setup["uses"]
    line = next(x for x in ACTION.read_text().splitlines() if "actions/setup-python@" in x)
    # v6.0.0 moved setup-python to node24; the comment names the pinned release.
    version = re.search(r"#\s*v(\d+)\.\d+\.\d+\s*$", line)
    assert version and int(version.group(1)) >= 6, line
    assert setup["with"]["update-environment"] is False  # its Python stays off the PATH


def test_nothing_is_put_on_the_jobs_path() -> None:
    text = ACTION.read_text(encoding="utf-8")
    assert "GITHUB_PATH" not in text and "GITHUB_ENV" not in text
    gate = step("gate")["run"]
    assert '"$GATE_RUNNER_EXECUTABLE" "${args[@]}"' in gate
    assert not re.search(r"^\s*gate-runner\s", gate, flags=re.M)


def test_every_script_runs_in_bash_also_on_windows() -> None:
    for s in steps():
        if "run" in s:
            assert s["shell"] == "bash", s.get("name")
    install = step("install")["run"]
    assert 'bin="$venv/Scripts"; exe=".exe"' in install
    assert "cygpath -u" in install


def _stub(path: Path, script: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/usr/bin/env bash\n" + script, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _bash(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        ["bash", "-c", script],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


# A stand-in for setup-python's interpreter: `-m venv DIR` makes DIR/<bin>/python<exe>,
# whose `-m pip install X` records X.
FAKE_PYTHON = """\
if [ "$1 $2" = "-m venv" ]; then
  dir="$3/${FAKE_VENV_BIN:-bin}"; mkdir -p "$dir"
  printf '#!/usr/bin/env bash\\necho "$@" >> "%s/pip.log"\\n' "$3" > "$dir/python${FAKE_EXE:-}"
  chmod +x "$dir/python${FAKE_EXE:-}"
fi
"""


@pytest.mark.parametrize(
    ("runner_os", "layout", "exe"),
    [("Linux", "bin", ""), ("macOS", "bin", ""), ("Windows", "Scripts", ".exe")],
)
def test_install_script_reports_the_binary_by_path(
    tmp_path: Path, runner_os: str, layout: str, exe: str
) -> None:
    python = _stub(tmp_path / "python" / "python3", FAKE_PYTHON)
    tools = tmp_path / "tools"
    _stub(tools / "cygpath", 'echo "$2"\n')  # Git Bash's path converter, identity here
    output, github_path = tmp_path / "output", tmp_path / "path"
    env = {
        "RUNNER_OS": runner_os,
        "RUNNER_TEMP": str(tmp_path / "temp"),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_PATH": str(github_path),
        "GITHUB_ACTION_PATH": str(ROOT),
        "GATE_RUNNER_VERSION": "",
        "GATE_RUNNER_PYTHON": str(python),
        "FAKE_VENV_BIN": layout,
        "FAKE_EXE": exe,
        "PATH": f"{tools}:{os.environ['PATH']}",
    }
    done = _bash(step("install")["run"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    venv = tmp_path / "temp" / "gate-runner-venv"
    assert output.read_text() == f"executable={venv}/{layout}/gate-runner{exe}\n"
    assert not github_path.exists()
    assert f"install --quiet --disable-pip-version-check {ROOT}" in (venv / "pip.log").read_text()


@pytest.mark.parametrize(
    ("package", "version", "installed"),
    [
        ("", "", str(ROOT)),
        ("/w/gate_runner-1.0-py3-none-any.whl", "", "/w/gate_runner-1.0-py3-none-any.whl"),
        (
            "",
            "1.2.3",
            "gate-runner @ https://github.com/sepurux/gate-runner/archive/refs/tags/v1.2.3.tar.gz",
        ),
        ("gate-runner==1.2.3", "1.0.0", "gate-runner==1.2.3"),
    ],
)
def test_install_script_installs_one_requirement(
    tmp_path: Path, package: str, version: str, installed: str
) -> None:
    # The `version` input once meant `gate-runner==VERSION`, which the index does not have.
    env = {
        "RUNNER_OS": "Linux",
        "RUNNER_TEMP": str(tmp_path / "temp"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_ACTION_PATH": str(ROOT),
        "GATE_RUNNER_PACKAGE": package,
        "GATE_RUNNER_VERSION": version,
        "GATE_RUNNER_PYTHON": str(_stub(tmp_path / "python" / "python3", FAKE_PYTHON)),
    }
    done = _bash(step("install")["run"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    log = (tmp_path / "temp" / "gate-runner-venv" / "pip.log").read_text()
    assert log == f"-m pip install --quiet --disable-pip-version-check {installed}\n"


def test_install_script_refuses_an_unknown_runner_os_clearly(tmp_path: Path) -> None:
    env = {"RUNNER_OS": "Plan9", "RUNNER_TEMP": str(tmp_path), "GATE_RUNNER_PYTHON": "false"}
    done = _bash(step("install")["run"], env, tmp_path)
    assert done.returncode == 4
    assert "::error title=gate-runner::unsupported runner OS 'Plan9'" in done.stdout


def _gate_env(tmp_path: Path, executable: Path) -> dict[str, str]:
    return {
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GATE_RUNNER_EXECUTABLE": str(executable),
        "GATE_RUNNER_CONFIG": "sepurux.yml",
        "GATE_RUNNER_CAMPAIGNS": "a\n  b  \n",
        "GATE_RUNNER_ENFORCEMENT": "soft",
        "GATE_RUNNER_SOFT_EXIT_CODE": "10",
        "GATE_RUNNER_REPORTS": "sarif\njunit=out.xml",
        "GATE_RUNNER_COMMENT": "true",
        "GATE_RUNNER_PUBLISH": "false",
        "GATE_RUNNER_DISCOVER": "false",
        "PATH": "/usr/bin:/bin",  # no gate-runner on PATH: it must be called by its path
    }


def test_gate_script_calls_the_binary_by_path_and_records_the_exit_code(tmp_path: Path) -> None:
    binary = _stub(tmp_path / "venv" / "bin" / "gate-runner", 'printf "%s\\n" "$@"; exit 10\n')
    done = _bash(step("gate")["run"], _gate_env(tmp_path, binary), tmp_path)
    assert done.returncode == 10
    assert done.stdout.split("\n")[:-1] == [
        "check", "--config", "sepurux.yml", "--campaign", "a", "--campaign", "b",
        "--report", "sarif", "--report", "junit=out.xml", "--enforcement", "soft",
        "--soft-exit-code", "10", "--comment",
    ]  # fmt: skip
    assert (tmp_path / "output").read_text() == "exit-code=10\n"


def test_gate_script_passes_the_governance_inputs(tmp_path: Path) -> None:
    binary = _stub(tmp_path / "venv" / "bin" / "gate-runner", 'printf "%s\\n" "$@"\n')
    env = _gate_env(tmp_path, binary) | {
        "GATE_RUNNER_POLICY_REF": "auto",
        "GATE_RUNNER_BASELINE": "auto",
        "GATE_RUNNER_STORE": "git-notes",
    }
    done = _bash(step("gate")["run"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-7:-1] == [
        "--policy-ref", "auto", "--baseline", "auto", "--store", "git-notes",
    ]  # fmt: skip


def test_gate_script_passes_several_configs_and_publish(tmp_path: Path) -> None:
    binary = _stub(tmp_path / "venv" / "bin" / "gate-runner", 'printf "%s\\n" "$@"\n')
    env = {
        **_gate_env(tmp_path, binary),
        "GATE_RUNNER_CONFIG": "services/api/sepurux.yml\n  services/web/sepurux.yml \n",
        "GATE_RUNNER_CAMPAIGNS": "",
        "GATE_RUNNER_REPORTS": "",
        "GATE_RUNNER_ENFORCEMENT": "",
        "GATE_RUNNER_SOFT_EXIT_CODE": "",
        "GATE_RUNNER_COMMENT": "false",
        "GATE_RUNNER_PUBLISH": "true",
    }
    done = _bash(step("gate")["run"], env, tmp_path)
    assert done.stdout.split("\n")[:-1] == [
        "check", "--config", "services/api/sepurux.yml", "--config", "services/web/sepurux.yml",
        "--publish",
    ]  # fmt: skip
    env["GATE_RUNNER_DISCOVER"] = "true"
    done = _bash(step("gate")["run"], env, tmp_path)
    assert done.stdout.split("\n")[:-1] == ["check", "--discover", "--publish"]


def test_gate_script_without_the_binary_fails_clearly(tmp_path: Path) -> None:
    done = _bash(step("gate")["run"], _gate_env(tmp_path, tmp_path / "missing"), tmp_path)
    assert done.returncode == 4
    assert "::error title=gate-runner::gate-runner is not installed" in done.stdout
    assert (tmp_path / "output").read_text() == "exit-code=4\n"


def test_documented_workflow_permissions_and_pins() -> None:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"^```yaml\n(.*?)^```", text, flags=re.S | re.M)
    assert block
    workflow = yaml.safe_load(block.group(1))
    # upload-sarif reads the workflow run: private repositories need actions: read.
    assert workflow["permissions"]["actions"] == "read"
    assert workflow["permissions"]["security-events"] == "write"
    uses = [s["uses"] for job in workflow["jobs"].values() for s in job["steps"] if "uses" in s]
    third_party = [u for u in uses if not u.startswith("your-org/")]
    assert third_party and all(SHA_PIN.match(u) for u in third_party), third_party


def test_documented_workflow_can_publish_and_request_reviewers() -> None:
    block = re.search(r"^```yaml\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.S | re.M)
    assert block
    workflow = yaml.safe_load(block.group(1))
    # Check runs, the commit-status fallback, the comment and soft mode's reviewers/label.
    for scope in ("checks", "statuses", "pull-requests"):
        assert workflow["permissions"][scope] == "write", scope
    gate = next(
        s for job in workflow["jobs"].values() for s in job["steps"] if s.get("id") == "gate"
    )
    assert gate["with"]["publish"] is True
