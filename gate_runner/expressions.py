"""JMESPath, plus the `+` and `-` of the community spec so a policy can write regression budgets.

jmespath.py (the library boto3 and the AWS CLI use) has no arithmetic, and the
fork that has it installs itself as the same `jmespath` module, so it cannot
sit beside boto3. We extend jmespath.py from the outside instead: operators
are split off before its lexer runs, the parser gains two infix rules, and the
interpreter one node type.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from jmespath import exceptions, lexer, parser, visitor

# Binds tighter than comparators (5) so `a >= b - c` reads as `a >= (b - c)`,
# and below the projection stop (10) so `items[*].x - y` ends the projection first.
_ARITHMETIC_BINDING_POWER = 6
_OPERAND_ENDINGS = set("`'\")]}_" + string.ascii_letters + string.digits)


# A real assertion is a line or two. Past these, jmespath.py recurses until RecursionError
# (50,000 `!`, deep parentheses, a literal nested 10^5 deep) or lexes a large literal in
# quadratic time (832 KB: 21 s). Validation and evaluation compile through here alike.
MAX_EXPRESSION_CHARS = 10_000
MAX_NESTING = 100  # levels of the parsed expression, literal values included


class ExpressionError(ValueError):
    """An expression that does not compile, with the 0-based column of the problem (or None)."""

    def __init__(self, message: str, column: int | None) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Expression:
    """A compiled expression; `search` runs it over a JSON document."""

    source: str
    _parsed: Any

    def search(self, data: Any) -> Any:
        return _INTERPRETER.visit(self._parsed.parsed, data)


def compile_expression(source: str) -> Expression:
    """Compile `source`, raising ExpressionError with the position of the fault."""
    if not source.strip():
        raise ExpressionError("invalid JMESPath: the expression is empty", 0)
    if len(source) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(
            f"the expression is {len(source):,} characters long; "
            f"the limit is {MAX_EXPRESSION_CHARS:,}",
            None,
        )
    too_deep = ExpressionError(f"the expression nests deeper than {MAX_NESTING} levels", None)
    try:
        parsed = _Parser().parse(source)
    except exceptions.JMESPathError as error:
        column = getattr(error, "lex_position", None)
        if not isinstance(column, int):
            column = 0
        raise ExpressionError(_describe(error), column) from None
    except RecursionError:  # deeper than the parser can go: past MAX_NESTING in any case
        raise too_deep from None
    if _nesting(parsed.parsed) > MAX_NESTING:
        # The interpreter walks the tree recursively: refuse what it could not walk.
        raise too_deep
    return Expression(source, parsed)


def _nesting(tree: dict[str, Any]) -> int:
    """Depth of a parsed expression: one per node, one per container inside a literal."""
    deepest = 0
    stack: list[tuple[Any, int, bool]] = [(tree, 1, False)]
    while stack and deepest <= MAX_NESTING:
        node, depth, literal = stack.pop()
        deepest = max(deepest, depth)
        if literal:
            items = node.values() if isinstance(node, dict) else node
            stack += [(v, depth + 1, True) for v in items if isinstance(v, (dict, list))]
            continue
        children = node.get("children", [])  # a slice's are its numbers, not nodes
        stack += [(c, depth + 1, False) for c in children if isinstance(c, dict)]
        value = node.get("value")
        if node.get("type") == "literal" and isinstance(value, (dict, list)):
            stack.append((value, depth + 1, True))
    return deepest


def _describe(error: exceptions.JMESPathError) -> str:
    """The library's first line, minus its boilerplate prefixes, e.g. 'unexpected token "]"'."""
    if isinstance(error, exceptions.IncompleteExpressionError):
        return "invalid JMESPath: the expression ends too early"
    token = getattr(error, "token_value", None)
    if token is not None:
        return f"invalid JMESPath: unexpected token {str(token)!r}"
    text = str(error).splitlines()[0]
    text = re.sub(r"^(Bad jmespath expression|Invalid jmespath expression): ?", "", text)
    return f"invalid JMESPath: {text.rstrip(':') or 'syntax error'}"


def _operator_positions(source: str) -> Iterator[tuple[int, str]]:
    """Yield (index, operator) of each arithmetic operator outside literals and strings."""
    quote: str | None = None
    previous = ""
    index = 0
    while index < len(source):
        char = source[index]
        if quote is not None:
            if char == "\\":
                index += 2
                continue
            if char == quote:
                quote = None
                previous = char
        elif char in "`'\"":
            quote = char
        elif char == "+":
            yield index, "plus"
        elif char == "-":
            follows_digit = index + 1 < len(source) and source[index + 1].isdigit()
            # `[-1]` and `[::-1]` keep their negative numbers; after an operand it is a minus.
            if not follows_digit or previous in _OPERAND_ENDINGS:
                yield index, "minus"
        if char not in " \t\r\n" and quote is None:
            previous = char
        index += 1


def _tokenize(source: str) -> Iterator[dict[str, Any]]:
    start = 0
    for position, kind in [*_operator_positions(source), (len(source), "eof")]:
        segment = source[start:position]
        if segment.strip():
            for token in lexer.Lexer().tokenize(segment):
                if token["type"] == "eof":
                    break
                yield {**token, "start": token["start"] + start, "end": token["end"] + start}
        yield {
            "type": kind,
            "value": source[position : position + 1],
            "start": position,
            "end": position + 1,
        }
        start = position + 1


class _Parser(parser.Parser):  # type: ignore[misc]
    BINDING_POWER: ClassVar[dict[str, int]] = {
        **parser.Parser.BINDING_POWER,
        "plus": _ARITHMETIC_BINDING_POWER,
        "minus": _ARITHMETIC_BINDING_POWER,
    }
    # Our own cache: the base class's is shared with every plain jmespath user in the process.
    _CACHE: ClassVar[dict[str, Any]] = {}

    def _parse(self, expression: str) -> Any:
        self.tokenizer = _tokenize(expression)
        self._tokens = list(self.tokenizer)
        self._index = 0
        parsed = self._expression(binding_power=0)
        if self._current_token() != "eof":
            token = self._lookahead_token(0)
            raise exceptions.ParseError(
                token["start"], token["value"], token["type"], f"Unexpected token: {token['value']}"
            )
        return parser.ParsedResult(expression, parsed)

    def _arithmetic(self, left: Any, operator: str) -> dict[str, Any]:
        right = self._expression(_ARITHMETIC_BINDING_POWER)
        return {"type": "arithmetic", "value": operator, "children": [left, right]}

    def _token_led_plus(self, left: Any) -> dict[str, Any]:
        return self._arithmetic(left, "+")

    def _token_led_minus(self, left: Any) -> dict[str, Any]:
        return self._arithmetic(left, "-")


class _Interpreter(visitor.TreeInterpreter):  # type: ignore[misc]
    def visit_arithmetic(self, node: dict[str, Any], value: Any) -> Any:
        left = self.visit(node["children"][0], value)
        right = self.visit(node["children"][1], value)
        if not (_is_number(left) and _is_number(right)):
            return None  # JMESPath's rule for a type mismatch: null, never an exception
        return left + right if node["value"] == "+" else left - right


# One interpreter for every search: it keeps no state between calls but a method cache
# (safe to share across threads), and building one per search cost replay ~5 % of its CPU.
_INTERPRETER = _Interpreter()


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
