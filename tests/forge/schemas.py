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
