"""A small JSON Schema checker for the keywords our policy schema uses, with readable messages.

jsonschema costs ~70 ms to import; this keeps ``validate`` near the interpreter's own start.
A test runs both over every case file and asserts they agree.
"""

from __future__ import annotations

import json
import math
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

from gate_runner.config.yaml_positions import PathKey

Problem = tuple[PathKey, str, bool]  # path, message, whether it points at the key
Schema = dict[str, Any]

SUPPORTED = {
    "$schema",
    "$id",
    "$ref",
    "$defs",
    "title",
    "description",
    "default",
    "x-expected",
    "type",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "minLength",
    "pattern",
    "required",
    "properties",
    "additionalProperties",
    "propertyNames",
    "items",
    "uniqueItems",
    "oneOf",
}
_ARTICLE = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


@cache
def policy_schema() -> Schema:
    # The schema ships inside the package (schemas/ at the repo root links to it).
    text = (Path(__file__).parent.parent / "schemas" / "sepurux.schema.json").read_text("utf-8")
    schema: Schema = json.loads(text)
    return schema


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


def _member(value: Any, options: list[Any]) -> bool:
    # True == 1 in Python, but not in JSON Schema.
    return any(json_type(value) == json_type(o) and value == o for o in options)


def where(path: PathKey) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the policy"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value) if len(value) <= 40 else "a long string"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value)


class Checker:
    def __init__(self, root: Schema, hidden: set[PathKey]) -> None:
        self.root = root
        self.hidden = hidden  # values not to echo (expanded from the environment)
        self.problems: list[Problem] = []

    def resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            target: Any = self.root
            for part in schema["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            schema = target
        return schema

    def shown(self, value: Any, path: PathKey) -> str:
        return "a value from the environment" if path in self.hidden else _show(value)

    def add(self, path: PathKey, message: str, *, key: bool = False) -> None:
        self.problems.append((path, message, key))

    def check(self, value: Any, schema: Schema, path: PathKey) -> None:
        schema = self.resolve(schema)
        if "oneOf" in schema:
            self._one_of(value, schema["oneOf"], path)
            return
        kind = json_type(value)
        wanted = schema.get("type")
        if wanted is not None:
            allowed = wanted if isinstance(wanted, list) else [wanted]
            if kind not in allowed and not (kind == "integer" and "number" in allowed):
                expected = " or ".join(_ARTICLE[t] for t in allowed)
                got = _ARTICLE[kind] + (
                    f" {self.shown(value, path)}" if kind in ("string", "integer", "number") else ""
                )
                if kind == "boolean":
                    got = json.dumps(value)
                self.add(path, f"{where(path)}: expected {expected}, got {got}")
                return
        options_list = schema.get("enum", [schema["const"]] if "const" in schema else None)
        if options_list is not None and not _member(value, options_list):
            options = ", ".join(str(o) for o in options_list)
            self.add(
                path, f"{where(path)}: expected one of {options}, got {self.shown(value, path)}"
            )
            return
        if kind in ("integer", "number"):
            self._number(value, schema, path)
        elif kind == "string":
            self._string(value, schema, path)
        elif kind == "array":
            self._array(value, schema, path)
        elif kind == "object":
            self._object(value, schema, path)

    def _one_of(self, value: Any, options: list[Schema], path: PathKey) -> None:
        # Our branches differ by type, so the branch of the value's type is the one meant.
        resolved = [self.resolve(o) for o in options]
        kind = json_type(value)
        for option in resolved:
            if option.get("type") == kind or (kind == "integer" and option.get("type") == "number"):
                self.check(value, option, path)
                return
        expected = " or ".join(_ARTICLE[o["type"]] for o in resolved)
        self.add(path, f"{where(path)}: expected {expected}, got {_ARTICLE[kind]}")

    def _number(self, value: float, schema: Schema, path: PathKey) -> None:
        shown = self.shown(value, path)
        if isinstance(value, float) and math.isnan(value):
            # Every comparison with NaN is false: no bound below would catch it.
            self.add(path, f"{where(path)}: expected a number, got .nan")
            return
        if isinstance(value, int) and abs(value) > sys.float_info.max:
            # Python reads 10**400 exactly, but no check or message can format it as a number.
            self.add(path, f"{where(path)}: {len(str(abs(value)))}-digit integer is too large")
            return
        if "minimum" in schema and value < schema["minimum"]:
            self.add(path, f"{where(path)}: {shown} is below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            self.add(path, f"{where(path)}: {shown} is above the maximum {schema['maximum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            self.add(path, f"{where(path)}: must be greater than {schema['exclusiveMinimum']}")

    def _string(self, value: str, schema: Schema, path: PathKey) -> None:
        if len(value) < schema.get("minLength", 0):
            self.add(path, f"{where(path)}: must not be empty")
        elif "pattern" in schema and not re.search(schema["pattern"], value):
            expected = schema.get("x-expected", f"text matching {schema['pattern']}")
            self.add(path, f"{where(path)}: expected {expected}, got {self.shown(value, path)}")

    def _array(self, value: list[Any], schema: Schema, path: PathKey) -> None:
        seen: list[Any] = []
        for index, item in enumerate(value):
            if schema.get("uniqueItems") and item in seen:
                self.add((*path, index), f"{where((*path, index))}: duplicate item {_show(item)}")
            seen.append(item)
            if "items" in schema:
                self.check(item, schema["items"], (*path, index))

    def _object(self, value: dict[str, Any], schema: Schema, path: PathKey) -> None:
        properties: dict[str, Schema] = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                self.add(path, f"{where(path)}: missing required key '{name}'")
        extra = schema.get("additionalProperties", True)
        names = schema.get("propertyNames")
        for key, item in value.items():
            child = (*path, key)
            if names and not re.search(names["pattern"], key):
                self.add(child, f"{where(child)}: expected {names['x-expected']}", key=True)
            if key in properties:
                self.check(item, properties[key], child)
            elif extra is False:
                self.add(child, unknown_key_message(key, list(properties), path), key=True)
            elif isinstance(extra, dict):
                self.check(item, extra, child)


def unknown_key_message(key: str, known: list[str], path: PathKey) -> str:
    import difflib  # only when there is an unknown key

    text = f"unknown key '{key}' in {where(path)}"
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"{text}; did you mean '{close[0]}'?"
    return f"{text}; expected one of: {', '.join(known)}"


def check_policy(data: Any, hidden: set[PathKey] | None = None) -> list[Problem]:
    """Every schema problem of one policy document (empty when it is valid)."""
    checker = Checker(policy_schema(), hidden or set())
    checker.check(data, checker.root, ())
    return checker.problems
