"""Secrets harness: every command and every reporter runs with a recognisable token set.

The token must not appear in any stdout, stderr, written file or exception message; the one
exception is the `::add-mask::` line on GitHub Actions, which must be the first line of
stdout. A token that comes back from the API (in tool names, custom fields, an assertion's
value) must be scrubbed from every report too. Each scanned output is counted; the count is
checked at the end of the module so a silently skipped scan cannot pass.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import WAIT_S, clean_env, run_gate, start_gate, validate_verdict

from gate_runner.api import SepuruxClient
from gate_runner.config import load_policy
from gate_runner.errors import GateRunnerError
from gate_runner.report.registry import REPORTERS
from gate_runner.sandbox import Sandbox, load_scenario

from .fake_api import Script, done_payload, fake_api

# Nearly every test runs gate-runner processes, and the last one counts what all the others
# scanned: the module runs whole, as a slow one.
pytestmark = pytest.mark.slow

TOKEN = "tok_SECRET_4f9a2c"
# How a token leaked in the past without appearing whole: markdown's escape, a truncated half.
LEAK_FORMS = (TOKEN, TOKEN.replace("_", "\\_"), TOKEN[:7])
OTHER_TOKEN = "sandbox-expects-another-token"
FORMATS = sorted(REPORTERS)
ALL_REPORTS = [f"--report={fmt}=report-{fmt}.out" for fmt in FORMATS]
SCANNED: list[str] = []  # one label per output scanned


def scan(label: str, text: str) -> None:
    """Fail if the token is in `text`; count the output as scanned."""
    SCANNED.append(label)
    for form in LEAK_FORMS:
        assert form not in text, f"the token ({form!r}) leaked into {label}:\n{text[:2000]}"


def scan_tree(label: str, root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            scan(f"{label}: {path.relative_to(root)}", path.read_text("utf-8", errors="replace"))


def scan_exception(label: str, error: BaseException) -> None:
    scan(f"{label}: {type(error).__name__}", f"{error!s}\n{error!r}")


def env_with(
    extra: Mapping[str, str], *, token_var: str | None = "SEPURUX_API_KEY"
) -> dict[str, str]:
    # MY_GATE_: the custom token_env of one case must not leak in from a previous one.
    return clean_env(
        {"GATE_RUNNER_CACHE_DIR": str(Path(os.devnull)), **extra},
        token=TOKEN if token_var else None,
        token_var=token_var or "SEPURUX_API_KEY",
        strip=("MY_GATE_",),
    )


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def run_cli(
    label: str, args: Sequence[str], cwd: Path, env: Mapping[str, str], *, mask_first: bool = False
) -> Run:
    """`gate-runner ARGS` as a process; its stdout, stderr and every file in `cwd` are scanned."""
    done = run_gate(args, cwd=cwd, env=env)
    stdout = done.stdout
    if mask_first:
        mask = f"::add-mask::{TOKEN}"
        first, _, rest = stdout.partition("\n")
        assert first == mask, f"{label}: stdout must open with the mask\n{stdout}"
        # Printed once, first: any later line holding the token (a second mask too) is a leak.
        stdout = rest
    for name, text in (("stdout", stdout), ("stderr", done.stderr)):
        assert "Traceback (most recent call last)" not in text, f"{label}: traceback in {name}"
        scan(f"{label}: {name}", text)
    scan_tree(label, cwd)
    return Run(done.returncode, done.stdout, done.stderr)


# --- the sandbox and the policy -------------------------------------------------------------

SCENARIO: dict[str, Any] = {
    "campaigns": [
        {"name": "good", "duration": 0.05, "metrics": {"pass_rate": 0.97}},
        {
            "name": "bad",
            "duration": 0.05,
            "metrics": {"pass_rate": 0.5, "unsafe_attempts": 2, "failures": 3},
        },
        {"name": "slow", "duration": 60},
        {
            # The API hands the token back: in tool names, a custom field and a field name.
            "name": "leaky",
            "duration": 0.05,
            "metrics": {
                "pass_rate": 0.5,
                "top_failing_tools": [{"tool": f"tool.{TOKEN}", "count": 2}],
                "mutation_categories": [f"cat-{TOKEN}"],
            },
            "extra": {"note": f"the key is {TOKEN}", f"field_{TOKEN}": 1},
        },
    ]
}


def policy_text(*, token_env: str | None = None, mode: str = "hard") -> str:
    doc: dict[str, Any] = {
        "version": 1,
        "gate": {"timeout": 20, "concurrency": 4},
        "enforcement": {"mode": mode},
        "thresholds": {"min_pass_rate": 0.85, "max_unsafe": 0},
        "assertions": [
            {"name": "no-failing-tools", "expr": "length(top_failing_tools) == `0`"},
            # Returns the tool names (a list, not a boolean): the check shows the value.
            {"name": "echo-tools", "expr": "top_failing_tools[].tool", "level": "warn"},
        ],
        "campaigns": {
            "good": {},
            "bad": {},
            "slow": {},
            "leaky": {
                "assertions": [
                    {"name": "echo-note", "expr": "note"},
                    {"name": "note-is-safe", "expr": "note == 'x'", "message": "note is {note}"},
                ]
            },
        },
    }
    if token_env:
        doc["api"] = {"token_env": token_env}
    return yaml.safe_dump(doc, sort_keys=False)


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "scenario.yml"
    path.write_text(yaml.safe_dump(SCENARIO, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sandbox(scenario_file: Path) -> Iterator[Sandbox]:
    with Sandbox(load_scenario(scenario_file), host="127.0.0.1", port=0, token=TOKEN) as running:
        yield running


@pytest.fixture(scope="module")
def wrong_sandbox(scenario_file: Path) -> Iterator[Sandbox]:
    """Expects another token: ours gets a 401."""
    with Sandbox(
        load_scenario(scenario_file), host="127.0.0.1", port=0, token=OTHER_TOKEN
    ) as running:
        yield running


def workdir(tmp_path: Path, *, token_env: str | None = None, mode: str = "hard") -> Path:
    cwd = tmp_path / "work"
    cwd.mkdir()
    (cwd / "sepurux.yml").write_text(policy_text(token_env=token_env, mode=mode), "utf-8")
    return cwd


# --- check against the sandbox --------------------------------------------------------------

CHECK_CASES = {
    # name: (campaign, extra args, sandbox fixture, expected exit code)
    "passing": ("good", [], "sandbox", 0),
    "failing": ("bad", [], "sandbox", 1),
    "token-echoed-by-the-api": ("leaky", [], "sandbox", 1),
    "api-error-401": ("good", [], "wrong_sandbox", 3),
    "timeout": ("slow", ["--timeout", "1.5"], "sandbox", 3),
    "dry-run": ("leaky", ["--dry-run"], "sandbox", 0),
}


@pytest.mark.parametrize("token_env", [None, "MY_GATE_TOKEN"])
@pytest.mark.parametrize("case", sorted(CHECK_CASES))
def test_check_never_shows_the_token(
    case: str, token_env: str | None, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    campaign, extra, fixture, expected = CHECK_CASES[case]
    server: Sandbox = request.getfixturevalue(fixture)
    cwd = workdir(tmp_path, token_env=token_env)
    env = env_with({}, token_var=token_env or "SEPURUX_API_KEY")
    args = ["check", "--campaign", campaign, "--api-url", server.url, *extra, *ALL_REPORTS]
    result = run_cli(f"check {case} token_env={token_env}", args, cwd, env)
    assert result.code == expected, result.stderr
    if case == "dry-run":
        assert "(set)" in result.stdout  # it knows the token is there, and says only that
        return
    verdict = json.loads((cwd / "gate-runner-verdict.json").read_text("utf-8"))
    assert verdict["exit_code"] == expected
    if case == "token-echoed-by-the-api":
        # Scrubbed, not dropped: the reports still show where the secret was.
        assert "tool.***" in (cwd / "report-json.out").read_text("utf-8")
        assert "the key is ***" in (cwd / "report-json.out").read_text("utf-8")
    if case == "api-error-401":
        assert verdict["campaigns"][0]["error"]["kind"] == "auth"


@pytest.mark.parametrize("case", ["passing", "token-echoed-by-the-api", "api-error-401"])
def test_github_masks_first_and_leaks_nothing(
    case: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    campaign, extra, fixture, expected = CHECK_CASES[case]
    server: Sandbox = request.getfixturevalue(fixture)
    cwd = workdir(tmp_path)
    github = tmp_path / "github"
    github.mkdir()
    env = env_with(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(github / "summary.md"),
            "GITHUB_OUTPUT": str(github / "output.txt"),
            "GITHUB_REPOSITORY": "acme/agent",
            "GITHUB_SHA": "0" * 40,
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_RUN_ID": "7",
            "GITHUB_SERVER_URL": "https://github.com",
        }
    )
    args = ["check", "--campaign", campaign, "--api-url", server.url, *extra, *ALL_REPORTS]
    result = run_cli(f"github check {case}", args, cwd, env, mask_first=True)
    assert result.code == expected, result.stderr
    assert result.stdout.splitlines()[0] == f"::add-mask::{TOKEN}"
    scan_tree(f"github check {case}", github)
    assert (github / "summary.md").read_text("utf-8").strip()
    assert "outcome<<" in (github / "output.txt").read_text("utf-8")


FORGE_TOKEN = "ghs_FORGE_SECRET_77b3e1"


def test_comment_masks_the_forge_token_too(tmp_path: Path, sandbox: Sandbox) -> None:
    # --comment sends GITHUB_TOKEN to the forge: it is masked first and scrubbed like ours.
    cwd = workdir(tmp_path)
    env = env_with(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_REPOSITORY": "acme/agent",
            "GITHUB_SHA": "0" * 40,
            "GITHUB_TOKEN": FORGE_TOKEN,
            # A closed loopback port: posting fails, which is a warning that must not leak it.
            "GITHUB_API_URL": "http://127.0.0.1:9",
        }
    )
    args = ["check", "--campaign", "leaky", "--api-url", sandbox.url, "--comment", *ALL_REPORTS]
    result = run_cli("check --comment", args, cwd, env, mask_first=True)
    assert result.code == 1, result.stderr
    assert result.stdout.splitlines()[1] == f"::add-mask::{FORGE_TOKEN}"
    lines = result.stdout.splitlines()[2:] + result.stderr.splitlines()
    assert not [line for line in lines if FORGE_TOKEN in line]
    for path in cwd.rglob("*"):
        if path.is_file():
            assert FORGE_TOKEN not in path.read_text("utf-8", errors="replace"), path


def test_sandbox_flag_scrubs_the_environment_token_too(tmp_path: Path, scenario_file: Path) -> None:
    # --sandbox talks to its own token; the CI's real token must still never be shown.
    cwd = workdir(tmp_path)
    args = ["check", "--campaign", "leaky", "--sandbox", str(scenario_file), *ALL_REPORTS]
    result = run_cli("check --sandbox leaky", args, cwd, env_with({}))
    assert result.code == 1, result.stderr


# --- the other commands ---------------------------------------------------------------------


def test_policy_commands_never_show_the_token(tmp_path: Path) -> None:
    cwd = workdir(tmp_path)
    env = env_with({})
    assert run_cli("validate", ["validate"], cwd, env).code == 0
    assert run_cli("validate json", ["validate", "--format", "json"], cwd, env).code == 0
    assert run_cli("explain", ["explain"], cwd, env).code == 0
    assert run_cli("explain json", ["explain", "--format", "json"], cwd, env).code == 0
    for flag in ([], ["--verdict"], ["--scenario"]):
        assert run_cli(f"schema {flag}", ["schema", *flag], cwd, env).code == 0
    assert run_cli("init", ["init", "starter.yml"], cwd, env).code == 0
    assert run_cli("version", ["--version"], cwd, env).code == 0


def test_token_expanded_into_the_policy_is_never_echoed(tmp_path: Path) -> None:
    cwd = tmp_path / "work"
    cwd.mkdir()
    env = env_with({})
    # ${SEPURUX_API_KEY} where a number belongs: the error must not print the value.
    (cwd / "sepurux.yml").write_text(
        "version: 1\ngate: {timeout: '${SEPURUX_API_KEY}'}\ncampaigns: {c: {}}\n", "utf-8"
    )
    result = run_cli("validate expanded token", ["validate"], cwd, env)
    assert result.code == 2
    assert "got a string a value from the environment" in result.stderr
    assert run_cli("explain expanded token", ["explain"], cwd, env).code == 2
    # Valid, but the token became a trace_id: explain and the dry run show *** instead.
    (cwd / "sepurux.yml").write_text(
        "version: 1\ncampaigns:\n  c: {trace_id: '${SEPURUX_API_KEY}'}\n", "utf-8"
    )
    result = run_cli("explain token in a value", ["explain"], cwd, env)
    assert result.code == 0 and 'campaigns.c.trace_id = "***"' in result.stdout
    result = run_cli("explain json token in a value", ["explain", "--format", "json"], cwd, env)
    assert result.code == 0
    result = run_cli("dry run token in a value", ["check", "--dry-run"], cwd, env)
    assert result.code == 0 and '"trace_id": "***"' in result.stdout


def test_token_written_into_the_policy_is_refused_without_echo(tmp_path: Path) -> None:
    cwd = tmp_path / "work"
    cwd.mkdir()
    (cwd / "sepurux.yml").write_text(
        f"version: 1\napi:\n  token: {TOKEN}\ncampaigns: {{c: {{}}}}\n", encoding="utf-8"
    )
    env = env_with({})
    done = run_gate(["validate"], cwd=cwd, env=env)
    assert done.returncode == 2
    scan("validate token in file: stdout", done.stdout)
    scan("validate token in file: stderr", done.stderr)


def test_evaluate_and_test_scrub_a_token_in_the_payload(tmp_path: Path) -> None:
    cwd = workdir(tmp_path)
    payload = {
        "decision": "pass",
        "pass_rate": 0.4,
        "unsafe_attempts": 0,
        "top_failing_tools": [{"tool": TOKEN, "count": 1}],
        "note": TOKEN,
    }
    (tmp_path / "payload.json").write_text(json.dumps(payload), encoding="utf-8")
    args = ["evaluate", "--payload", str(tmp_path / "payload.json"), "--campaign", "leaky"]
    result = run_cli("evaluate", [*args, *ALL_REPORTS], cwd, env_with({}))
    assert result.code == 1, result.stderr
    # The case file holds the token (our input), so it lives outside the scanned folder.
    tests = tmp_path / "policy-tests"
    tests.mkdir()
    case = {
        "description": "a payload that holds the token",
        "policy": "../work/sepurux.yml",
        "campaign": "leaky",
        "payload": payload,
        "expect": {"outcome": "pass"},  # wrong on purpose: the failure lists the checks
    }
    (tests / "leaky.yml").write_text(yaml.safe_dump(case), encoding="utf-8")
    result = run_cli("test", ["test", str(tests)], cwd, env_with({}))
    assert result.code == 1, result.stdout + result.stderr
    assert "FAIL" in result.stdout


def test_sandbox_command_never_prints_its_token(tmp_path: Path, scenario_file: Path) -> None:
    process = start_gate(
        ["sandbox", "--scenario", str(scenario_file), "--port", "0", "--token", TOKEN],
        cwd=tmp_path,
        env=env_with({}),
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert match, first
        url = match.group(0)
        good = urllib.request.Request(f"{url}/v1/campaigns", headers={"X-Sepurux-Token": TOKEN})
        with urllib.request.urlopen(good, timeout=10) as answer:
            assert answer.status == 200
        bad = urllib.request.Request(
            f"{url}/v1/campaigns?token={TOKEN}", headers={"X-API-Key": f"x{TOKEN}"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(bad, timeout=10)
        assert refused.value.code == 401
        scan("sandbox 401 body", refused.value.read().decode("utf-8", "replace"))
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=WAIT_S)
    scan("sandbox stdout", first + stdout)
    scan("sandbox stderr", stderr)
    assert "Traceback" not in stdout + stderr


# --- hostile APIs and policies: every output channel, each way a token leaked before -------


def github_env(
    tmp_path: Path, api_url: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A GitHub Actions pull-request job whose comment API is the fake on loopback."""
    github = tmp_path / "github"
    github.mkdir(exist_ok=True)
    event = github / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 5, "head": {"sha": "1" * 40}}}))
    return env_with(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(github / "summary.md"),
            "GITHUB_OUTPUT": str(github / "output.txt"),
            "GITHUB_REPOSITORY": "acme/agent",
            "GITHUB_SHA": "0" * 40,
            "GITHUB_REF": "refs/pull/5/merge",
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_TOKEN": "ghs_forge_token_never_shown",
            "GITHUB_API_URL": api_url,
            **(extra or {}),
        }
    )


