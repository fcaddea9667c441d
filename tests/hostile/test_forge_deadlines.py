"""A hostile forge cannot hold `check` past its deadline, nor fill its memory (issue 17, Hostile).

`check --publish --comment` against a loopback GitHub that hangs, drips its answer a byte at
a time, asks for a retry after a day, or answers a body far past any real one. Every call to
the forge ends by one deadline (what --timeout leaves); a huge answer is read only up to the
cap. The verdict, the exit code and the reports stay those of the gate; the forge's failure
is a warning.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from support import (
    LOADED_BOUND_S,
    REPO,
    WAIT_S,
    Answer,
    Done,
    LoopbackServer,
    Request,
    clean_env,
    run_gate,
)

from gate_runner.forges.http import MAX_ANSWER_BYTES

TOKEN = "ghs_hostile_forge_token_7731"
SANDBOX = REPO / "examples" / "sandbox" / "passing.yml"
HEAD = "89abcdef0123456789abcdef0123456789abcdef"
TIMEOUT_S = 4  # --timeout: the sandbox's runs take well under a second of it
POLICY = """\
version: 1
publish: true
thresholds:
  min_pass_rate: 0.5
campaigns:
  core-reliability: {}
"""
# The huge answer's size: several times the cap, so reading it whole shows in the bytes sent.
HUGE_BYTES = 4 * MAX_ANSWER_BYTES


@pytest.fixture
def forge() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


def _check(tmp_path: Path, forge: LoopbackServer) -> tuple[Done, float]:
    (tmp_path / "sepurux.yml").write_text(POLICY, encoding="utf-8")
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"pull_request": {"number": 42, "head": {"sha": HEAD}}}), encoding="utf-8"
    )
    env = clean_env(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": "acme/agent",
            "GITHUB_SHA": "0" * 40,
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_API_URL": forge.url,
        },
        token=None,
    )
    args = ["check", "--sandbox", str(SANDBOX), "--timeout", str(TIMEOUT_S), "--comment"]
    started = time.monotonic()
    # The run's own limit is far past the bound: a hang shows as a failed bound, not a kill.
    done = run_gate(args, cwd=tmp_path, env=env, timeout=WAIT_S * 2)
    return done, time.monotonic() - started


def _gate_unchanged(done: Done, tmp_path: Path) -> None:
    assert done.returncode == 0, done.stderr  # the gate passed; the forge changes nothing
    assert "Traceback" not in done.stderr
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    assert verdict["outcome"] == "pass"
    assert TOKEN not in done.stdout.replace(f"::add-mask::{TOKEN}", "") + done.stderr


def _hold(server: LoopbackServer) -> Answer:
    # Reads the request, answers nothing until the test ends.
    return Answer(write=lambda _handler: server.release.wait(WAIT_S * 3))


def _drip(server: LoopbackServer) -> Answer:
    def write(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[")
        while not server.release.wait(0.2):  # one byte every 0.2 s, for ever
            try:
                handler.wfile.write(b" ")
                handler.wfile.flush()
            except OSError:
                return  # the client hung up: what the deadline is for

    return Answer(write=write)


@pytest.mark.slow
def test_a_forge_that_never_answers_is_left_at_the_deadline(
    tmp_path: Path, forge: LoopbackServer
) -> None:
    forge.route = lambda _request: _hold(forge)
    done, took = _check(tmp_path, forge)
    _gate_unchanged(done, tmp_path)
    assert took < LOADED_BOUND_S  # was 65 s: 20 s a read, retried, for each of the calls
    assert "comment not posted: GET /repos/acme/agent/issues/42/comments timed out" in done.stderr
    assert "statuses not published" in done.stderr


@pytest.mark.slow
def test_a_forge_that_drips_its_answer_is_left_at_the_deadline(
    tmp_path: Path, forge: LoopbackServer
) -> None:
    forge.route = lambda _request: _drip(forge)
    done, took = _check(tmp_path, forge)
    _gate_unchanged(done, tmp_path)
    assert took < LOADED_BOUND_S  # was never: each byte came well within the read timeout
    assert "the answer was still arriving" in done.stderr


@pytest.mark.slow
def test_retry_after_past_the_deadline_is_not_waited_for(
    tmp_path: Path, forge: LoopbackServer
) -> None:
    forge.route = lambda _request: Answer(
        503, {"message": "later"}, headers={"Retry-After": "99999"}
    )
    done, _took = _check(tmp_path, forge)
    _gate_unchanged(done, tmp_path)
    # One request each for the comment and the statuses: no pause of 10 s between retries
    # fits in what --timeout leaves (it held the job 21 s).
    assert [(r.method, r.path) for r in forge.requests] == [
        ("GET", "/repos/acme/agent/issues/42/comments"),
        ("POST", "/repos/acme/agent/check-runs"),
    ]
    assert "no time left to retry before the publishing deadline" in done.stderr


@pytest.mark.slow
def test_a_huge_answer_is_read_only_up_to_the_cap(tmp_path: Path, forge: LoopbackServer) -> None:
    sent: list[int] = []
    lock = threading.Lock()

    def huge(_request: Request) -> Answer:
        def write(handler: BaseHTTPRequestHandler) -> None:
            handler.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[")
            chunk = b'"x",' * (256 * 1024)  # 1 MiB of a list that never ends
            total = 0
            try:
                while total < HUGE_BYTES and not forge.release.is_set():
                    handler.wfile.write(chunk)
                    total += len(chunk)
            except OSError:
                pass  # the client stopped reading and hung up
            with lock:
                sent.append(total)

        return Answer(write=write)

    forge.route = huge
    done, _took = _check(tmp_path, forge)
    _gate_unchanged(done, tmp_path)
    assert f"answered more than the {MAX_ANSWER_BYTES}-byte limit" in done.stderr
    waited = time.monotonic() + WAIT_S
    while len(sent) < len(forge.requests) and time.monotonic() < waited:
        time.sleep(0.05)  # each handler counts once the finished process has hung up
    assert len(sent) == len(forge.requests) >= 2
    # Read whole, each answer would be sent whole; stopped at the cap, the rest never leaves
    # (a socket buffer's worth more at most).
    assert all(total < 2 * MAX_ANSWER_BYTES for total in sent), sent
