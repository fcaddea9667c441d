"""JMESPath with `+` and `-`: operators split off outside strings, the rest left to jmespath."""

from __future__ import annotations

from typing import Any

import jmespath
import pytest

from gate_runner.expressions import ExpressionError, compile_expression

DATA = {
    "a": 5,
    "b": 2,
    "items": [1, 2, 3],
    "name": "x-y+z",
    "tools": [{"tool": "a-b", "n": 1}],
    "t": True,
}


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("a - b", 3),
        ("a + b", 7),
        ("a - b - `1`", 2),
        ("a >= b + `3`", True),
        ("a - b > `3`", False),
        ("items[-1]", 3),
        ("items[::-1]", [3, 2, 1]),
        ("items[-2:]", [2, 3]),
        ("name == 'x-y+z'", True),
        ('"name"', "x-y+z"),
        ("tools[?tool=='a-b'].n | [0]", 1),
        ("`-1` + a", 4),
        ("a - `-1`", 6),
        ("name - b", None),
        ("t + `1`", None),
        ("missing - `1`", None),
    ],
)
def test_arithmetic(expr: str, expected: Any) -> None:
    assert compile_expression(expr).search(DATA) == expected


@pytest.mark.parametrize(
    "expr",
    [
        "length(items) == `3`",
        "items[?@ > `1`]",
        "{x: a, y: b}",
        "items[*]",
        "sort_by(tools, &n)",
        "a && !t",
    ],
)
def test_plain_jmespath_is_unchanged(expr: str) -> None:
    assert compile_expression(expr).search(DATA) == jmespath.search(expr, DATA)


@pytest.mark.parametrize(
    ("expr", "message", "column"),
    [
        ("", "invalid JMESPath: the expression is empty", 0),
        ("a +", "invalid JMESPath: the expression ends too early", 3),
        ("foo[?a==]", "invalid JMESPath: unexpected token ']'", 8),
        ("+ a", "invalid JMESPath: unexpected token '+'", 0),
        ("a $ b", "invalid JMESPath: unexpected token '$'", 2),
    ],
)
def test_errors_carry_message_and_column(expr: str, message: str, column: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(expr)
    assert (str(caught.value), caught.value.column) == (message, column)


def test_plain_jmespath_cache_is_not_polluted() -> None:
    compile_expression("a - b")
    with pytest.raises(jmespath.exceptions.JMESPathError):
        jmespath.compile("a - b")
