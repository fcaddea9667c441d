"""The output channel, the secret set and the atomic writer, in process."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from gate_runner.channel import Channel, defuse
from gate_runner.files import NotAFileError, write_text
from gate_runner.secrets import Secrets, bad_token_reason, secret_set, token_value

TOKEN = "tok_SECRET_4f9a2c"


def test_scrub_knows_every_escaped_form() -> None:
    secrets = Secrets((TOKEN + "\n",))
    for form in (
        TOKEN,
        repr(TOKEN + "\n")[1:-1],  # requests' header error
        json.dumps(TOKEN + "\n")[1:-1],
        TOKEN.replace("_", "\\_"),  # markdown
        "tok_SECRET_4f9a2c%0A",  # a workflow command's data
    ):
        assert secrets.scrub(f"<{form}>") == "<***>", form
    assert Secrets(("a&b<c>d",)).scrub("x a&amp;b&lt;c&gt;d x") == "x *** x"  # XML


def test_scrub_data_covers_keys_and_nested_values() -> None:
    data = {f"k_{TOKEN}": [TOKEN, {"n": 1, "s": f"is {TOKEN}"}]}
    assert Secrets((TOKEN,)).scrub_data(data) == {"k_***": ["***", {"n": 1, "s": "is ***"}]}


def test_the_secret_set_and_the_token_as_sent() -> None:
    env = {"MY_TOKEN": f" {TOKEN}\n", "GITHUB_TOKEN": "ghs_forge_1234", "OTHER": "x"}
    secrets = secret_set(env, token_env="MY_TOKEN", sandbox_token="sandbox-tok")
    assert secrets.values == (f" {TOKEN}\n", TOKEN, "sandbox-tok", "ghs_forge_1234")
    assert token_value(f" {TOKEN}\n") == TOKEN and token_value(" \n") is None
    assert bad_token_reason(TOKEN) is None
    assert "Latin-1" in (bad_token_reason("tok✓") or "")
    assert "control character" in (bad_token_reason("to\tk") or "")
    assert repr(secrets) == "Secrets(4 values)"  # the repr never shows them


def test_defuse_breaks_ci_logging_commands_only() -> None:
    assert defuse("r1 ##[stop-commands]x ##VSO[task.complete]") == (
        "r1 #\u200b#[stop-commands]x #\u200b#VSO[task.complete]"
    )
    assert defuse("::error file=a::m ## heading # x") == "::error file=a::m ## heading # x"


def test_a_lost_stream_is_dropped_once_with_a_note_on_the_other() -> None:
    class Broken(io.StringIO):
        def write(self, _text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    stderr = io.StringIO()
    channel = Channel(Secrets((TOKEN,)), stdout=Broken(), stderr=stderr)
    channel.out("one\n")
    channel.out("two\n")
    channel.line(f"said {TOKEN}")
    assert stderr.getvalue() == (
        "gate-runner: note: stdout cannot be written (Broken pipe); "
        "the verdict file has everything\nsaid ***\n"
    )
    assert not channel.stream_alive("stdout")


def test_write_text_replaces_a_file_whole_and_refuses_a_directory(tmp_path: Path) -> None:
    target = tmp_path / "a" / "v.json"
    write_text(target, "one")
    write_text(target, "two")
    assert target.read_text(encoding="utf-8") == "two"
    assert [p.name for p in target.parent.iterdir()] == ["v.json"]  # no temp file left
    with pytest.raises(NotAFileError, match="is a directory, not a regular file"):
        write_text(tmp_path / "a", "x")
