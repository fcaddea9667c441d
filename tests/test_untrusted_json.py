"""The untrusted JSON reader: valid JSON that would crash a writer later is made safe here."""

from __future__ import annotations

import json

import pytest

from gate_runner.untrusted_json import UntrustedJSONError, loads


def test_lone_surrogates_become_replacement_characters_in_keys_and_values() -> None:
    value = loads('{"a": "\\ud800", "\\udfff": ["x\\ud800", {"b": "\\ud83d\\ude00"}]}')
    assert value == {"a": "\ufffd", "\ufffd": ["x\ufffd", {"b": "\U0001f600"}]}
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # the writer no longer fails


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("9" * 5000, "an integer of 5,000 digits"),
        ("-" + "9" * 1001, "an integer of 1,001 digits"),
        ("NaN", "NaN is not a number"),
        ("Infinity", "Infinity is not a number"),
        ("-Infinity", "-Infinity is not a number"),
        ("1e400", "the number 1e400 is out of range"),
        ("-1.5e999", "the number -1.5e999 is out of range"),
    ],
)
def test_numbers_no_writer_or_arithmetic_carries_are_refused(number: str, message: str) -> None:
    with pytest.raises(UntrustedJSONError, match=message):
        loads('{"n": 12, "detail": ' + number + "}")


def test_the_largest_readable_numbers_still_read() -> None:
    assert loads("[" + "9" * 1000 + ", 1e308, -0.0]") == [int("9" * 1000), 1e308, -0.0]


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
