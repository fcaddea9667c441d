"""`auth: {env, header}` on a `url:` extends, as processes: the header goes to the entry's own
origin only (asserted at the servers), the value is a secret in every output."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from support import Answer, LoopbackServer, Request, clean_env, run_gate, validate_verdict

CREDENTIAL = "central-access-4242"
CENTRAL = b"version: 1\nthresholds:\n  min_pass_rate: 0.85\n"
PIN = hashlib.sha256(CENTRAL).hexdigest()


def _demanding(name: str, value: str) -> Any:
    def route(request: Request) -> Answer:
        if request.headers.get(name.lower()) != value:
            return Answer(401, raw=b"credential required", content_type="text/plain")
        return Answer(200, raw=CENTRAL, content_type="application/yaml")

    return route


def _policy(root: Path, url: str, auth: str, more: str = "") -> Path:
    text = (
        f"version: 1\nextends:\n  - url: {url}\n    sha256: {PIN}\n{auth}"
        f"campaigns:\n  core: {{}}\n{more}"
    )
    (root / "sepurux.yml").write_text(text, encoding="utf-8")
    return root


def _run(cwd: Path, *args: str, **extra: str) -> Any:
    env = clean_env({"GATE_RUNNER_CACHE_DIR": str(cwd / "cache"), **extra}, token=None)
    done = run_gate(args, cwd=cwd, env=env)
    assert "Traceback" not in done.stderr, done.describe()
    return done


@pytest.mark.parametrize(
    ("auth", "header", "sent"),
    [
        ("    auth: {env: CENTRAL_ACCESS}\n", "Authorization", f"Bearer {CREDENTIAL}"),
        ("    auth: {env: CENTRAL_ACCESS, header: PRIVATE-TOKEN}\n", "PRIVATE-TOKEN", CREDENTIAL),
    ],
)
def test_the_header_the_server_demands_is_sent(
    tmp_path: Path, auth: str, header: str, sent: str
) -> None:
    with LoopbackServer(_demanding(header, sent)) as server:
        _policy(tmp_path, f"{server.url}/central.yml", auth)
        done = _run(tmp_path, "validate", CENTRAL_ACCESS=CREDENTIAL)
    assert done.code == 0, done.describe()
    assert [r.headers.get(header.lower()) for r in server.requests] == [sent]


@pytest.mark.slow
def test_without_the_credential_the_refusal_is_no_decision(tmp_path: Path) -> None:
    with LoopbackServer(_demanding("Authorization", f"Bearer {CREDENTIAL}")) as server:
        _policy(tmp_path, f"{server.url}/central.yml", "")
        (tmp_path / "scenario.yml").write_text("token: sandbox-token\ncampaigns: []\n")
        done = _run(tmp_path, "check", "--sandbox", "scenario.yml")
    assert done.code == 3, done.describe()
    assert "the server answered HTTP 401" in done.stderr
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text("utf-8"))
    validate_verdict(verdict)
    assert (verdict["exit_code"], verdict["error"]["kind"]) == (3, "policy_fetch")
    assert verdict["summary"].endswith("no decision")


@pytest.mark.slow
def test_a_redirect_to_another_origin_never_carries_the_credential(tmp_path: Path) -> None:
    with LoopbackServer(_demanding("Authorization", f"Bearer {CREDENTIAL}")) as elsewhere:
        with LoopbackServer() as first:
            first.route = lambda r: Answer(302, headers={"Location": elsewhere.url + r.target})
            _policy(tmp_path, f"{first.url}/central.yml", "    auth: {env: CENTRAL_ACCESS}\n")
            done = _run(tmp_path, "validate", CENTRAL_ACCESS=CREDENTIAL)
        assert [r.headers.get("authorization") for r in first.requests] == [f"Bearer {CREDENTIAL}"]
        assert elsewhere.requests == []
    assert done.code == 2, done.describe()
    assert "redirected to another host" in done.stderr


@pytest.mark.slow
def test_a_redirect_within_the_origin_keeps_the_credential(tmp_path: Path) -> None:
    demand = _demanding("Authorization", f"Bearer {CREDENTIAL}")

    def route(request: Request) -> Answer:
        if request.path == "/old/central.yml":
            return Answer(302, headers={"Location": "/central.yml"})
        return demand(request)

    with LoopbackServer(route) as server:
        _policy(tmp_path, f"{server.url}/old/central.yml", "    auth: {env: CENTRAL_ACCESS}\n")
        done = _run(tmp_path, "validate", CENTRAL_ACCESS=CREDENTIAL)
    assert done.code == 0, done.describe()
    assert [r.path for r in server.requests] == ["/old/central.yml", "/central.yml"]


@pytest.mark.slow
def test_the_credential_is_a_secret_in_every_output(tmp_path: Path) -> None:
    with LoopbackServer(_demanding("Authorization", f"Bearer {CREDENTIAL}")) as server:
        # A label that happens to hold the value: explain prints it, scrubbed.
        more = f"enforcement:\n  soft:\n    label: {CREDENTIAL}\n"
        _policy(tmp_path, f"{server.url}/central.yml", "    auth: {env: CENTRAL_ACCESS}\n", more)
        explained = _run(tmp_path, "explain", CENTRAL_ACCESS=CREDENTIAL)
        # The variable in a path or URL of the same file is refused by name, whatever its name.
        (tmp_path / "sepurux.yml").write_text(
            (tmp_path / "sepurux.yml").read_text()
            + "api:\n  base_url: https://${CENTRAL_ACCESS}.example.com\n"
        )
        refused = _run(tmp_path, "validate", CENTRAL_ACCESS=CREDENTIAL)
    assert explained.code == 0, explained.describe()
    assert "enforcement.soft.label" in explained.stdout
    assert CREDENTIAL not in explained.stdout + explained.stderr
    assert refused.code == 2, refused.describe()
    assert "${CENTRAL_ACCESS} is a secret (a credential's variable" in refused.stderr
    assert CREDENTIAL not in refused.stdout + refused.stderr
