"""`gate-runner sandbox` as a subprocess: prints its URL, answers, stops on a signal with counts."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from support import WAIT_S, run_gate, start_gate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sandbox"


class Running:
    """A sandbox subprocess whose first line (the URL) has been read."""

    def __init__(self, *args: str) -> None:
        self.process = start_gate(["sandbox", *args])
        self.first_line = ""
        reader = threading.Thread(target=self._read_first_line, daemon=True)
        reader.start()
        reader.join(timeout=WAIT_S)
        assert self.first_line.startswith("sandbox listening on "), self.first_line
        self.url = self.first_line.split()[-1]

    def _read_first_line(self) -> None:
        assert self.process.stdout is not None
        self.first_line = self.process.stdout.readline().strip()

    def stop(self, sig: int) -> tuple[int, str, str]:
        self.process.send_signal(sig)
        self.process.wait(timeout=WAIT_S)
        # Read through the file objects: lines already buffered by readline() live there.
        assert self.process.stdout is not None and self.process.stderr is not None
        return self.process.returncode, self.process.stdout.read(), self.process.stderr.read()


@pytest.fixture
def running() -> Iterator[list[Running]]:
    started: list[Running] = []
    yield started
    for item in started:
        if item.process.poll() is None:
            item.process.kill()
            item.process.communicate()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.slow
def test_serves_the_scenario_and_stops_with_counts(running: list[Running], sig: int) -> None:
    sandbox = Running("--scenario", str(EXAMPLES / "passing.yml"))
    running.append(sandbox)
    assert sandbox.url.startswith("http://127.0.0.1:")
    headers = {"X-Sepurux-Token": "sandbox-token"}
    listed = requests.get(f"{sandbox.url}/v1/campaigns", headers=headers, timeout=5)
    assert [c["name"] for c in listed.json()] == ["core-reliability", "refund-safety"]
    body = {"campaign_id": listed.json()[0]["campaign_id"]}
    assert requests.post(f"{sandbox.url}/v1/ci/runs", json=body, headers=headers, timeout=5).ok
    assert requests.get(f"{sandbox.url}/v1/campaigns", timeout=5).status_code == 401
    code, out, err = sandbox.stop(sig)
    assert code == 0, err
    assert "sandbox stopped: 3 requests served, 1 runs created" in out
    assert "  GET /v1/campaigns: 2\n" in out and "  POST /v1/ci/runs: 1\n" in out
    assert "Traceback" not in err


@pytest.mark.slow
def test_demo_without_a_scenario_and_a_token_that_is_never_printed(
    running: list[Running],
) -> None:
    token = "cli-SECRET-token-31337"
    sandbox = Running("--token", token, "--port", "0")
    running.append(sandbox)
    headers = {"X-API-Key": token}
    names = [
        c["name"]
        for c in requests.get(f"{sandbox.url}/v1/campaigns", headers=headers, timeout=5).json()
    ]
    assert names == ["core-reliability", "refund-safety", "support-eval-set"]
    default = {"X-API-Key": "sandbox-token"}
    assert (
        requests.get(f"{sandbox.url}/v1/campaigns", headers=default, timeout=5).status_code == 401
    )
    code, out, err = sandbox.stop(signal.SIGTERM)
    assert code == 0
    assert token not in out + err + sandbox.first_line
    assert out.startswith("token: as given by --token or the scenario file\n")
    assert "campaign support-eval-set: " in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--host", "0.0.0.0"],
            "refusing to listen on '0.0.0.0': the sandbox serves loopback only",
        ),
        (
            ["--scenario", "/nonexistent/scenario.yml"],
            "/nonexistent/scenario.yml: cannot read scenario file",
        ),
    ],
)
@pytest.mark.slow
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    done = run_gate(["sandbox", *args])
    assert done.returncode == 2
    assert done.stderr.startswith("gate-runner: error: ") and message in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.slow
def test_invalid_scenario_file_exits_2_naming_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("campaigns:\n  - name: a\n    mode: bulk\n")
    done = run_gate(["sandbox", "--scenario", str(path)])
    assert done.returncode == 2
    problem = "campaigns[0].mode: 'bulk' is not one of ['run', 'batch']"
    assert done.stderr == f"gate-runner: error: {path}: {problem}\n"
