"""Every documented install works: one package spec, GATE_RUNNER_PACKAGE, pinned to __version__.

gate-runner is not on the package index yet (docs/install.md), so no file may say a bare
`pip install gate-runner`. The slow tests build the sdist and wheel as a release would, then
run each integration's own install line, taken from its file, with GATE_RUNNER_PACKAGE
pointed at that wheel, in a fresh virtualenv, and run the installed `gate-runner`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from support.gitlab_jobs import job as gitlab_job

from gate_runner import __version__

ROOT = Path(__file__).resolve().parents[2]
ARCHIVE = "https://github.com/sepurux/gate-runner/archive/refs/tags/v"
DEFAULT_SPEC = f"gate-runner @ {ARCHIVE}{__version__}.tar.gz"
GITLAB = ROOT / "integrations" / "gitlab" / "gate-runner.gitlab-ci.yml"
CIRCLECI = ROOT / "integrations" / "circleci" / "config.yml"
JENKINS = ROOT / "integrations" / "jenkins" / "Jenkinsfile"
BUILDKITE = ROOT / "integrations" / "buildkite" / "pipeline.yml"
ACTION = ROOT / "action.yml"
# The files that install gate-runner in a user's CI: each names the default spec once.
INSTALLERS = [
    GITLAB,
    CIRCLECI,
    JENKINS,
    BUILDKITE,
    *(
        ROOT / "docs" / name
        for name in (
            "azure-pipelines.md",
            "bitbucket-pipelines.md",
            "buildkite.md",
            "gitlab-ci.md",
            "governance.md",
            "install.md",
        )
    ),
]
# `pip install` of the name itself (optionally ==X), not of a variable, path or extra.
BARE = re.compile(
    r"""pip3?\s+install\b[^\n&;|]*?\s["']?gate-runner(==[^\s"']*)?["']?(?=[\s&;|]|$)"""
)
PINNED = re.compile(re.escape(ARCHIVE) + r"([^/\s\"']+)\.tar\.gz")


def _documents() -> list[Path]:
    found = [ROOT / "README.md", ACTION, ROOT / ".pre-commit-hooks.yaml"]
    found += sorted((ROOT / "docs").glob("*.md"))
    found += sorted(p for p in (ROOT / "integrations").rglob("*") if p.is_file())
    found += sorted((ROOT / "examples").glob("*.sh"))
    return found


def test_the_bare_name_pattern_sees_what_it_must() -> None:
    for line in (
        "pip install gate-runner",
        "pip install gate-runner && gate-runner diff",
        "python -m pip install --quiet --disable-pip-version-check gate-runner",
        '.venv/bin/pip install "gate-runner==1.2.0"',
    ):
        assert BARE.search(line), line
    for line in (
        'pip install "$GATE_RUNNER_PACKAGE"',
        "pip install -e '.[dev]'",
        'pip install "${GATE_RUNNER_PACKAGE:-x}" && gate-runner diff',
    ):
        assert not BARE.search(line), line


@pytest.mark.parametrize("path", _documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_installs_the_bare_name(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert [m.group(0) for m in BARE.finditer(text)] == []


@pytest.mark.parametrize("path", _documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_pinned_release_is_this_version(path: Path) -> None:
    pins = {m.group(1) for m in PINNED.finditer(path.read_text(encoding="utf-8"))}
    # action.yml builds the URL from its `version` input; install.md shows a later pin too.
    assert pins <= {__version__, "$GATE_RUNNER_VERSION"}, pins


@pytest.mark.parametrize("path", INSTALLERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_integration_installs_the_variable_with_this_default(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert DEFAULT_SPEC in text
    install = [line for line in text.splitlines() if re.search(r"pip3?\s+install\b", line)]
    if path.name in ("install.md", "gitlab-ci.md"):  # they explain it; the template installs
        return
    assert install
    for line in install:
        assert re.search(r"\$\$?\{?GATE_RUNNER_PACKAGE\b", line), line


def test_the_docs_say_it_in_one_place() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/install.md)" in readme
    vendors = ("circleci.md", "jenkins.md", "github-actions.md")
    for path in [*INSTALLERS, *(ROOT / "docs" / name for name in vendors)]:
        if path.suffix == ".md" and path.name != "install.md":
            assert "(install.md)" in path.read_text(encoding="utf-8"), path.name


# --------------------------------------------------------------------------
# the install lines, run


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel a release builds: `python -m build` (sdist, then the wheel from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (built,) = out.glob("gate_runner-*.whl")
    assert built.name.startswith(f"gate_runner-{__version__}-")
    # Its dependencies beside it, resolved once from this machine's index: each line's pip
    # then installs from this folder alone (_install), where five resolutions against the
    # index took over a third of the file's CPU. The lines still install every requirement.
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(out), str(built)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return built


def _env(extra: dict[str, str]) -> dict[str, str]:
    pip = [k for k in os.environ if k.startswith("PIP_")]  # this machine's index settings
    keep = ("HOME", "LANG", "PATH", "TMPDIR", *pip)
    return {**{k: os.environ[k] for k in keep if k in os.environ}, **extra}


def _install(script: str, cwd: Path, wheel: Path, env: dict[str, str]) -> None:
    """An install line run by bash with GATE_RUNNER_PACKAGE the wheel, its pip offline on the
    wheel's folder (the `wheel` fixture put the dependencies there)."""
    offline = {"GATE_RUNNER_PACKAGE": str(wheel), "PIP_NO_INDEX": "1"}
    offline["PIP_FIND_LINKS"] = str(wheel.parent)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=_env({**env, **offline}),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def _image_python(tmp_path: Path) -> dict[str, str]:
    """A CI image's `python` on PATH: a fresh virtualenv, so the install lands in it alone."""
    image = tmp_path / "image"
    subprocess.run([sys.executable, "-m", "venv", str(image)], check=True)
    return {"PATH": f"{image / 'bin'}:{os.environ['PATH']}"}