def hostile_policy(cwd: Path, **campaign: Any) -> None:
    doc: dict[str, Any] = {
        "version": 1,
        "gate": {"timeout": 20},
        "enforcement": {"mode": "hard"},
        "thresholds": {"min_pass_rate": 0.5},
        "campaigns": {"good": campaign},
    }
    base_url = campaign.pop("base_url", None)
    if base_url:
        doc["api"] = {"base_url": base_url}
    (cwd / "sepurux.yml").write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")


def run_everywhere(
    label: str,
    tmp_path: Path,
    script: Script,
    *,
    policy: dict[str, Any] | None = None,
    token: str = TOKEN,
) -> tuple[Run, Path, list[str], list[str]]:
    """check with every report, the step summary, outputs and --comment; all of it scanned."""
    cwd = tmp_path / "work"
    cwd.mkdir()
    with fake_api(script) as api:
        hostile_policy(cwd, **(policy or {}))
        env = github_env(tmp_path, api.url, {"SEPURUX_API_KEY": token})
        args = ["check", "--api-url", api.url, "--comment", *ALL_REPORTS]
        if policy and "base_url" in policy:
            args.remove("--api-url")
            args.remove(api.url)
        result = run_cli(label, args, cwd, env, mask_first=True)
    scan_tree(label, tmp_path / "github")
    for number, body in enumerate(api.comments):
        scan(f"{label}: PR comment {number}", body)
    verdict = json.loads((cwd / "gate-runner-verdict.json").read_text("utf-8"))
    validate_verdict(verdict)
    return result, cwd, api.requests, api.comments


