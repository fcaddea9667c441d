"""The shipped GitLab template's jobs run as GitLab would: a checkout, its variables, one shell.

`job(name)` resolves `extends` (hashes merged deeply, as GitLab does); `checkout` makes the
workspace GitLab's runner makes (a fetch of GIT_DEPTH commits, HEAD detached at the sha);
`run_job` runs `before_script` and `script` in one `bash -eo pipefail` (GitLab's shell,
where a failing line ends the job) with GitLab's predefined variables for a branch or a
merge request pipeline. The pip install line is the one line left out: the gate-runner under
test is on PATH instead (tests/integrations/test_install.py runs that line against a wheel).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .cli import clean_env
from .verdicts import REPO

TEMPLATE = REPO / "integrations" / "gitlab" / "gate-runner.gitlab-ci.yml"
PROJECT = "acme/agent"
JOB_TIMEOUT_S = 300.0


def _merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        old = merged.get(key)
        both = isinstance(old, Mapping) and isinstance(value, Mapping)
        merged[key] = _merged(old, value) if both else value  # type: ignore[arg-type]
    return merged


def job(name: str, template: Path = TEMPLATE) -> dict[str, Any]:
    """The job as GitLab runs it: its `extends` chain merged under it."""
    jobs = yaml.safe_load(template.read_text(encoding="utf-8"))
    definition = jobs[name]
    parent = definition.get("extends")
    if parent is None:
        return dict(definition)
    resolved = job(parent, template)
    return _merged(resolved, {k: v for k, v in definition.items() if k != "extends"})


def job_script(definition: Mapping[str, Any]) -> str:
    """before_script then script, one shell script, the pip install line left out."""
    lines = [*definition.get("before_script", []), *definition["script"]]
    installs = [line for line in lines if "pip install" in line]
    assert len(installs) == 1, installs
    return "\n".join(line for line in lines if line not in installs) + "\n"


def checkout(origin: Path, workspace: Path, ref: str, depth: int) -> str:
    """What GitLab's runner leaves: `origin` as the remote, `ref` fetched `depth` deep (0: all),
    HEAD detached at its commit (no local branch). Returns that commit."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=workspace, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    workspace.mkdir(parents=True)
    git("init", "-q")
    git("remote", "add", "origin", f"file://{origin}")
    deep = [f"--depth={depth}"] if depth else []
    git("fetch", "-q", "--no-tags", *deep, "origin", f"+refs/heads/{ref}:refs/remotes/origin/{ref}")
    git("checkout", "-q", "--detach", f"refs/remotes/origin/{ref}")
    return git("rev-parse", "HEAD")


def branch_pipeline(sha: str, branch: str, default: str = "main") -> dict[str, str]:
    """GitLab's predefined variables of a push pipeline on `branch`."""
    return {
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_PIPELINE_SOURCE": "push",
        "CI_COMMIT_SHA": sha,
        "CI_COMMIT_BRANCH": branch,
        "CI_COMMIT_REF_NAME": branch,
        "CI_DEFAULT_BRANCH": default,
        "CI_PROJECT_PATH": PROJECT,
        "CI_PIPELINE_ID": "1001",
        "CI_JOB_ID": "2001",
    }


def merge_request_pipeline(
    sha: str, source: str, target: str, iid: int = 7, default: str = "main"
) -> dict[str, str]:
    """GitLab's predefined variables of a (detached) merge request pipeline."""
    return {
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_COMMIT_SHA": sha,
        "CI_COMMIT_REF_NAME": source,
        "CI_DEFAULT_BRANCH": default,
        "CI_PROJECT_PATH": PROJECT,
        "CI_PIPELINE_ID": "1002",
        "CI_JOB_ID": "2002",
        "CI_MERGE_REQUEST_IID": str(iid),
        "CI_MERGE_REQUEST_EVENT_TYPE": "detached",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": source,
        "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": sha,
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": target,
        "CI_MERGE_REQUEST_PROJECT_PATH": PROJECT,
        "CI_MERGE_REQUEST_REF_PATH": f"refs/merge-requests/{iid}/head",
    }


def runs_in(definition: Mapping[str, Any], pipeline: Mapping[str, str]) -> bool:
    """Whether the job's `rules` put it in this pipeline (the two `if:` forms it uses)."""
    for rule in definition.get("rules", []):
        left, _, right = (side.strip() for side in rule["if"].partition("=="))
        value = pipeline.get(left.removeprefix("$"), "")
        wanted = pipeline.get(right[1:], "") if right.startswith("$") else right.strip('"')
        if value and value == wanted:
            return True
    return False


@dataclass
class JobRun:
    """One finished job: its exit code and its log."""

    code: int
    log: str


def run_job(
    name: str,
    workspace: Path,
    pipeline: Mapping[str, str],
    variables: Mapping[str, str] | None = None,
) -> JobRun:
    """The job's script in `workspace` with the job's variables, `variables` (a project's
    CI/CD variables, which win) and the pipeline's; `gate-runner` is the one under test."""
    definition = job(name)
    assert runs_in(definition, pipeline), f"{name} does not run in this pipeline"
    env = clean_env(
        {
            **{k: str(v) for k, v in definition.get("variables", {}).items()},
            **(variables or {}),
            **pipeline,
            "CI_PROJECT_DIR": str(workspace),
        },
        token=None,
    )
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    bash = shutil.which("bash") or "bash"
    done = subprocess.run(
        [bash, "-eo", "pipefail", "-c", job_script(definition)],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=JOB_TIMEOUT_S,
        check=False,
    )
    return JobRun(done.returncode, done.stdout + done.stderr)


def carry_cache(name: str, before: Path, after: Path) -> None:
    """What the job's `cache:` keeps from one pipeline's workspace to the next one's."""
    for path in job(name)["cache"]["paths"]:
        source = before / path
        if source.is_dir():
            shutil.copytree(source, after / path, dirs_exist_ok=True)
