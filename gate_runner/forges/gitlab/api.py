"""GitLab's REST API: its base (CI_API_V4_URL), token (PRIVATE-TOKEN, `api` scope) and client."""

from __future__ import annotations

from collections.abc import Mapping

from gate_runner.forges.http import ForgeAPI
from gate_runner.secrets import FORGE_TOKEN_VARIABLES, first_token

TOKEN_VARIABLES = FORGE_TOKEN_VARIABLES["gitlab"]


def token(env: Mapping[str, str]) -> str | None:
    return first_token(env, TOKEN_VARIABLES)


def api_base(env: Mapping[str, str]) -> str | None:
    return (env.get("CI_API_V4_URL") or "").rstrip("/") or None


def session(api_base: str, secret: str, deadline: float | None) -> ForgeAPI:
    """The client for every GitLab call: the API base, the token, the run's deadline."""
    return ForgeAPI(api_base, {"PRIVATE-TOKEN": secret}, deadline=deadline)
