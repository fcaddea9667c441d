"""Text a stored verdict, a repository, a policy or the API controls is shown, never obeyed.

`replay` printed a stored outcome of "pass\\n::error ..." at the start of a line (a GitHub
workflow command), policy keys and directory names with newlines or ESC sequences reached
stderr raw, and a tool name "@octocat @acme/security" from the API pinged both in the PR
comment. One owner now makes such text safe (gate_runner/safe_text.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from governance.conftest import verdict_json
from support import clean_env, run_gate

INJECTED = "::error file=app.py,line=1::pwned"
ESC = "\x1b"

POLICY = """version: 1
enforcement: {mode: hard}
thresholds: {min_pass_rate: 0.5}
campaigns:
  core: {}
"""


def _no_injected_line(*outputs: str) -> None:
    for output in outputs:
        assert ESC not in output, output
        for line in output.splitlines():
            assert not line.startswith("::"), output
            assert not line.startswith("x: expected"), output


@pytest.mark.slow
@pytest.mark.parametrize("where", ["verdict", "campaign"])
@pytest.mark.parametrize("format", ["text", "markdown"])
def test_replay_refuses_a_forged_outcome_and_prints_nothing_it_holds_raw(
    tmp_path: Path, where: str, format: str
) -> None:
    folder = tmp_path / "verdicts"
    folder.mkdir()
    (folder / "good.json").write_text(verdict_json("a" * 40), encoding="utf-8")
    forged = json.loads(verdict_json("b" * 40))
    target = forged if where == "verdict" else forged["campaigns"][0]
    target["outcome"] = "pass\n" + INJECTED
    (folder / "forged.json").write_text(json.dumps(forged), encoding="utf-8")
    (tmp_path / "candidate.yml").write_text(POLICY, encoding="utf-8")
    args = [
        "replay",
        "--policy",
        "candidate.yml",
        "--replaces",
        "sepurux.yml",
        "verdicts",
        "--format",
        format,
    ]
    done = run_gate(args, cwd=tmp_path, env=clean_env(token=None))
    assert done.code == 0, done.stderr
    _no_injected_line(done.stdout, done.stderr)
    assert "of the last 1 merge " in done.stdout
    what = "outcome" if where == "verdict" else "campaign core outcome"
    shown = "'pass\\n::error file=app.py,line=1::pwned'"
    if format == "text":
        assert (
            f"skipped verdicts/forged.json: its {what} {shown} is not one of "
            "pass, fail, warn, error, inconclusive"
        ) in done.stdout
    else:
        assert "- skipped verdicts/forged.json: its " in done.stdout
        assert "\\_" not in what and "is not one of pass, fail, warn, error, inconclusive" in (
            done.stdout
        )


@pytest.mark.slow
def test_a_directory_name_replay_reports_stays_on_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "verdicts" / f"evil\n{INJECTED}\n{ESC}[2J"
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text("{", encoding="utf-8")
    (tmp_path / "candidate.yml").write_text(POLICY, encoding="utf-8")
    done = run_gate(
        ["replay", "--policy", "candidate.yml", "--replaces", "sepurux.yml", "verdicts"],
        cwd=tmp_path,
        env=clean_env(token=None),
    )
    assert done.code == 0, done.stderr
    _no_injected_line(done.stdout, done.stderr)
    assert f"skipped verdicts/evil\\n{INJECTED}\\n\\e[2J/broken.json: not valid JSON" in (
        done.stdout
    )


KEYED = 'version: 1\ncampaigns:\n  "co\\u001b[31mre\\nx: expected": {}\n'


@pytest.mark.slow
@pytest.mark.parametrize(
    "command", [["validate"], ["check", "--sandbox", "scenario.yml", "--config"]]
)
def test_policy_keys_and_directory_names_with_newlines_or_esc_stay_on_one_line(
    tmp_path: Path, command: list[str]
) -> None:
    folder = tmp_path / f"dir\n{INJECTED}{ESC}]0;title{ESC}\\"
    folder.mkdir()
    (folder / "sepurux.yml").write_text(KEYED, encoding="utf-8")
    (folder / "scenario.yml").write_text("campaigns: []\n", encoding="utf-8")
    args = [*command, str(folder / "sepurux.yml")]
    done = run_gate(args, cwd=tmp_path, env=clean_env(token=None))
    assert done.code == 2, done.stderr
    _no_injected_line(done.stdout, done.stderr)
    problem = next(line for line in done.stderr.splitlines() if "expected a campaign key" in line)
    start = "dir\\n::error file=app.py,line=1::pwned\\e]0;title\\e\\/sepurux.yml:3:3: "
    assert start in problem
    assert "campaigns.co\\e[31mre\\nx: expected: expected a campaign key" in problem


@pytest.mark.slow
def test_a_tool_name_from_the_api_pings_nobody_in_the_comment(tmp_path: Path) -> None:
    tool = "@octocat @acme/security see #123 and GH-7"
    scenario = {
        "token": "sandbox-token",
        "campaigns": [
            {"name": "core", "duration": 0,
             "metrics": {"pass_rate": 0.2, "top_failing_tools": [{"tool": tool, "count": 3}]}}
        ],
    }  # fmt: skip
    (tmp_path / "scenario.yml").write_text(yaml.safe_dump(scenario), encoding="utf-8")
    (tmp_path / "sepurux.yml").write_text(POLICY, encoding="utf-8")
    args = ["check", "--sandbox", "scenario.yml", "--report", "markdown=comment.md"]
    done = run_gate(args, cwd=tmp_path, env=clean_env(token=None))
    assert done.code == 1, done.stderr
    comment = (tmp_path / "comment.md").read_text(encoding="utf-8")
    assert "@\u200doctocat @\u200dacme/security see #\u200d123 and GH-\u200d7 (3)" in comment
    for ping in ("@octocat", "@acme", "#123", "GH-7"):
        assert ping not in comment


@pytest.mark.slow
def test_an_error_quoting_a_hostile_path_starts_no_line_of_its_own(tmp_path: Path) -> None:
    (tmp_path / "sepurux.yml").write_text(POLICY, encoding="utf-8")
    name = f"evil\n{INJECTED}{ESC}[2J.json"
    (tmp_path / name).write_text("{", encoding="utf-8")
    done = run_gate(["evaluate", "--payload", name], cwd=tmp_path, env=clean_env(token=None))
    assert done.code == 2, done.stderr
    _no_injected_line(done.stdout, done.stderr)
    assert done.stderr.splitlines() == [
        "gate-runner: error: evil",
        f"gate-runner: error: {INJECTED}\\e[2J.json: not valid JSON "
        "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
        # A usage error found after the policy loads still writes a verdict (issue 17).
        "gate-runner: verdict written to gate-runner-verdict.json",
    ]
