"""The credential of a remote `extends` entry (`auth: {env, header}`), read from the environment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from gate_runner.config.fetch import FetchError
from gate_runner.secrets import bad_token_reason, token_value

DEFAULT_HEADER = "Authorization"
_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_HEADER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*\Z")


@dataclass(frozen=True)
class Auth:
    """`auth:` as written: the variable that holds the credential and the header it goes in."""

    env: str
    header: str = DEFAULT_HEADER


def valid_auth(entry: Mapping[str, object]) -> bool:
    """No `auth`, or one the fetch can use (else the schema has reported it: nothing is fetched)."""
    auth = entry.get("auth")
    if auth is None:
        return True
    if not isinstance(auth, dict) or set(auth) - {"env", "header"}:
        return False
    env, header = auth.get("env"), auth.get("header", DEFAULT_HEADER)
    return (
        isinstance(env, str)
        and _ENV.match(env) is not None
        and isinstance(header, str)
        and _HEADER.match(header) is not None
    )


def auth_of(entry: Mapping[str, object]) -> Auth | None:
    """The entry's `auth`, or None; see valid_auth."""
    auth = entry.get("auth")
    if not isinstance(auth, dict) or not isinstance(auth.get("env"), str):
        return None
    header = auth.get("header")
    return Auth(auth["env"], header if isinstance(header, str) else DEFAULT_HEADER)


def named_auth_envs(data: object) -> list[str]:
    """Every `auth.env` a document's `extends` names, as written: each is a secret."""
    entries = data.get("extends") if isinstance(data, dict) else None
    found = (
        [auth_of(e) for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
    )
    return [auth.env for auth in found if auth is not None]


def auth_headers(auth: Auth | None, env: Mapping[str, str], shown: str) -> dict[str, str]:
    """The header to send to the entry's own origin: ``Authorization: Bearer <value>``, or the
    value raw under any other name (GitLab's ``JOB-TOKEN`` and ``PRIVATE-TOKEN``).

    A variable that is unset or cannot go into a header is the policy's problem (exit 2): the
    fix is in the CI's settings, and no request is made without the credential it names.
    """
    if auth is None:
        return {}
    value = token_value(env.get(auth.env))
    if value is None:
        raise FetchError(
            f"{shown}: auth.env names {auth.env}, which is not set (or empty); set it in the "
            "CI's secrets or variables, nothing was fetched"
        )
    reason = bad_token_reason(value)
    if reason is not None:
        raise FetchError(f"{shown}: {auth.env} cannot be sent in a header: {reason}")
    if auth.header.lower() == DEFAULT_HEADER.lower():
        return {DEFAULT_HEADER: f"Bearer {value}"}
    return {auth.header: value}
