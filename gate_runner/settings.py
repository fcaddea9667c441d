"""Every run setting resolved once: CLI, then environment, then policy, then default."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Literal, TypeVar

from gate_runner.config.schema import policy_default
from gate_runner.errors import Diagnostic, PolicyError, UsageError
from gate_runner.origins import connection_origin, parse_origins, show_origin, token_may_go

if TYPE_CHECKING:
    from gate_runner.policy import Mode, Policy

T = TypeVar("T")

SettingSource = Literal["cli", "env", "policy", "default"]

# The documented names; each appears nowhere else in the code.
BASE_URL_ENV = "SEPURUX_API_BASE_URL"
# Origins besides the default one a policy's api.base_url may send the token to; set by the CI
# configuration, out of a pull request's reach (docs/security.md).
TRUSTED_ORIGINS_ENV = "GATE_RUNNER_TRUSTED_ORIGINS"
REQUEST_TIMEOUT_ENV = "GATE_RUNNER_REQUEST_TIMEOUT"
FLOOR_ENV = "GATE_RUNNER_FLOOR"
DEFAULT_REQUEST_TIMEOUT = 10.0
DEFAULT_VERDICT_PATH = Path("gate-runner-verdict.json")
# 1-4 mean blocked, invalid, no decision and internal error; 126 and up belong to shells.
SOFT_EXIT_CODES = range(5, 126)


@dataclass(frozen=True)
class Setting(Generic[T]):
    """A resolved value and where it came from (`origin` names the flag, variable or file:line)."""

    value: T
    source: SettingSource
    origin: str


@dataclass(frozen=True)
class CommandLine:
    """What the user typed; None where a flag was left out."""

    api_url: str | None = None
    timeout: float | None = None
    enforcement: Mode | None = None
    soft_exit_code: int | None = None
    verdict_path: Path | None = None
    sandbox: bool = False  # --sandbox: the API is a local sandbox, started by check


@dataclass(frozen=True)
class Settings:
    """The settings a command knows before it reads the policy."""

    verdict_path: Setting[Path]
    request_timeout: Setting[float]
    enforcement: Setting[Mode | None]
    soft_exit_code: Setting[int]


@dataclass(frozen=True)
class GateSettings:
    """The settings that fall back to the policy: where the API is, how long the gate may take."""

    base_url: Setting[str]
    timeout: Setting[float]


def resolve(cli: CommandLine, env: Mapping[str, str]) -> Settings:
    """Settings that need no policy; a bad value is a UsageError naming the flag or variable."""
    _gate_timeout_flag(cli.timeout)  # refused before the policy is read, like every flag
    _named_origins(env)  # and a bad variable too
    return Settings(
        verdict_path=_verdict_path(cli.verdict_path),
        request_timeout=_request_timeout(env),
        enforcement=(
            Setting(cli.enforcement, "cli", "--enforcement")
            if cli.enforcement is not None
            # None: the policy decides, through enforce.mode_in_force.
            else Setting(None, "default", "the policy")
        ),
        soft_exit_code=_soft_exit_code(cli.soft_exit_code),
    )


def resolve_gate(cli: CommandLine, env: Mapping[str, str], policy: Policy) -> GateSettings:
    """The settings that fall back to the policy, each resolved by its one rule below."""
    # --sandbox starts its own API: the policy's base URL is never used, so never judged.
    sandboxed = Setting("http://127.0.0.1", "cli", "--sandbox")
    return GateSettings(
        base_url=sandboxed if cli.sandbox else base_url(cli.api_url, env, policy),
        timeout=gate_timeout(cli.timeout, policy),
    )


def base_url(flag: str | None, env: Mapping[str, str], policy: Policy) -> Setting[str]:
    """--api-url > SEPURUX_API_BASE_URL > the policy's api.base_url (or its default).

    The policy's own is used only at an origin the CI configuration trusts (the default's,
    GATE_RUNNER_TRUSTED_ORIGINS', loopback); another is a PolicyError at its line.
    """
    if flag:
        return Setting(flag, "cli", "--api-url")
    if env.get(BASE_URL_ENV):
        return Setting(env[BASE_URL_ENV], "env", BASE_URL_ENV)
    setting = _from_policy(policy, "api.base_url", policy.api.base_url)
    if setting.source == "policy":
        _trusted_by_the_ci(setting.value, env, policy)
    return setting


def trusted_origins(env: Mapping[str, str]) -> list[tuple[str, str, int]]:
    """The default API origin and those GATE_RUNNER_TRUSTED_ORIGINS names; UsageError if bad."""
    named = _named_origins(env)
    default = connection_origin(policy_default("api", "base_url"))
    return [default, *named] if default is not None else named


def _named_origins(env: Mapping[str, str]) -> list[tuple[str, str, int]]:
    try:
        return parse_origins(env.get(TRUSTED_ORIGINS_ENV, ""))
    except ValueError as error:
        raise UsageError(f"{TRUSTED_ORIGINS_ENV}: {error}") from None


def _trusted_by_the_ci(url: str, env: Mapping[str, str], policy: Policy) -> None:
    trusted = trusted_origins(env)
    if token_may_go(url, trusted):
        return
    found = connection_origin(url)
    named = show_origin(found) if found is not None else "a URL without a certain origin"
    where = next((v.origin for v in policy.effective if v.path == "api.base_url"), None)
    file, line, col = (where.file, where.line, where.col) if where else (policy.path, 1, 1)
    message = (
        f"api.base_url names {named}, an origin the CI configuration does not trust, and the "
        f"API token goes only to {policy_default('api', 'base_url')}, loopback, or an origin "
        f"the CI names: --api-url, {BASE_URL_ENV}, or {TRUSTED_ORIGINS_ENV} (set it in the CI "
        "configuration, out of a pull request's reach)"
    )
    raise PolicyError([Diagnostic(file, line, col, message)], (policy.api.token_env,))


def gate_timeout(flag: float | None, policy: Policy) -> Setting[float]:
    """--timeout > the policy's gate.timeout (or its default)."""
    checked = _gate_timeout_flag(flag)
    if checked is not None:
        return Setting(float(checked), "cli", "--timeout")
    return _from_policy(policy, "gate.timeout", float(policy.gate.timeout))


