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


# Issue #10: each raised RecursionError (a traceback from `validate`) or lexed for 21 s.
HOSTILE = {
    "deep parentheses": "(" * 10_000 + "a" + ")" * 10_000,
    "50,000 !": "!" * 50_000 + "a",
    "literal nested 10^5 deep": "`" + "[" * 100_000 + "]" * 100_000 + "`",
    "832 KB literal": "`" + '"' + "x" * 832_000 + '"' + "`",
    "chained projections": "a" + "[*].b" * 1_000,
    "parentheses under the length limit": "(" * 4_000 + "a" + ")" * 4_000,
    "a literal under the length limit": "`" + "[" * 3_000 + "]" * 3_000 + "`",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_pathological_expressions_are_refused_with_the_limit(name: str) -> None:
    from gate_runner.expressions import MAX_EXPRESSION_CHARS, MAX_NESTING

    source = HOSTILE[name]
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source)
    if len(source) > MAX_EXPRESSION_CHARS:
        assert str(caught.value) == (
            f"the expression is {len(source):,} characters long; "
            f"the limit is {MAX_EXPRESSION_CHARS:,}"
        )
    else:
        assert str(caught.value) == f"the expression nests deeper than {MAX_NESTING} levels"
    assert caught.value.column is None


def test_nesting_up_to_the_limit_still_compiles_and_runs() -> None:
    from gate_runner.expressions import MAX_NESTING

    source = "(" * (MAX_NESTING - 2) + "a" + ")" * (MAX_NESTING - 2)
    assert compile_expression(source).search({"a": 1}) == 1
    assert compile_expression("`" + "[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1) + "`")
