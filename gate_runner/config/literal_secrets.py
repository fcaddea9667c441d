"""Refuses literal secrets in a policy: a policy names the variable that holds a token, never it."""

from __future__ import annotations

import re
from typing import Any

from gate_runner.config.yaml_positions import PathKey, where

# Keys that name the variable (token_env) or describe the header are fine; the rest hold values.
_SECRET_KEY = re.compile(
    r"token|api[_-]?key|password|passwd|secret|credential|private[_-]?key", re.I
)
_ALLOWED_KEYS = {"token_env", "auth_header"}
_REFERENCE_ONLY = re.compile(r"\s*\$\{[A-Za-z_][A-Za-z0-9_]*\}\s*\Z")
_KNOWN_FORMATS = [
    (re.compile(r"\b(sk|rk)[-_](live_|test_|proj-)?[A-Za-z0-9_-]{16,}"), "an API secret key"),
    (
        re.compile(r"\b(ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{30,}|\bgithub_pat_\w{20,}"),
        "a GitHub token",
    ),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20}"), "a GitLab token"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "an AWS access key"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\."), "a JWT"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"://[^/\s:@]+:[^/\s@]+@"), "a URL with a password"),
]
_OPAQUE = re.compile(r"[A-Za-z0-9_\-+/=.]{32,}\Z")
_HEX_OR_UUID = re.compile(r"[0-9a-fA-F-]+\Z")
ADVICE = (
    "secrets never go in the policy: put the token in a CI secret variable "
    "and name that variable with api.token_env"
)


def _looks_like_token(text: str) -> str | None:
    for pattern, what in _KNOWN_FORMATS:
        if pattern.search(text):
            return what
    if (
        _OPAQUE.match(text)
        and not _HEX_OR_UUID.match(text)
        and re.search(r"[a-z]", text)
        and re.search(r"[A-Z]", text)
        and re.search(r"[0-9]", text)
    ):
        return "an opaque token"
    return None


def find_secrets(data: Any, path: PathKey = ()) -> list[tuple[PathKey, str]]:
    """Literal secrets in raw (unexpanded) data, each with a message that never echoes it."""
    found: list[tuple[PathKey, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            child = (*path, key)
            literal = isinstance(value, (str, int, float)) and not isinstance(value, bool)
            if (
                literal
                and key not in _ALLOWED_KEYS
                and _SECRET_KEY.search(key)
                and not _REFERENCE_ONLY.match(str(value))
                and str(value)
            ):
                found.append(
                    (child, f"{where(child)}: key '{key}' holds a literal secret; {ADVICE}")
                )
            elif key != "sha256":
                found.extend(find_secrets(value, child))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found.extend(find_secrets(item, (*path, index)))
    elif isinstance(data, str):
        what = _looks_like_token(data)
        if what:
            found.append((path, f"{where(path)}: this value looks like {what}; {ADVICE}"))
    return found
