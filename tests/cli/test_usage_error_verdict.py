"""A usage error found after the policy loads still writes the verdict and the reports that
can be written, exit 2, as docs/exit-codes.md promises (issue 17, Messages)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import clean_env, run_gate, validate_verdict

# gate-runner processes, seconds each on a loaded machine.
pytestmark = pytest.mark.slow

POLICY = "version: 1\nenforcement: {mode: soft}\ncampaigns:\n  core: {}\n"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "sepurux.yml").write_text(POLICY, encoding="utf-8")
    payload = {"decision": "pass", "pass_rate": 1.0}
    (tmp_path / "payload.json").write_text(json.dumps(payload), encoding="utf-8")
    return tmp_path


def _usage_verdict(work: Path, *args: str) -> tuple[dict[str, object], str]:
    done = run_gate(list(args), cwd=work, env=clean_env(token=None))
    assert done.code == 2, done.describe()
    assert "Traceback" not in done.stderr
    verdict = json.loads((work / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    validate_verdict(verdict)
    assert verdict["outcome"] == "error" and verdict["exit_code"] == 2
    assert verdict["campaigns"] == []
    assert verdict["enforcement"]["mode"] == "soft"  # the policy loaded: its mode is known
    error = verdict["error"]
    assert isinstance(error, dict) and error["kind"] == "usage"
    return verdict, str(error["message"])


@pytest.mark.parametrize(
    "command", [("check",), ("evaluate", "--payload", "payload.json", "--campaign", "core")]
)
def test_an_unknown_report_format(work: Path, command: tuple[str, ...]) -> None:
    _verdict, message = _usage_verdict(
        work, *command, "--report", "pdf", "--report", "sarif=out.sarif"
    )
    assert message.startswith("unknown report format 'pdf' in --report 'pdf'")
    sarif = json.loads((work / "out.sarif").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"][0]["message"]["text"].startswith("no decision (usage)")


@pytest.mark.parametrize("command", [("check",), ("evaluate", "--payload", "payload.json")])
def test_an_unknown_campaign(work: Path, command: tuple[str, ...]) -> None:
    _verdict, message = _usage_verdict(
        work, *command, "--campaign", "nope", "--report", "junit=out.xml"
    )
    assert "nope" in message
    assert (work / "out.xml").is_file()