def _works(executable: Path, *, package_data: bool = False) -> None:
    """The installed command runs and its version is __version__; with `package_data`, its
    schema and templates are there too (`validate`, `init`). Every line installs the same
    wheel: its data is checked once (GitLab's line), each line's command on its own."""
    version = subprocess.run(
        [str(executable), "--version"], capture_output=True, text=True, check=False
    )
    assert (version.returncode, version.stdout.strip()) == (0, f"gate-runner {__version__}")
    if not package_data:
        return
    validate = subprocess.run(
        [str(executable), "validate", str(ROOT / "examples" / "sepurux.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr
    home = executable.parent.parent / "init-here"
    home.mkdir()
    init = subprocess.run(
        [str(executable), "init"], cwd=home, capture_output=True, text=True, check=False
    )
    assert init.returncode == 0, init.stdout + init.stderr
    assert (home / "sepurux.yml").stat().st_size > 0


def _yaml(path: Path) -> dict[str, object]:
    loaded: dict[str, object] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def _gitlab(wheel: Path, tmp_path: Path) -> Path:
    job = gitlab_job("gate-runner")  # the install line is the hidden .gate-runner's
    (line,) = [s for s in job["before_script"] if "pip install" in s]
    _install(line, tmp_path, wheel, _image_python(tmp_path))
    return tmp_path / "image" / "bin" / "gate-runner"


def _circleci(wheel: Path, tmp_path: Path) -> Path:
    steps = _yaml(CIRCLECI)["jobs"]["gate-runner"]["steps"]  # type: ignore[index]
    (line,) = [s["run"]["command"] for s in steps if "run" in s and "pip install" in str(s)]
    _install(line, tmp_path, wheel, _image_python(tmp_path))
    return tmp_path / "image" / "bin" / "gate-runner"


def _jenkins(wheel: Path, tmp_path: Path) -> Path:
    (line,) = re.findall(r"sh '([^']*pip install[^']*)'", JENKINS.read_text(encoding="utf-8"))
    _install(line, tmp_path, wheel, {})
    return tmp_path / ".gate-runner" / "bin" / "gate-runner"


def _buildkite(wheel: Path, tmp_path: Path) -> Path:
    (step,) = _yaml(BUILDKITE)["steps"]  # type: ignore[misc]
    lines = [x for x in step["command"].splitlines() if "venv" in x or "pip install" in x]
    assert len(lines) == 2, lines
    # Buildkite turns `$$` into `$` when the pipeline is uploaded.
    script = "\n".join(lines).replace("$$", "$")
    _install(script, tmp_path, wheel, {})
    return tmp_path / ".gate-runner" / "bin" / "gate-runner"


def _action(wheel: Path, tmp_path: Path) -> Path:
    steps = _yaml(ACTION)["runs"]["steps"]  # type: ignore[index]
    (install,) = [s for s in steps if s.get("id") == "install"]
    assert install["env"]["GATE_RUNNER_PACKAGE"] == "${{ inputs.package }}"
    output = tmp_path / "output"
    env = {
        "RUNNER_OS": "Linux",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_ACTION_PATH": str(tmp_path / "not-this"),
        "GATE_RUNNER_VERSION": "9.9.9",
        "GATE_RUNNER_PYTHON": sys.executable,
    }
    _install(install["run"], tmp_path, wheel, env)
    (executable,) = re.findall(r"^executable=(.*)$", output.read_text(), flags=re.M)
    return Path(executable)


LINES: dict[str, Callable[[Path, Path], Path]] = {
    "gitlab": _gitlab,
    "circleci": _circleci,
    "jenkins": _jenkins,
    "buildkite": _buildkite,
    "action": _action,
}


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Future[Path]]:
    """Every line's install, each into its own folder and virtualenv, all at once: an install
    mostly waits on pip, so the five overlap (one after another, they were the suite's longest
    file). Each test then takes its own line's result, so a failing line fails its test only."""
    pool = ThreadPoolExecutor(max_workers=len(LINES))
    jobs = {
        name: pool.submit(line, wheel, tmp_path_factory.mktemp(name))
        for name, line in LINES.items()
    }
    pool.shutdown(wait=True)
    return jobs


@pytest.mark.slow
def test_gitlab_install_line(installed: dict[str, Future[Path]]) -> None:
    _works(installed["gitlab"].result(), package_data=True)


@pytest.mark.slow
def test_circleci_install_line(installed: dict[str, Future[Path]]) -> None:
    _works(installed["circleci"].result())


@pytest.mark.slow
def test_jenkins_install_line(installed: dict[str, Future[Path]]) -> None:
    _works(installed["jenkins"].result())


@pytest.mark.slow
def test_buildkite_install_lines(installed: dict[str, Future[Path]]) -> None:
    _works(installed["buildkite"].result())


@pytest.mark.slow
def test_action_install_step_with_the_package_input(installed: dict[str, Future[Path]]) -> None:
    _works(installed["action"].result())


# --------------------------------------------------------------------------
# the release workflow

RELEASE = ROOT / ".github" / "workflows" / "release.yml"


def test_release_publishes_on_a_tag_with_trusted_publishing() -> None:
    workflow = _yaml(RELEASE)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as True
    assert triggers == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {"contents": "read"}
    jobs = workflow["jobs"]
    assert isinstance(jobs, dict)
    build = "\n".join(s.get("run", "") for s in jobs["build"]["steps"])
    assert "python -m build" in build and "twine check" in build
    publish = jobs["publish"]
    assert publish["needs"] == "build"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    (step,) = [s for s in publish["steps"] if "gh-action-pypi-publish" in s.get("uses", "")]
    assert re.fullmatch(r"pypa/gh-action-pypi-publish@[0-9a-f]{40}", step["uses"])
    assert "with" not in step or "password" not in step["with"]  # no stored token
    for job in jobs.values():
        for s in job["steps"]:
            if "uses" in s:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", s["uses"]), s["uses"]


@pytest.mark.parametrize(("tag", "code"), [(f"v{__version__}", 0), ("v99.0.0", 1), ("0.1.0", 1)])
def test_release_refuses_a_tag_that_is_not_the_version(tag: str, code: int, tmp_path: Path) -> None:
    steps = _yaml(RELEASE)["jobs"]["build"]["steps"]  # type: ignore[index]
    (check,) = [s for s in steps if "__version__" in s.get("run", "")]
    env = {"TAG": tag, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", check["run"]],
        cwd=ROOT,
        env=_env(env),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == code, done.stdout + done.stderr
    if code:
        assert f"::error title=release::tag {tag} is not v{__version__}" in done.stdout


@pytest.mark.slow
def test_release_workflow_validates_against_the_workflow_schema() -> None:
    pytest.importorskip("check_jsonschema")
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
         str(RELEASE)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
