"""Schema errors: jsonschema decides, and every error it can raise has our wording."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from gate_runner.config.expand import expand_document
from gate_runner.config.schema import policy_schema
from gate_runner.config.schema_check import WORDING, SchemaError, _Wording, check_policy
from gate_runner.config.yaml_positions import YamlProblem, load_document

REPO = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"
SHIPPED = [REPO / "sepurux.yml.example", *sorted((REPO / "policies").glob("*.yml"))]

# Keywords that describe or structure a schema and never fail on their own.
_NEVER_FAIL = {
    "$schema", "$id", "$ref", "$defs", "title", "description", "default", "x-expected",
    "properties", "items", "propertyNames",
}  # fmt: skip

# One document per way to break the schema, so every keyword is seen failing.
CRAFTED: dict[str, dict[str, Any]] = {
    "type": {"version": 1, "gate": {"timeout": "ten"}},
    "enum": {"version": 1, "enforcement": {"mode": "hardd"}},
    "minimum": {"version": 1, "thresholds": {"max_unsafe": -1}},
    "maximum": {"version": 1, "gate": {"concurrency": 65}},
    "exclusiveMinimum": {"version": 1, "gate": {"timeout": 0}},
    "minLength": {"version": 1, "project": ""},
    "pattern": {"version": 1, "api": {"token_env": "not a name"}},
    "propertyNames": {"version": 1, "campaigns": {"bad key!": {}}},
    "required": {"version": 1, "waivers": [{"campaign": "c"}]},
    "additionalProperties": {"version": 1, "gate": {"concurency": 2}},
    "uniqueItems": {"version": 1, "thresholds": {"required_mutation_categories": ["a", "a"]}},
    "oneOf-type": {"version": 1, "extends": [42]},
    "oneOf-branch": {"version": 1, "extends": [{"url": "https://x.example/p.yml"}]},
    "nested-in-ref": {"version": 1, "campaigns": {"c": {"assertions": [{"name": "!"}]}}},
}


def _case_documents() -> list[tuple[str, Any]]:
    docs: list[tuple[str, Any]] = [(name, data) for name, data in CRAFTED.items()]
    for path in [*sorted(CASES.glob("*/*.yml")), *SHIPPED]:
        try:
            doc = load_document(path.read_text(encoding="utf-8"), str(path))
        except YamlProblem:
            continue
        expand_document(doc, {"SEPURUX_TRACE_ID": "t", "POLICY_SERVER": "http://127.0.0.1:9"})
        docs.append((f"{path.parent.name}/{path.name}", doc.data))
    return docs


def _keywords(node: object, in_names: bool = False) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, sub in node.items():
            if not in_names:
                found.add(key)
            found |= _keywords(sub, in_names=key in ("properties", "$defs") and not in_names)
    elif isinstance(node, list):
        for sub in node:
            found |= _keywords(sub)
    return found


def test_every_keyword_that_can_fail_has_our_wording() -> None:
    can_fail = _keywords(policy_schema()) - _NEVER_FAIL
    assert can_fail <= set(WORDING), can_fail - set(WORDING)


@pytest.mark.parametrize(("name", "data"), _case_documents(), ids=lambda v: str(v)[:30])
def test_our_messages_cover_every_jsonschema_error(name: str, data: Any) -> None:
    errors = list(jsonschema.Draft202012Validator(policy_schema()).iter_errors(data))
    assert (check_policy(data) == []) == (errors == []), name
    wording = _Wording(set())
    for error in errors:
        problems = list(wording.problems(SchemaError.of(error)))
        assert problems, error
        for _, message, _ in problems:
            assert "does not match the schema" not in message, (name, error.message)


def test_every_crafted_document_is_invalid() -> None:
    for name, data in CRAFTED.items():
        assert check_policy(data), name


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"version": 1, "extends": [{"url": "https://x.example/p.yml"}]},
            [(("extends", 0), "extends[0]: missing required key 'sha256'", False)],
        ),
        (
            {"version": 1, "campaigns": {"bad key!": {}}},
            [
                (
                    ("campaigns", "bad key!"),
                    "campaigns.bad key!: expected a campaign key of letters, digits, "
                    "'_', '.' and '-'",
                    True,
                )
            ],
        ),
        (
            {"version": 1, "gate": {"on_error": ["fail"]}},
            [(("gate", "on_error"), "gate.on_error: expected a string, got a list", False)],
        ),
        (
            {"version": 1, "gate": {"timeout": float("nan")}},
            [(("gate", "timeout"), "gate.timeout: expected a number, got .nan", False)],
        ),
    ],
)
def test_wording(data: Any, expected: list[Any]) -> None:
    assert check_policy(data) == expected


def test_a_value_from_the_environment_is_never_echoed() -> None:
    data = {"version": 1, "api": {"token_env": "tok SECRET"}}
    [(_, message, _)] = check_policy(data, {("api", "token_env")})
    assert "SECRET" not in message
    assert message.endswith("got a value from the environment")
