"""The secret set (API, sandbox and forge tokens), scrubbing text and data, and CI mask lines."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from gate_runner.safe_text import MARKDOWN_MARKUP

if TYPE_CHECKING:
    from gate_runner.policy import Policy

MASK = "***"
# Shorter values are not scrubbed: replacing every "ab" would wreck the reports and hide nothing.
MIN_SECRET_LENGTH = 4
# CI-issued credentials, secrets whatever the policy names: GitLab's job token reads the
# project's repositories, packages and registry as the job's user.
CI_SECRET_VARIABLES = ("CI_JOB_TOKEN",)
# A name segment that says the variable holds a credential (SEPURUX_API_KEY, GITHUB_TOKEN,
# SYSTEM_ACCESSTOKEN, DB_PASSWORD, AWS_SECRET_ACCESS_KEY): never expanded into a path or URL.
_SECRET_NAME = re.compile(
    r"(?:^|_)[A-Z0-9]*(?:TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIALS?)(?=_|$)", re.I
)


# The forge tokens, per forge (gate_runner/forges/<name>/ reads its names from here, so the
# secret set needs no forge code): the variables each forge's calls may send, in the order
# read. Bitbucket Pipelines needs none (its proxy authenticates); outside Pipelines an access
# token with `repository:write` is required.
FORGE_TOKEN_VARIABLES: dict[str, tuple[str, ...]] = {
    "github": ("GITHUB_TOKEN", "GATE_RUNNER_GITHUB_TOKEN"),
    "gitlab": ("GITLAB_TOKEN", "GATE_RUNNER_GITLAB_TOKEN"),
    "bitbucket": ("BITBUCKET_ACCESS_TOKEN", "GATE_RUNNER_BITBUCKET_TOKEN"),
    "azure": ("SYSTEM_ACCESSTOKEN", "GATE_RUNNER_AZURE_TOKEN"),
}


def forge_tokens(env: Mapping[str, str]) -> list[str]:
    """Every forge token set in `env` (GITHUB_TOKEN, GITLAB_TOKEN, ...): secrets to scrub."""
    names = (name for names in FORGE_TOKEN_VARIABLES.values() for name in names)
    return list(dict.fromkeys(env[name] for name in names if env.get(name)))


def first_token(env: Mapping[str, str], names: Iterable[str]) -> str | None:
    """The first of `names` set in `env`: the token a forge call sends."""
    return next((env[name] for name in names if env.get(name)), None)


def scrub_tokens(text: str, env: Mapping[str, str]) -> str:
    """`text` with every forge token in `env` scrubbed (a warning built from a forge's answer)."""
    return Secrets(tuple(forge_tokens(env))).scrub(text)


def token_value(raw: str | None) -> str | None:
    """A token as it is sent: surrounding whitespace (a pasted newline) dropped; empty is None."""
    if raw is None:
        return None
    value = raw.strip()
    return value or None


def bad_token_reason(token: str) -> str | None:
    """Why a token cannot go into an HTTP header (non-Latin-1 or a control character), or None."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in token):
        return "it holds a control character (a line break or tab inside it?)"
    try:
        token.encode("latin-1")
    except UnicodeEncodeError:
        return "it holds characters an HTTP header cannot carry (not Latin-1)"
    return None


def _forms(secret: str) -> set[str]:
    """Every way a secret can appear once formatted: raw, per line, as each format escapes it."""
    raw = {secret, secret.strip(), *secret.splitlines()}
    forms: set[str] = set()
    for value in raw:
        if len(value.strip()) < MIN_SECRET_LENGTH:
            continue
        forms.update(
            {
                value,
                repr(value)[1:-1],  # requests' header errors show the repr ("tok\\n")
                json.dumps(value)[1:-1],
                json.dumps(value, ensure_ascii=False)[1:-1],
                MARKDOWN_MARKUP.sub(r"\\\1", value),  # as safe_text.markdown escapes it
                _xml_escaped(value),
                quote(value, safe=""),
                quote(value),
                value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"),
            }
        )
    return {f for f in forms if len(f.strip()) >= MIN_SECRET_LENGTH}


def _xml_escaped(value: str) -> str:
    # As ElementTree writes text and attributes (xml.sax.saxutils costs 40 ms to import).
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        value = value.replace(raw, entity)
    return value


@dataclass(frozen=True)
class Secrets:
    """The values no output may show; `scrub` replaces each (in every escaped form) with ***."""

    values: tuple[str, ...] = ()
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        forms = {form for value in self.values for form in _forms(value)}
        # Longest first, so a token that contains another is replaced whole.
        ordered = sorted(forms, key=lambda f: (-len(f), f))
        pattern = re.compile("|".join(re.escape(f) for f in ordered)) if ordered else None
        object.__setattr__(self, "_pattern", pattern)

    def __bool__(self) -> bool:
        return bool(self.values)

    def __repr__(self) -> str:
        return f"Secrets({len(self.values)} values)"

    def with_values(self, more: Iterable[str | None]) -> Secrets:
        return Secrets(tuple(dict.fromkeys([*self.values, *(v for v in more if v)])))

    def scrub(self, text: str) -> str:
        return self._pattern.sub(MASK, text) if self._pattern is not None else text

    def scrub_data(self, value: Any) -> Any:
        """JSON-like data with every string (keys too) scrubbed: render it, nothing can leak."""
        if not self.values:
            return value
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {self.scrub_data(k): self.scrub_data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.scrub_data(v) for v in value]
        return value

    def mask_parts(self) -> list[str]:
        """What the CI is told to hide: each line of each secret, once (ci.mask_lines says how)."""
        lines: list[str] = []
        for secret in self.values:
            for part in secret.strip().splitlines():
                if part.strip() and part not in lines:
                    lines.append(part)
        return lines


def secret_set(
    env: Mapping[str, str], *, token_env: str | None, sandbox_token: str | None = None
) -> Secrets:
    """The secrets of one command: the policy's API token, the sandbox's, the forge tokens."""
    api = env.get(token_env) if token_env else None
    ci = [env.get(name) for name in CI_SECRET_VARIABLES]
    # The raw value as well as the stripped one: a pasted secret may carry a newline.
    return Secrets(()).with_values([api, token_value(api), sandbox_token, *ci, *forge_tokens(env)])


def policy_secrets(env: Mapping[str, str], token_envs: Iterable[str]) -> Secrets:
    """The secrets of a policy not (yet) loaded: each token variable its files name, or might."""
    found = Secrets()
    for name in dict.fromkeys(token_envs):
        found = found.with_values(secret_set(env, token_env=name).values)
    return found


def loaded_policy_secrets(env: Mapping[str, str], policy: Policy) -> Secrets:
    """The secrets of a loaded policy: its API token, every credential variable its files
    name (an extends auth.env), the CI's and the forge tokens."""
    return policy_secrets(env, (policy.api.token_env, *policy.secret_envs))


def secret_reason(name: str, env: Mapping[str, str], token_envs: Collection[str]) -> str | None:
    """Why ``${name}`` may never be expanded into a path or URL, or None when it may.

    token_envs: every api.token_env the policy's files name, and the default one.
    """
    if name in token_envs:
        return "a credential's variable (api.token_env, or an extends entry's auth.env)"
    if name in CI_SECRET_VARIABLES:
        return "the CI's own credential"
    if _SECRET_NAME.search(name):
        return "its name says it holds a credential"
    value = env.get(name) or ""
    # A copy of a token under an innocent name (MY_DIR=$GITHUB_TOKEN) is the token all the same.
    if len(value.strip()) >= MIN_SECRET_LENGTH:
        for secret in policy_secrets(env, token_envs).values:
            if len(secret.strip()) >= MIN_SECRET_LENGTH and secret.strip() in value:
                return "it holds the value of a secret"
    return None
