"""Schema validation with ``jsonschema`` itself, its errors told as readable messages.

jsonschema decides what is valid; this module only words its errors the way every other
diagnostic is worded (the path, what was expected, what was found) and points each at the
YAML position the loader kept: an unknown key at the key, with "did you mean".
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from gate_runner.config.schema import Schema, policy_schema
from gate_runner.config.yaml_positions import PathKey, where

if TYPE_CHECKING:
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

Problem = tuple[PathKey, str, bool]  # path, message, whether it points at the key

_ARTICLE = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value) if len(value) <= 40 else "a long string"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value)


def unknown_key_message(key: str, known: list[str], path: PathKey) -> str:
    import difflib  # only when there is an unknown key

    text = f"unknown key '{key}' in {where(path)}"
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"{text}; did you mean '{close[0]}'?"
    return f"{text}; expected one of: {', '.join(known)}"


@cache
def _validator() -> Validator:
    from jsonschema import Draft202012Validator

    # The same schema with each local $ref replaced by what it points to: resolving a $ref
    # through jsonschema's registry costs more than validating what it points to.
    return Draft202012Validator(_inlined(policy_schema(), policy_schema()))


def _inlined(node: Any, root: Schema) -> Any:
    if isinstance(node, list):
        return [_inlined(item, root) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return _inlined({**target, **siblings}, root)
    return {k: _inlined(v, root) for k, v in node.items() if k != "$defs"}


class SchemaError:
    """One jsonschema error as plain data: the keyword that failed, where, and on what."""

    # A plain class, not a dataclass: validate starts in every CI job, and generating a
    # dataclass's methods costs more than this whole module's other work.
    __slots__ = ("branches", "expected", "instance", "keyword", "path", "schema", "under_names")

    def __init__(  # noqa: PLR0917 - one field each
        self,
        keyword: str,
        path: PathKey,
        instance: Any,
        expected: Any,
        schema: Schema,
        under_names: bool,
        branches: dict[int, list[SchemaError]],
    ) -> None:
        self.keyword = keyword
        self.path = path
        self.instance = instance
        self.expected = expected  # the keyword's value in the schema
        self.schema = schema
        self.under_names = under_names  # a key failed the mapping's propertyNames
        self.branches = branches  # a oneOf's errors per branch

    @classmethod
    def of(cls, error: ValidationError) -> SchemaError:
        raw: Any = error  # the stubs type every attribute as "maybe unset"; these are all set
        branches: dict[int, list[SchemaError]] = {}
        for sub in raw.context or []:
            branches.setdefault(int(sub.relative_schema_path[0]), []).append(cls.of(sub))
        return cls(
            str(raw.validator),
            tuple(raw.absolute_path),
            raw.instance,
            raw.validator_value,
            raw.schema if isinstance(raw.schema, dict) else {},
            "propertyNames" in list(raw.relative_schema_path)[-2:],
            branches,
        )


class _Wording:
    """Words one document's schema errors; `hidden` values came from the environment."""

    def __init__(self, hidden: set[PathKey]) -> None:
        self.hidden = hidden

    def shown(self, value: Any, path: PathKey) -> str:
        return "a value from the environment" if path in self.hidden else _show(value)

    def got(self, value: Any, path: PathKey) -> str:
        kind = json_type(value)
        if kind == "boolean":
            return json.dumps(value)
        if kind in ("string", "integer", "number"):
            return f"{_ARTICLE[kind]} {self.shown(value, path)}"
        return _ARTICLE[kind]

    def problems(self, error: SchemaError) -> Iterator[Problem]:
        words = WORDING.get(error.keyword)
        if words is None:  # a keyword not worded here yet: still an error, never lost
            path = error.path
            yield path, f"{where(path)}: does not match the schema ({error.keyword})", False
            return
        yield from words(self, error)

    @staticmethod
    def at(path: PathKey, text: str) -> Problem:
        return path, f"{where(path)}: {text}", False

    def type_(self, e: SchemaError) -> Iterator[Problem]:
        allowed = e.expected if isinstance(e.expected, list) else [e.expected]
        yield self.at(e.path, f"expected {_either(allowed)}, got {self.got(e.instance, e.path)}")

    def enum(self, e: SchemaError) -> Iterator[Problem]:
        options = e.expected if e.keyword == "enum" else [e.expected]
        listed = ", ".join(str(o) for o in options)
        yield self.at(e.path, f"expected one of {listed}, got {self.shown(e.instance, e.path)}")

    def minimum(self, e: SchemaError) -> Iterator[Problem]:
        value = self.shown(e.instance, e.path)
        yield self.at(e.path, f"{value} is below the minimum {e.expected}")

    def maximum(self, e: SchemaError) -> Iterator[Problem]:
        value = self.shown(e.instance, e.path)
        yield self.at(e.path, f"{value} is above the maximum {e.expected}")

    def exclusive_minimum(self, e: SchemaError) -> Iterator[Problem]:
        yield self.at(e.path, f"must be greater than {e.expected}")

    def exclusive_maximum(self, e: SchemaError) -> Iterator[Problem]:
        yield self.at(e.path, f"must be less than {e.expected}")

    def min_length(self, e: SchemaError) -> Iterator[Problem]:
        yield self.at(e.path, "must not be empty")

    def pattern(self, e: SchemaError) -> Iterator[Problem]:
        expected = e.schema.get("x-expected", f"text matching {e.expected}")
        if e.under_names:
            # jsonschema reports a bad key at its mapping; the key itself is what to point at.
            at = (*e.path, e.instance)
            yield at, f"{where(at)}: expected {expected}", True
            return
        yield self.at(e.path, f"expected {expected}, got {self.shown(e.instance, e.path)}")

    def required(self, e: SchemaError) -> Iterator[Problem]:
        for name in e.expected:
            if isinstance(e.instance, dict) and name not in e.instance:
                yield self.at(e.path, f"missing required key '{name}'")

    def additional_properties(self, e: SchemaError) -> Iterator[Problem]:
        known = list(e.schema.get("properties", {}))
        for key in e.instance:
            if key not in known:
                yield (*e.path, key), unknown_key_message(key, known, e.path), True

    def unique_items(self, e: SchemaError) -> Iterator[Problem]:
        seen: list[Any] = []
        for index, item in enumerate(e.instance):
            if any(json_type(item) == json_type(s) and item == s for s in seen):
                at = (*e.path, index)
                yield self.at(at, f"duplicate item {self.shown(item, at)}")
            seen.append(item)

    def one_of(self, e: SchemaError) -> Iterator[Problem]:
        # The branch of the value's type is the one meant; of two mappings (a remote extends:
        # {url, sha256} or {git, ref, path}), the one it comes closest to.
        def type_error(branch: list[SchemaError]) -> SchemaError | None:
            return next((s for s in branch if s.keyword == "type" and s.path == e.path), None)

        typed = [b for _, b in sorted(e.branches.items()) if type_error(b) is None]
        if typed:
            for sub in min(typed, key=_weight):
                yield from self.problems(sub)
            return
        types = [t.expected for _, b in sorted(e.branches.items()) if (t := type_error(b))]
        types = list(dict.fromkeys(types))  # two mapping branches: "a mapping" once
        yield self.at(e.path, f"expected {_either(types)}, got {_ARTICLE[json_type(e.instance)]}")


