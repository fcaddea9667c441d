"""GitHub's REST API: its base (GITHUB_API_URL, else api.github.com), token and headers."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from gate_runner.forges.http import ForgeAPI
from gate_runner.secrets import FORGE_TOKEN_VARIABLES, first_token

DEFAULT_API = "https://api.github.com"  # GitHub Enterprise Server sets GITHUB_API_URL
TOKEN_VARIABLES = FORGE_TOKEN_VARIABLES["github"]


def token(env: Mapping[str, str]) -> str | None:
    return first_token(env, TOKEN_VARIABLES)


def api_headers(secret: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {secret}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }


def session(env: Mapping[str, str], secret: str, deadline: float | None) -> ForgeAPI:
    """The client for every GitHub call: the API base, the token, the run's deadline."""
    base = env.get("GITHUB_API_URL") or DEFAULT_API
    return ForgeAPI(base, api_headers(secret), deadline=deadline)


def repo_path(repository: str) -> str:
    """`owner/name` as a path: each part percent-encoded."""
    return "/".join(quote(part, safe="") for part in repository.split("/"))
