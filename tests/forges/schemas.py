"""Validate our requests against the vendors' published descriptions (small cited excerpts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

HERE = Path(__file__).parent / "schemas"
_GITHUB = json.loads((HERE / "github-requests.json").read_text(encoding="utf-8"))["operations"]
_AZURE = json.loads((HERE / "azure-pull-request-status.json").read_text(encoding="utf-8"))


def _names(schema: dict[str, Any], root: dict[str, Any]) -> set[str]:
    """Every property a schema (and its allOf parts) names."""
    if "$ref" in schema:
        schema = root["definitions"][schema["$ref"].rsplit("/", 1)[1]]
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        names |= _names(part, root)
    return names


def github_request(operation: str, body: Any) -> None:
    """A request body is valid for the operation, and sends no field the description lacks."""
    schema = _GITHUB[operation]["schema"]
    jsonschema.Draft7Validator(schema).validate(body)
    branches = [schema, *schema.get("oneOf", []), *schema.get("anyOf", [])]
    named = [set(b["properties"]) for b in branches if "properties" in b]
    assert any(set(body) <= names for names in named), (set(body), named)
    output = body.get("output")
    if output is not None:
        named = schema["properties"]["output"]["properties"]
        assert set(output) <= set(named)
        for annotation in output.get("annotations", []):
            assert set(annotation) <= set(named["annotations"]["items"]["properties"])


def azure_status(body: Any) -> None:
    jsonschema.Draft4Validator(_AZURE).validate(body)
    assert set(body) <= _names(_AZURE, _AZURE)
    assert set(body["context"]) <= set(_AZURE["definitions"]["GitStatusContext"]["properties"])


_BITBUCKET = json.loads((HERE / "bitbucket-code-insights.json").read_text(encoding="utf-8"))

# The description types report_data's `value` as `object` (any JSON value to its Java
# model), while the same operation's "Data field formats" table (kept in the fixture) says
# which JSON type each data `type` takes: the stricter, documented rule is checked.
DATA_VALUE = {
    "BOOLEAN": {"type": "boolean"},
    "DATE": {"type": "number"},
    "DURATION": {"type": "number"},
    "LINK": {
        "type": "object",
        "properties": {"text": {"type": "string"}, "href": {"type": "string"}},
        "required": ["text", "href"],
        "additionalProperties": False,
    },
    "NUMBER": {"type": "number"},
    "PERCENTAGE": {"type": "number", "minimum": 0, "maximum": 100},
    "TEXT": {"type": "string"},
}
_UNTYPED_VALUE = {"type": ["number", "string", "boolean"]}  # "None/ Omitted" in the table


def _bitbucket_root(operation: str) -> dict[str, Any]:
    components = json.loads(json.dumps(_BITBUCKET["components"]))
    data = components["schemas"]["report_data"]
    data["properties"]["value"] = {}
    data["allOf"] = [
        {
            "if": {"properties": {"type": {"const": kind}}, "required": ["type"]},
            "then": {"properties": {"value": rule}},
        }
        for kind, rule in DATA_VALUE.items()
    ] + [
        {
            "if": {"not": {"required": ["type"]}},
            "then": {"properties": {"value": _UNTYPED_VALUE}},
        }
    ]
    return {**_BITBUCKET["operations"][operation], "components": components}


def bitbucket_data_formats() -> dict[str, str]:
    """The fixture's table: each data `type` and the JSON type of its value, as published."""
    rows = (row.strip("| ").split("|") for row in _BITBUCKET["data_field_formats"])
    return {cells[0].strip(): cells[1].strip() for cells in rows}


def bitbucket_data_types() -> list[str]:
    schema = _BITBUCKET["components"]["schemas"]["report_data"]
    return list(schema["properties"]["type"]["enum"])


def _named(schema_name: str) -> set[str]:
    schemas = _BITBUCKET["components"]["schemas"]
    names = set(schemas["object"]["properties"])
    for part in schemas[schema_name]["allOf"]:
        names |= set(part.get("properties", {}))
    return names


def bitbucket_report(body: Any) -> None:
    """A createOrUpdateReport body: valid, and no field the description lacks."""
    jsonschema.Draft7Validator(_bitbucket_root("createOrUpdateReport")).validate(body)
    assert set(body) <= _named("report"), set(body) - _named("report")
    data_fields = set(_BITBUCKET["components"]["schemas"]["report_data"]["properties"])
    assert all(set(item) <= data_fields for item in body.get("data", []))


def bitbucket_annotations(body: Any) -> None:
    """A bulkCreateOrUpdateAnnotations body: valid, and no field the description lacks."""
    jsonschema.Draft7Validator(_bitbucket_root("bulkCreateOrUpdateAnnotations")).validate(body)
    for item in body:
        assert set(item) <= _named("report_annotation"), set(item) - _named("report_annotation")


_GITHUB_ANSWERS = json.loads((HERE / "github-approvals.json").read_text(encoding="utf-8"))
_GITLAB_ANSWERS = json.loads((HERE / "gitlab-approvals.json").read_text(encoding="utf-8"))


def github_answer(operation: str, body: Any) -> Any:
    """An answer a fake gives is valid for the operation's published response schema."""
    jsonschema.Draft202012Validator(_GITHUB_ANSWERS["operations"][operation]["schema"]).validate(
        body
    )
    return body


def gitlab_answer(name: str, body: Any) -> Any:
    """An answer has only keys the documented example has, each of the example's JSON type."""
    _like(body, _GITLAB_ANSWERS["responses"][name]["example"], name)
    return body


def _like(body: Any, example: Any, where: str) -> None:
    if isinstance(example, dict):
        assert isinstance(body, dict), where
        assert set(body) <= set(example), (where, set(body) - set(example))
        for key, value in body.items():
            _like(value, example[key], f"{where}.{key}")
    elif isinstance(example, list):
        assert isinstance(body, list), where
        for item in body:
            if example:
                _like(item, example[0], f"{where}[]")
    elif example is not None:
        assert type(body) is type(example), (where, body, example)