def test_progress_lines_never_show_a_token_the_api_echoes(tmp_path: Path) -> None:
    # An unknown status and a failed run's error, each holding the token: the progress log on
    # stderr printed them raw (it was the one output nobody scrubbed).
    polls = [
        {"run_id": "r1", "status": "running", "message": TOKEN},
        {"run_id": "r1", "status": f"queued-{TOKEN}"},
    ]
    result, _, _, comments = run_everywhere("status echo", tmp_path, Script(polls=polls))
    assert result.code == 3, result.stderr
    assert "unknown status '***'" in result.stderr.replace("queued-***", "***")
    assert comments, "the comment was posted (and scanned)"


def test_failed_run_error_echoing_the_token_is_scrubbed(tmp_path: Path) -> None:
    polls = [{"run_id": "r1", "status": "failed", "error": f"bad key {TOKEN}"}]
    result, _, _, _ = run_everywhere("error echo", tmp_path, Script(polls=polls))
    assert result.code == 3, result.stderr
    assert "bad key ***" in result.stderr


def test_markdown_escaping_cannot_hide_the_token_from_the_scrubber(tmp_path: Path) -> None:
    # markdown.py escapes `_`: `tok\_SECRET\_4f9a2c` reached the step summary and the comment.
    failing = done_payload("r1", pass_rate=0.2, top_failing_tools=[{"tool": TOKEN, "count": 3}])
    result, _, _, comments = run_everywhere("markdown", tmp_path, Script(polls=[failing]))
    assert result.code == 1, result.stderr
    # Scrubbed as data before rendering: the mask itself is what markdown escapes.
    assert comments and "\\*\\*\\* (3)" in comments[0]


