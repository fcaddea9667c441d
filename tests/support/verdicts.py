"""The verdict schema check every suite that reads a verdict uses."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

REPO = Path(__file__).resolve().parents[2]
VERDICT_SCHEMA = REPO / "gate_runner" / "schemas" / "verdict.schema.json"

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@cache
def verdict_validator() -> jsonschema.Draft202012Validator:
    """The verdict schema's validator, with `date-time` checked (jsonschema skips it otherwise)."""
    schema = json.loads(VERDICT_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not _RFC3339.match(value):
            return False
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return True

    return jsonschema.Draft202012Validator(schema, format_checker=checker)


def validate_verdict(data: Mapping[str, Any]) -> None:
    """The verdict validates against schemas/verdict.schema.json, every problem listed."""
    errors = sorted(verdict_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, "the verdict does not match its schema:\n" + "\n".join(
        f"  {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors
    )
