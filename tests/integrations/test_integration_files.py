"""Structural checks of the CI integration files and the docs that show them.

These files are not executed by the test suite, so the facts that make them work
(soft exit codes matching the CI's soft-fail setting, reports kept on failure,
inputs never interpolated into shell scripts, flags that really exist) are
asserted here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.gitlab_jobs import job as gitlab_job

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
ACTION = ROOT / "action.yml"
GITLAB = ROOT / "integrations" / "gitlab" / "gate-runner.gitlab-ci.yml"
CIRCLECI = ROOT / "integrations" / "circleci" / "config.yml"
JENKINS = ROOT / "integrations" / "jenkins" / "Jenkinsfile"
BUILDKITE = ROOT / "integrations" / "buildkite" / "pipeline.yml"
PRE_COMMIT = ROOT / ".pre-commit-hooks.yaml"

YAML_FILES = [ACTION, GITLAB, CIRCLECI, BUILDKITE, PRE_COMMIT]
INTEGRATION_DOCS = [
    "github-actions.md",
    "gitlab-ci.md",
    "circleci.md",
    "jenkins.md",
    "buildkite.md",
    "azure-pipelines.md",
    "bitbucket-pipelines.md",
    "enforcement-rollout.md",
    "exit-codes.md",
]

SOFT_EXIT_RE = re.compile(r"--soft-exit-code[ =](\d+)")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def soft_exit_codes(text: str) -> set[int]:
    return {int(n) for n in SOFT_EXIT_RE.findall(text)}


def fenced_blocks(markdown: str, languages: tuple[str, ...]) -> list[str]:
    blocks = re.findall(r"^```([\w-]*)\n(.*?)^```", markdown, flags=re.S | re.M)
    return [body for lang, body in blocks if lang in languages]


# --------------------------------------------------------------------------
# the CLI surface, parsed from docs/architecture.md


def cli_surface() -> dict[str, set[str]]:
    """Map each command of architecture.md's "CLI surface" to the flags it lists."""
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    match = re.search(r"^## CLI surface\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    assert match, "docs/architecture.md has no '## CLI surface' section"
    (block,) = re.findall(r"```\n(.*?)```", match.group(1), flags=re.S)
    commands: dict[str, set[str]] = {}
    current = None
    for line in block.splitlines():
        head = re.match(r"gate-runner\s+(\S+)", line)
        if head:
            current = head.group(1)
            if current.startswith("--"):  # gate-runner --version
                commands.setdefault("", set()).add(current)
                continue
            commands.setdefault(current, set())
        if current and not current.startswith("--"):
            commands[current].update(re.findall(r"--[a-z][a-z0-9-]*", line))
    return commands


SURFACE = cli_surface()
SUBCOMMANDS = sorted(c for c in SURFACE if c)
ALWAYS_ALLOWED = {"--help"}

# `gate-runner <command> <args…>` up to the end of the shell command or prose fragment.
COMMAND_RE = re.compile(
    r"(?<![\w.-])gate-runner\s+(" + "|".join(map(re.escape, SUBCOMMANDS)) + r")\b([^`;|&#\n]*)"
)


def command_lines(text: str) -> list[tuple[str, list[str]]]:
    """Every `gate-runner COMMAND …` in a text, with the flags it uses."""
    joined = re.sub(r"\\\n\s*", " ", text)  # shell line continuations
    found = []
    for match in COMMAND_RE.finditer(joined):
        args = match.group(2)
        flags = [
            f.split("=", 1)[0] for f in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*(?:=\S*)?", args)
        ]
        found.append((match.group(1), flags))
    return found


def files_with_commands() -> list[Path]:
    docs = [p for p in sorted(DOCS.glob("*.md")) if p.name != "architecture.md"]
    return [*docs, ACTION, GITLAB, CIRCLECI, JENKINS, BUILDKITE, PRE_COMMIT]


def folded_yaml_text(path: Path) -> str:
    """The file's text plus every string in it, so folded (`>-`) scripts read as one line."""
    strings: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            strings.append(node)

    walk(load(path))
    return "\n".join(strings)


def test_cli_surface_parsed() -> None:
    assert {"check", "validate", "evaluate", "explain", "schema", "init", "test", "sandbox"} <= set(
        SURFACE
    )
    assert "--soft-exit-code" in SURFACE["check"]
    assert "--report" in SURFACE["check"]
    assert "--version" in SURFACE[""]


@pytest.mark.parametrize("path", files_with_commands(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_flag_in_gate_runner_commands_exists(path: Path) -> None:
    texts = [path.read_text(encoding="utf-8")]
    if path.suffix in {".yml", ".yaml"}:
        texts.append(folded_yaml_text(path))
    problems = []
    for text in texts:
        for command, flags in command_lines(text):
            allowed = SURFACE[command] | SURFACE[""] | ALWAYS_ALLOWED
            problems += [f"gate-runner {command} {flag}" for flag in flags if flag not in allowed]
    assert not problems, f"flags not in docs/architecture.md's CLI surface: {sorted(set(problems))}"


def test_command_scanner_sees_the_integration_commands() -> None:
    # Guard against a scanner that silently finds nothing.
    for path in (GITLAB, CIRCLECI, JENKINS, BUILDKITE):
        text = (
            path.read_text(encoding="utf-8")
            + "\n"
            + (folded_yaml_text(path) if path.suffix == ".yml" else "")
        )
        commands = command_lines(text)
        assert any(c == "check" and "--report" in flags for c, flags in commands), path
    bogus = command_lines("run `gate-runner check --config x --no-such-flag=1` now")
    assert bogus == [("check", ["--config", "--no-such-flag"])]
    assert command_lines("gate-runner check \\\n  --soft-exit-code 10") == [
        ("check", ["--soft-exit-code"])
    ]
    assert command_lines("pip install gate-runner --upgrade") == []


# --------------------------------------------------------------------------
# YAML files


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_yaml_files_parse(path: Path) -> None:
    assert load(path) is not None


@pytest.mark.parametrize("name", INTEGRATION_DOCS)
def test_yaml_examples_in_docs_parse(name: str) -> None:
    text = (DOCS / name).read_text(encoding="utf-8")
    for block in fenced_blocks(text, ("yaml", "yml")):
        yaml.safe_load(block)


# --------------------------------------------------------------------------
# GitHub Action

EXPECTED_INPUTS = {
    "config",
    "discover",
    "publish",
    "campaign",
    "enforcement",
    "soft-exit-code",
    "reports",
    "comment",
    "version",
    "python-version",
}


def action_steps() -> list[dict[str, Any]]:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    steps: list[dict[str, Any]] = action["runs"]["steps"]
    return steps


def test_action_inputs_and_outputs() -> None:
    action = load(ACTION)
    assert set(action["inputs"]) >= EXPECTED_INPUTS
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
    assert set(action["outputs"]) == {"outcome", "blocking", "exit-code", "verdict-path"}
    step_ids = {step.get("id") for step in action_steps()}
    for name, spec in action["outputs"].items():
        ref = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}", spec["value"])
        assert ref, name
        assert ref.group(1) in step_ids and ref.group(2) == name


def test_action_run_scripts_never_interpolate_expressions() -> None:
    runs = [step["run"] for step in action_steps() if "run" in step]
    assert runs
    for script in runs:
        assert "${{" not in script, script
    # and inputs are used only through env: or with:
    raw = ACTION.read_text(encoding="utf-8")
    for line in raw.splitlines():
        if "${{ inputs." in line:
            assert re.match(r"\s+[\w-]+: \$\{\{ inputs\.[\w-]+ \}\}\s*$", line), line


def test_action_passes_every_input() -> None:
    used: set[str] = set()
    for step in action_steps():
        for value in [*(step.get("env") or {}).values(), *(step.get("with") or {}).values()]:
            used.update(re.findall(r"\$\{\{ inputs\.([\w-]+) \}\}", str(value)))
        if "run" in step:
            assert step.get("shell") == "bash"
    assert set(load(ACTION)["inputs"]) <= used


def test_action_installs_itself_and_runs_check() -> None:
    steps = action_steps()
    assert any(str(step.get("uses", "")).startswith("actions/setup-python@") for step in steps)
    install = next(step["run"] for step in steps if "pip install" in step.get("run", ""))
    assert "$GITHUB_ACTION_PATH" in install
    gate = next(step for step in steps if step.get("id") == "gate")
    assert "check" in gate["run"]
    assert 'exit "$rc"' in gate["run"]
    # the action uploads nothing by itself
    assert not any("upload" in str(step.get("uses", "")) for step in steps)


def test_github_actions_doc_workflow() -> None:
    text = (DOCS / "github-actions.md").read_text(encoding="utf-8")
    workflows = [
        doc
        for doc in map(yaml.safe_load, fenced_blocks(text, ("yaml", "yml")))
        if isinstance(doc, dict) and "jobs" in doc
    ]
    assert workflows
    workflow = workflows[0]
    # PyYAML (YAML 1.1) reads the key `on` as True
    triggers = workflow.get("on", workflow.get(True))
    assert "pull_request" in triggers
    assert workflow["permissions"]["pull-requests"] == "write"
    assert workflow["permissions"]["security-events"] == "write"
    steps = next(iter(workflow["jobs"].values()))["steps"]
    sarif = next(
        s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")
    )
    assert sarif["if"] == "always()"
    assert sarif["with"]["sarif_file"] == "gate-runner.sarif"
    gate = next(s for s in steps if s.get("id") == "gate")
    assert set(gate["with"]) <= set(load(ACTION)["inputs"])
    assert "sarif" in gate["with"]["reports"].split()


# --------------------------------------------------------------------------
# GitLab CI


@pytest.mark.parametrize("name", ["gate-runner", "gate-runner-record"])
def test_gitlab_template(name: str) -> None:
    job = gitlab_job(name)
    script = "\n".join(job["script"])
    assert "gate-runner check" in script
    (code,) = soft_exit_codes(script)
    assert job["allow_failure"]["exit_codes"] == [code]
    assert code not in {0, 1, 2, 3, 4, 130}
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"
    assert artifacts["reports"]["junit"] == "gate-runner-junit.xml"
    assert artifacts["reports"]["codequality"] == "gate-runner-codequality.json"
    assert "--report junit" in script and "--report gitlab" in script


# --------------------------------------------------------------------------
# CircleCI


def test_circleci_config() -> None:
    config = load(CIRCLECI)
    assert config["version"] == 2.1
    steps = config["jobs"]["gate-runner"]["steps"]
    kinds = [next(iter(s)) if isinstance(s, dict) else s for s in steps]
    assert "store_test_results" in kinds and "store_artifacts" in kinds
    commands = " ".join(s["run"]["command"] for s in steps if isinstance(s, dict) and "run" in s)
    junit = re.search(r"--report junit=(\S+)", commands)
    assert junit
    results_dir = next(
        s["store_test_results"]["path"]
        for s in steps
        if isinstance(s, dict) and "store_test_results" in s
    )
    assert junit.group(1).startswith(results_dir.rstrip("/") + "/")
    assert any(
        s["store_artifacts"]["path"] == "gate-runner-verdict.json"
        for s in steps
        if isinstance(s, dict) and "store_artifacts" in s
    )
    assert "gate-runner" in {
        next(iter(j)) if isinstance(j, dict) else j
        for j in config["workflows"]["reliability-gate"]["jobs"]
    }


# --------------------------------------------------------------------------
# Jenkins


def test_jenkinsfile() -> None:
    text = JENKINS.read_text(encoding="utf-8")
    assert "returnStatus: true" in text
    (code,) = soft_exit_codes(text)
    assert f"rc == {code}" in text
    assert re.search(r"if \(rc == \d+\) \{\s*unstable\(", text)
    assert re.search(r"\bjunit\b[^\n]*gate-runner-junit\.xml", text)
    assert "always {" in text
    assert text.count("{") == text.count("}")


def test_jenkinsfile_image_has_git() -> None:
    # On a PR the head commit is read from the workspace's refs (gate_runner/ci/jenkins.py):
    # without git the verdict's commit is null. The official python images have git
    # except -slim and -alpine (they are buildpack-deps based).
    text = JENKINS.read_text(encoding="utf-8")
    (image,) = re.findall(r"image\s+'([^']+)'", text)
    installs_git = re.search(r"(apt-get|apk)[^\n]*install[^\n]*\bgit\b", text)
    assert installs_git or not re.search(r"-(slim|alpine)", image), image


# --------------------------------------------------------------------------
# Buildkite


def test_buildkite_pipeline() -> None:
    pipeline = load(BUILDKITE)
    (step,) = pipeline["steps"]
    (code,) = soft_exit_codes(step["command"])
    assert step["soft_fail"] == [{"exit_status": code}]
    assert "gate-runner-verdict.json" in step["artifact_paths"]
    # `$` would be interpolated at upload time; the script's own variables are escaped
    assert re.search(r"(?<!\$)\$(?![$({])", step["command"]) is None


# --------------------------------------------------------------------------
# pre-commit


def test_pre_commit_hooks() -> None:
    hooks = {h["id"]: h for h in load(PRE_COMMIT)}
    policy_hook = hooks["gate-runner-validate"]
    assert policy_hook["entry"] == "python -m gate_runner.cli.precommit_hook"
    paths_hook = hooks["gate-runner-validate-paths"]
    assert paths_hook["entry"] == "gate-runner validate"
    for hook in hooks.values():
        assert hook["language"] == "python"
        # pre-commit.ci has no network: remote extends come from the cache or are skipped.
        assert hook["args"] == ["--offline"]
    files = re.compile(policy_hook["files"])
    for path in ("sepurux.yml", "sub/dir/sepurux.yaml", "policies/base.yml", "k8s/deploy.yaml"):
        assert files.search(path), path  # candidates; the hook reads them to decide
    for path in ("policies/nested/x.txt", "sepurux.yml.bak", "notpolicies/x.yml.orig"):
        assert not files.search(path), path
    assert not re.search(paths_hook["files"], "policies/base.yml")  # until the user sets files:


# --------------------------------------------------------------------------
# the soft exit code is the same everywhere the docs show it


def test_docs_agree_on_the_soft_exit_code() -> None:
    codes: set[int] = set()
    for path in [GITLAB, JENKINS, BUILDKITE, *(DOCS / n for n in INTEGRATION_DOCS)]:
        codes |= soft_exit_codes(path.read_text(encoding="utf-8"))
    assert len(codes) == 1, codes


# --------------------------------------------------------------------------
# vendor schemas (SchemaStore copies bundled with check-jsonschema; no network)


def _doc_yaml(name: str) -> str:
    (block, *_) = fenced_blocks((DOCS / name).read_text(encoding="utf-8"), ("yaml",))
    return block


VENDOR_CHECKS = [
    ("vendor.github-actions", lambda: ACTION.read_text(encoding="utf-8")),
    ("vendor.gitlab-ci", lambda: GITLAB.read_text(encoding="utf-8")),
    ("vendor.circle-ci", lambda: CIRCLECI.read_text(encoding="utf-8")),
    ("vendor.buildkite", lambda: BUILDKITE.read_text(encoding="utf-8")),
    ("vendor.github-workflows", lambda: _doc_yaml("github-actions.md")),
    ("vendor.gitlab-ci", lambda: _doc_yaml("gitlab-ci.md")),
    ("vendor.azure-pipelines", lambda: _doc_yaml("azure-pipelines.md")),
    ("vendor.bitbucket-pipelines", lambda: _doc_yaml("bitbucket-pipelines.md")),
]


@pytest.mark.parametrize(("schema", "source"), VENDOR_CHECKS, ids=[s for s, _ in VENDOR_CHECKS])
@pytest.mark.slow
def test_files_validate_against_vendor_schemas(schema: str, source: Any, tmp_path: Path) -> None:
    pytest.importorskip("check_jsonschema")
    import subprocess
    import sys

    target = tmp_path / "file.yml"
    target.write_text(source(), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--regex-variant",
            "python",
            "--builtin-schema",
            schema,
            str(target),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------
# one fetch depth: every clone and fetch the docs and templates suggest serves both
# --policy-ref and --baseline auto (issue 20)


def test_every_suggested_fetch_names_the_one_depth() -> None:
    from gate_runner.governance.ref.git_source import FETCH_DEPTH

    files = [
        *sorted(DOCS.glob("*.md")),
        ROOT / "README.md",
        ACTION,
        *sorted((ROOT / "integrations").rglob("*")),
    ]
    patterns = {
        "--depth": re.compile(r"--depth[= ]\"?([^\s\"]+)"),
        "fetch-depth": re.compile(r"fetch-depth:? *`?(\d+)"),
        "GIT_DEPTH": re.compile(r"GIT_DEPTH: *\"?(\d+)"),
    }
    wrong = []
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        for name, pattern in patterns.items():
            for value in pattern.findall(text):
                if value.startswith("$") or value in (str(FETCH_DEPTH), "0"):
                    continue
                wrong.append(f"{path.relative_to(ROOT)}: {name} {value}")
    assert wrong == []