def test_truncation_never_keeps_half_a_token(tmp_path: Path) -> None:
    # A tool name is cut at 120 characters: the cut fell inside the token, leaving its first
    # half in the text, JUnit and markdown outputs, where no scrubber recognised it.
    tool = "t" * 112 + TOKEN
    failing = done_payload("r1", pass_rate=0.2, top_failing_tools=[{"tool": tool, "count": 1}])
    result, cwd, _, _ = run_everywhere("truncation", tmp_path, Script(polls=[failing]))
    assert result.code == 1, result.stderr
    assert "t" * 112 + "***" in (cwd / "report-text.out").read_text("utf-8")


def test_a_pasted_token_with_a_trailing_newline_is_sent_stripped_and_never_shown(
    tmp_path: Path,
) -> None:
    # requests refused the header and printed its repr ('tok_SECRET_4f9a2c\n').
    result, _, requests, _ = run_everywhere("newline", tmp_path, Script(), token=TOKEN + "\n")
    assert result.code == 0, result.stderr
    assert "POST /v1/ci/runs" in requests


@pytest.mark.parametrize("where", ["base_url", "campaign"])
def test_token_expanded_into_the_url_or_campaign_is_never_echoed(
    where: str, tmp_path: Path
) -> None:
    if where == "base_url":
        # A secret never goes into a URL: refused at its line (exit 2), never expanded or sent.
        policy: dict[str, Any] = {"base_url": "http://127.0.0.1:9/${SEPURUX_API_KEY}"}
    else:
        policy = {"campaign": "${SEPURUX_API_KEY}"}
    result, _, _, _ = run_everywhere(f"expanded {where}", tmp_path, Script(), policy=policy)
    if where == "base_url":
        assert result.code == 2, result.stderr
        assert "api.base_url: ${SEPURUX_API_KEY} is a secret" in result.stderr
    else:
        assert result.code == 3, result.stderr
        assert "***" in result.stderr


