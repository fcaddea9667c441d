"""The untrusted JSON reader: valid JSON that would crash a writer later is made safe here."""

from __future__ import annotations

import json

import pytest

from gate_runner.untrusted_json import UntrustedJSONError, loads


def test_lone_surrogates_become_replacement_characters_in_keys_and_values() -> None:
    value = loads('{"a": "\\ud800", "\\udfff": ["x\\ud800", {"b": "\\ud83d\\ude00"}]}')
    assert value == {"a": "\ufffd", "\ufffd": ["x\ufffd", {"b": "\U0001f600"}]}
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # the writer no longer fails


def test_an_integer_past_python_s_digit_limit_is_read_as_a_float() -> None:
    value = loads('{"detail": ' + "9" * 5000 + ', "n": 12}')
    assert value == {"detail": float("inf"), "n": 12}
    json.dumps(value)  # what the verdict writer does, minus its NaN/inf handling


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"\xff", "not UTF-8 text"),
        ('{"x": 1', "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply to read"),
    ],
)
def test_unreadable_input_is_one_clear_value_error(text: str | bytes, message: str) -> None:
    with pytest.raises(UntrustedJSONError, match=message):
        loads(text)
