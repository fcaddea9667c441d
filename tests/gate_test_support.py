"""The old name of `support` (tests/support/), kept for suites written before it."""

from __future__ import annotations

from support import REPO, VERDICT_SCHEMA, clean_env, validate_verdict, verdict_validator

__all__ = ["REPO", "VERDICT_SCHEMA", "clean_env", "validate_verdict", "verdict_validator"]