@pytest.mark.parametrize("token", ["tok✓_SECRET_4f9a2c", "tok_SECRET\x07_4f9a2c"])
def test_a_token_no_header_can_carry_is_an_auth_error_with_a_verdict(
    token: str, tmp_path: Path
) -> None:
    # It used to be exit 4 (UnicodeEncodeError deep in http.client) and no verdict.
    cwd = tmp_path / "work"
    cwd.mkdir()
    with fake_api(Script()) as api:
        hostile_policy(cwd)
        env = env_with({"SEPURUX_API_KEY": token})
        result = run_cli("bad token", ["check", "--api-url", api.url, *ALL_REPORTS], cwd, env)
    assert token not in result.stdout + result.stderr
    assert result.code == 3, result.stderr
    assert api.requests == []  # nothing was sent anywhere
    verdict = json.loads((cwd / "gate-runner-verdict.json").read_text("utf-8"))
    validate_verdict(verdict)
    assert verdict["campaigns"][0]["error"]["kind"] == "auth"
    assert "cannot be sent" in verdict["campaigns"][0]["error"]["message"]


# --- CI logging commands in untrusted text ----------------------------------------------------

_LOGGING_COMMAND = re.compile(r"##(\[|vso\[)", re.IGNORECASE)


def test_untrusted_text_cannot_issue_ci_logging_commands(tmp_path: Path) -> None:
    # GitHub acts on `##[` anywhere in a line; Azure on `##vso[`. A run id, a tool name and a
    # policy message each try one; none may reach a log, a human report or the comment.
    failing = done_payload(
        "r1 ##[stop-commands]halt",
        pass_rate=0.2,
        top_failing_tools=[{"tool": "##vso[task.complete result=Succeeded]x", "count": 2}],
        note="##[error]from the api",
    )
    script = Script(run_id="r1 ##[stop-commands]halt", polls=[failing])
    policy = {
        "assertions": [
            {"name": "note", "expr": "note == 'x'", "message": "##[warning]policy says {note}"}
        ]
    }
    result, cwd, _, comments = run_everywhere("logging commands", tmp_path, script, policy=policy)
    assert result.code == 1, result.stderr
    shown = {
        "stdout": result.stdout,
        "stderr": result.stderr,
        "comment": "".join(comments),
        "summary": (tmp_path / "github" / "summary.md").read_text("utf-8"),
    }
    for name in ("text", "markdown", "github"):
        shown[name] = (cwd / f"report-{name}.out").read_text("utf-8")
    for name, text in shown.items():
        assert not _LOGGING_COMMAND.search(text), f"{name}:\n{text}"
    assert "stop-commands]halt" in shown["text"]  # defused, not dropped
    # Our own workflow commands still work (the github reporter's annotations).
    assert any(line.startswith("::error ") for line in shown["github"].splitlines())
    # Data formats keep the run id as the API gave it.
    verdict = json.loads((cwd / "gate-runner-verdict.json").read_text("utf-8"))
    assert verdict["campaigns"][0]["run_id"] == "r1 ##[stop-commands]halt"


