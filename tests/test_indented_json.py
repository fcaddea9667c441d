"""indented_json writes exactly what json.dumps(indent=2, ensure_ascii=False) writes."""

from __future__ import annotations

import enum
import json
import pickle
from typing import Any

import pytest

from gate_runner import indented_json


class Word(str, enum.Enum):
    PASS = "pass"


class Count(int):
    pass


CASES: list[Any] = [
    {},
    [],
    (),
    "",
    None,
    True,
    0,
    -7,
    10**40,
    0.1,
    -0.0,
    1e300,
    float("nan"),
    float("inf"),
    [float("-inf")],
    'é ✓ \u2028 \ud800 \x00 \n \t " \\ </script>',
    {"nested": {"a": [1, [2, [3, {}]], {"b": None}], "c": []}, "d": ({"e": "f"},)},
    {2: "int key", 2.5: "float key", True: "bool key", None: "none key"},
    {"mixed": {1: [{"x": 1}]}},
    {"subclasses": [Word.PASS, Count(3), {Word.PASS: Count(4)}]},
    [[[[[[[[[["deep"]]]]]]]]]],
    {"report": {"changed": [{"before": {"status": "pass", "value": 0.9, "bar": ">= 0.8"}}]}},
]


@pytest.mark.parametrize("value", CASES, ids=range(len(CASES)))
def test_the_bytes_are_json_dumps_bytes(value: Any) -> None:
    assert indented_json.dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_what_json_cannot_write_it_refuses_alike() -> None:
    for value in ({"a": [object()]}, {("tuple", "key"): 1}, [{1, 2}]):
        with pytest.raises(TypeError):
            json.dumps(value, indent=2, ensure_ascii=False)
        with pytest.raises(TypeError):
            indented_json.dumps(value)


def test_a_map_is_written_as_the_list_it_gives() -> None:
    made = {"items": map(lambda n: {"n": n}, range(3)), "none": map(str, [])}
    expected = {"items": [{"n": 0}, {"n": 1}, {"n": 2}], "none": []}
    assert indented_json.dumps(made) == json.dumps(expected, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("value", CASES, ids=range(len(CASES)))
def test_a_value_written_ahead_at_its_depth_is_placed_as_written(value: Any) -> None:
    try:
        expected = json.dumps({"a": {"b": [value]}}, indent=2, ensure_ascii=False)
    except TypeError:
        return  # what json cannot write, dumps_at refuses too (the test above)
    ahead = indented_json.dumps_at(value, 3)
    assert indented_json.dumps({"a": {"b": [ahead]}}) == expected
    assert pickle.loads(pickle.dumps(ahead)) == ahead  # replay's workers send them
