"""The policy's JSON Schema as shipped, and the defaults its ``default`` keywords declare."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from gate_runner.config.yaml_positions import PathKey

Schema = dict[str, Any]


@cache
def policy_schema() -> Schema:
    # The schema ships inside the package (schemas/ at the repo root links to it).
    text = (Path(__file__).parent.parent / "schemas" / "sepurux.schema.json").read_text("utf-8")
    schema: Schema = json.loads(text)
    return schema


def subschema(path: PathKey) -> Schema:
    """The schema of the value at ``path`` (a key or "*" per step; $refs followed)."""
    root = policy_schema()
    node = root
    for part in path:
        node = _resolve(root, node)
        if part == "*":
            node = node["items"] if "items" in node else node["additionalProperties"]
        else:
            node = node["properties"][part]
    return _resolve(root, node)


def _resolve(root: Schema, node: Schema) -> Schema:
    while "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def supported_versions() -> list[object]:
    """The policy format versions this runner reads: the schema's `version` enum."""
    versions: list[object] = policy_schema()["properties"]["version"]["enum"]
    return versions


@cache
def policy_defaults() -> dict[PathKey, object]:
    """Every default the schema declares for a setting: ("gate", "timeout") -> 600, ...

    The one source of the policy's defaults: the builder applies them, explain shows
    them, and an editor reading the schema offers the same values.
    """
    found: dict[PathKey, object] = {}
    for section, node in policy_schema()["properties"].items():
        for key, child in node.get("properties", {}).items():
            if "default" in child:
                found[(section, key)] = child["default"]
    return found


def policy_default(section: str, key: str) -> str:
    """A policy setting's default where no policy says it: the schema's `default`."""
    return str(policy_defaults()[(section, key)])


def default_token_env() -> str:
    """The token variable before a policy names one."""
    return policy_default("api", "token_env")


def assertion_default(key: str) -> object:
    """The default of one key of an assertion (e.g. its level)."""
    return subschema(("assertions", "*"))["properties"][key]["default"]
