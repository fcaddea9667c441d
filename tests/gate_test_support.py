"""What the process-level suites share: a CI-free environment and the verdict schema check.

pytest puts `tests/` on sys.path for the suites in packages below it, so they import
this module by name.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

REPO = Path(__file__).resolve().parents[1]
VERDICT_SCHEMA = REPO / "gate_runner" / "schemas" / "verdict.schema.json"

# Variables that would make the runner think it is in CI, or point it somewhere else.
_STRIPPED_PREFIXES = (
    "GITHUB_",
    "GITLAB_",
    "CI_",
    "CIRCLE",
    "JENKINS_",
    "BUILDKITE",
    "BITBUCKET_",
    "SYSTEM_",
    "BUILD_",
    "TF_BUILD",
    "TEAMCITY_",
    "HUDSON_",
    "SEPURUX_",
    "GATE_RUNNER_",
)
_STRIPPED = {"CI", "RUNNER_TEMP", "GIT_DIR", "GIT_WORK_TREE"}
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def clean_env(
    extra: Mapping[str, str] | None = None,
    *,
    token: str | None,
    token_var: str = "SEPURUX_API_KEY",
    strip: tuple[str, ...] = (),
) -> dict[str, str]:
    """This process's environment without CI variables, plus the token and `extra`."""
    prefixes = _STRIPPED_PREFIXES + strip
    env = {k: v for k, v in os.environ.items() if k not in _STRIPPED and not k.startswith(prefixes)}
    env.update(PYTHONUNBUFFERED="1", NO_COLOR="1")
    if token is not None:
        env[token_var] = token
    env.update(extra or {})
    return env


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
