"""api.base_url in a policy: the API token goes only to an origin the CI configuration trusts.

A pull request that edits sepurux.yml must not point the gate (and its token) at its own
collector. A host that is not loopback cannot be bound here, so the listener is an HTTPS
proxy (HTTPS_PROXY): every https connection the gate sets off for names its origin there in
a CONNECT, before any byte (token included) could reach it. No CONNECT: nothing was sent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import Answer, LoopbackServer, clean_env, run_gate, validate_verdict

TOKEN = "tok_ORIGIN_SECRET_2b7d"
COLLECTOR = "https://collector.example"


def _policy(cwd: Path, base_url: str) -> None:
    (cwd / "sepurux.yml").write_text(
        f"version: 1\napi:\n  base_url: {base_url}\ncampaigns:\n  c: {{}}\n", "utf-8"
    )


def _check(cwd: Path, proxy: LoopbackServer, **extra: str) -> tuple[int, str, list[str]]:
    env = clean_env(
        {"HTTPS_PROXY": proxy.url, "https_proxy": proxy.url, "GATE_RUNNER_REQUEST_TIMEOUT": "5"}
        | extra,
        token=TOKEN,
        drop=("NO_PROXY", "no_proxy"),
    )
    done = run_gate(["check", "--timeout", "20"], cwd=cwd, env=env)
    assert "Traceback" not in done.stderr, done.describe()
    assert TOKEN not in done.stdout + done.stderr
    connects = [f"{r.method} {r.target}" for r in proxy.requests]
    return done.code, done.stdout + done.stderr, connects


def test_a_policy_naming_another_origin_is_refused_at_its_line_and_sends_nothing(
    tmp_path: Path,
) -> None:
    _policy(tmp_path, f"{COLLECTOR}/api")
    with LoopbackServer(lambda _r: Answer(502)) as proxy:
        code, output, connects = _check(tmp_path, proxy)
    assert code == 2, output
    assert connects == [], f"the gate set off for {connects}"
    assert "sepurux.yml:3:13: api.base_url names https://collector.example:443" in output
    assert "GATE_RUNNER_TRUSTED_ORIGINS" in output
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text("utf-8"))
    validate_verdict(verdict)
    assert verdict["exit_code"] == 2 and verdict["error"]["kind"] == "policy"


@pytest.mark.slow  # the client retries the refused tunnel a few times
def test_an_origin_the_ci_trusts_is_used(tmp_path: Path) -> None:
    # The same policy, with the CI configuration naming the origin: the gate goes there.
    _policy(tmp_path, f"{COLLECTOR}/api")
    trusted = f"https://other.example, {COLLECTOR}"
    with LoopbackServer(lambda _r: Answer(502)) as proxy:
        code, output, connects = _check(tmp_path, proxy, GATE_RUNNER_TRUSTED_ORIGINS=trusted)
    assert connects and set(connects) == {"CONNECT collector.example:443"}, connects
    assert code == 3, output  # the proxy refused the tunnel: no decision, not a policy error


@pytest.mark.slow  # the client retries the refused tunnel a few times
def test_the_api_url_flag_and_variable_outrank_the_policy(tmp_path: Path) -> None:
    # Named by the CI configuration: the policy's origin is not used, so it is not judged.
    _policy(tmp_path, f"{COLLECTOR}/api")
    with LoopbackServer(lambda _r: Answer(502)) as proxy:
        code, output, connects = _check(
            tmp_path, proxy, SEPURUX_API_BASE_URL="https://api.ci.example/v"
        )
    assert connects and set(connects) == {"CONNECT api.ci.example:443"}, connects
    assert code == 3, output


@pytest.mark.slow  # the client retries the refused tunnel a few times
def test_the_default_origin_needs_no_trust(tmp_path: Path) -> None:
    _policy(tmp_path, "https://app.sepurux.dev/api/backend")
    with LoopbackServer(lambda _r: Answer(502)) as proxy:
        code, output, connects = _check(tmp_path, proxy)
    assert connects and set(connects) == {"CONNECT app.sepurux.dev:443"}, connects
    assert code == 3, output


def test_loopback_needs_no_trust(tmp_path: Path) -> None:
    api = LoopbackServer(lambda _r: Answer(401, {"detail": "bad token"}))
    with api:
        _policy(tmp_path, f"{api.url}/v")
        env = clean_env(token=TOKEN)
        done = run_gate(["check", "--timeout", "20"], cwd=tmp_path, env=env)
        reached = len(api.requests)
    assert done.code == 3, done.describe()
    assert reached > 0, "loopback is local development: it is always allowed"


def test_an_unusable_trusted_origins_entry_is_a_usage_error(tmp_path: Path) -> None:
    _policy(tmp_path, f"{COLLECTOR}/api")
    env = clean_env({"GATE_RUNNER_TRUSTED_ORIGINS": "collector.example"}, token=TOKEN)
    done = run_gate(["check", "--timeout", "20"], cwd=tmp_path, env=env)
    assert done.code == 2, done.describe()
    assert "GATE_RUNNER_TRUSTED_ORIGINS" in done.stderr