def _weight(branch: list[SchemaError]) -> int:
    """How far a value is from a branch: each key missing or unknown counts."""
    return sum(
        len(s.expected) if s.keyword == "required" and isinstance(s.expected, list) else 1
        for s in branch
    )


def _either(types: list[str]) -> str:
    return " or ".join(_ARTICLE[t] for t in types)


WORDING: dict[str, Callable[[_Wording, SchemaError], Iterator[Problem]]] = {
    "type": _Wording.type_,
    "enum": _Wording.enum,
    "const": _Wording.enum,
    "minimum": _Wording.minimum,
    "maximum": _Wording.maximum,
    "exclusiveMinimum": _Wording.exclusive_minimum,
    "exclusiveMaximum": _Wording.exclusive_maximum,
    "minLength": _Wording.min_length,
    "pattern": _Wording.pattern,
    "required": _Wording.required,
    "additionalProperties": _Wording.additional_properties,
    "uniqueItems": _Wording.unique_items,
    "oneOf": _Wording.one_of,
}


def _unusable_numbers(value: Any, path: PathKey) -> Iterator[Problem]:
    """Numbers JSON Schema lets through but no check can use: NaN, and ints beyond any float."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _unusable_numbers(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unusable_numbers(item, (*path, index))
    elif isinstance(value, float) and math.isnan(value):
        # Every comparison with NaN is false, so minimum and maximum never catch it.
        yield path, f"{where(path)}: expected a number, got .nan", False
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > sys.float_info.max:
        # Python reads 10**400 exactly, but no check or message can format it as a number.
        yield path, f"{where(path)}: {len(str(abs(value)))}-digit integer is too large", False


def check_policy(data: Any, hidden: set[PathKey] | None = None) -> list[Problem]:
    """Every schema problem of one policy document (empty when it is valid)."""
    wording = _Wording(hidden or set())
    problems = list(_unusable_numbers(data, ()))
    unusable = {path for path, _, _ in problems}
    errors = [SchemaError.of(e) for e in _validator().iter_errors(data)]
    # A value of the wrong type: "expected a string" says it all; its enum error is noise.
    mistyped = {e.path for e in errors if e.keyword == "type"}
    for error in errors:
        if error.path in unusable or (error.path in mistyped and error.keyword != "type"):
            continue
        problems.extend(wording.problems(error))
    return list(dict.fromkeys(problems))


__all__ = [
    "WORDING",
    "Problem",
    "Schema",
    "SchemaError",
    "check_policy",
    "json_type",
    "unknown_key_message",
]