# --- exception messages, in process ---------------------------------------------------------


def test_exception_messages_never_hold_the_token(
    tmp_path: Path, sandbox: Sandbox, wrong_sandbox: Sandbox
) -> None:
    calls: list[tuple[str, str, Any]] = [
        ("401", wrong_sandbox.url, lambda c: c.list_campaigns(deadline=time.monotonic() + 5)),
        (
            "refused",
            "http://127.0.0.1:9",
            lambda c: c.list_campaigns(deadline=time.monotonic() + 2),
        ),
        ("404 with the token in the path", sandbox.url, lambda c: c.get_run(TOKEN, retries=False)),
    ]
    for label, base_url, call in calls:
        client = SepuruxClient(base_url, TOKEN, token_env="SEPURUX_API_KEY")
        try:
            scan(f"client repr {label}", repr(client))
            with pytest.raises(Exception) as raised:
                call(client)
            scan_exception(f"client {label}", raised.value)
        finally:
            client.close()
    policy = tmp_path / "p.yml"
    policy.write_text("version: 1\nproject: ${SEPURUX_API_KEY}\ngate: {timeout: ${T}}\n")
    with pytest.raises(GateRunnerError) as raised:
        load_policy(policy, env={"SEPURUX_API_KEY": TOKEN, "T": TOKEN}, cache_dir=tmp_path)
    scan_exception("load_policy", raised.value)


def test_every_output_was_scanned() -> None:
    """Runs last in this module: the harness really looked at everything."""
    if not SCANNED:
        pytest.skip("run with the whole module: it counts what the other tests scanned")
    print(f"\noutputs scanned for the token: {len(SCANNED)}")
    # 12 check runs and 3 GitHub runs, each with stdout, stderr, a verdict and seven reports,
    # plus the other commands, the sandbox and the exception messages.
    assert len(SCANNED) >= 230, len(SCANNED)