def _gate_timeout_flag(flag: float | None) -> float | None:
    if flag is not None and not flag > 0:  # NaN too
        raise UsageError(f"--timeout must be a positive number of seconds, not {flag:g}")
    return flag


def _from_policy(policy: Policy, path: str, value: T) -> Setting[T]:
    # The loader records every effective leaf with its origin; "<default>" marks a schema default.
    origin = next((v.origin for v in policy.effective if v.path == path), None)
    if origin is None or origin.file == "<default>":
        return Setting(value, "default", f"the default {path}")
    return Setting(value, "policy", f"{path} in {origin}")


def _verdict_path(path: Path | None) -> Setting[Path]:
    if path is None:
        return Setting(DEFAULT_VERDICT_PATH, "default", "default")
    return Setting(path, "cli", "--verdict")


def _request_timeout(env: Mapping[str, str]) -> Setting[float]:
    """Seconds one HTTP request may take: GATE_RUNNER_REQUEST_TIMEOUT, else 10."""
    text = env.get(REQUEST_TIMEOUT_ENV, "").strip()
    if not text:
        return Setting(DEFAULT_REQUEST_TIMEOUT, "default", "default")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    # NaN and infinity would disable the timeout: refuse them like any other bad value.
    if not (math.isfinite(value) and value > 0):
        raise UsageError(
            f"{REQUEST_TIMEOUT_ENV} must be a positive number of seconds, not {text!r}"
        )
    return Setting(value, "env", REQUEST_TIMEOUT_ENV)


def _soft_exit_code(code: int | None) -> Setting[int]:
    if code is None or code == 0:
        return Setting(0, "cli" if code is not None else "default", "--soft-exit-code")
    if code not in SOFT_EXIT_CODES:
        raise UsageError(
            f"--soft-exit-code {code} is not allowed: use 0 or 5–125 (1–4 already mean blocked, "
            "invalid, no decision and internal error; 126 and up are reserved by shells)"
        )
    return Setting(code, "cli", "--soft-exit-code")


def floor_policies(cli: Sequence[str], env: Mapping[str, str]) -> tuple[str, ...]:
    """Every floor to apply: each `--floor`, and each entry of GATE_RUNNER_FLOOR (separated by
    whitespace: spaces or newlines). Both, not one over the other: a floor the CI sets cannot
    be dropped by a flag the repository's own job passes."""
    found = [*cli, *env.get(FLOOR_ENV, "").split()]
    return tuple(dict.fromkeys(spec for spec in found if spec))
