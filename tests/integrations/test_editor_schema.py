"""`gate-runner init` in a fresh repository gives completion and hover offline, in a real editor.

The editor is yaml-language-server (the language server of VS Code's YAML extension, Neovim's
yamlls, Helix...), installed from npm and driven over LSP on stdio
(https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/).
.ci/run installs it and sets YAML_LANGUAGE_SERVER_PREFIX; elsewhere the test installs it into a
cache folder. When it cannot, it fails under CI=true or when .ci/run asked for it, else skips.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import IO, Any

import pytest
from support import run_gate

pytestmark = pytest.mark.slow

PACKAGE = "yaml-language-server@1.25.0"
WAIT_S = 120.0  # a bound a loaded 2-core machine meets; the server answers in well under 1 s


def _server_script() -> Path:
    prefix = Path(
        os.environ.get("YAML_LANGUAGE_SERVER_PREFIX")
        or Path.home() / ".cache" / "gate-runner-tests" / "yaml-language-server"
    )
    script = prefix / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
    problem = None
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None or shutil.which("node") is None:
            problem = "node and npm are needed to install yaml-language-server"
        else:
            done = subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--prefix", str(prefix), PACKAGE],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0 or not script.exists():
                problem = f"npm install {PACKAGE} failed: {done.stderr[-500:]}"
    if problem is not None:
        if os.environ.get("CI") == "true" or os.environ.get("YAML_LANGUAGE_SERVER_PREFIX"):
            pytest.fail(problem)
        pytest.skip(problem)
    return script


class LanguageServer:
    """A minimal LSP client: framed JSON-RPC over the server's stdin/stdout."""

    def __init__(self, script: Path, workspace: Path) -> None:
        self.process = subprocess.Popen(
            ["node", str(script), "--stdio"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=workspace,
            # No proxy, no network: the schema must come from the repository.
            env={
                **os.environ,
                "HTTP_PROXY": "http://127.0.0.1:9",
                "HTTPS_PROXY": "http://127.0.0.1:9",
            },
        )
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            self.inbox.put(json.loads(stream.read(length)))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        reply = self.wait(lambda m: m.get("id") == self.next_id and "method" not in m)
        assert "error" not in reply, reply
        return reply.get("result")

    def wait(self, match: Any) -> dict[str, Any]:
        """The next message that matches; the server's own requests are answered meanwhile."""
        while True:
            try:
                message = self.inbox.get(timeout=WAIT_S)
            except queue.Empty:
                pytest.fail("yaml-language-server did not answer")
            if "method" in message and "id" in message:
                self._answer(message)
            if match(message):
                return message

    def _answer(self, request: dict[str, Any]) -> None:
        result: Any = None
        if request["method"] == "workspace/configuration":
            settings = {
                "validate": True,
                "hover": True,
                "completion": True,
                "schemaStore": {"enable": False},
            }
            items = request["params"]["items"]
            result = [settings if i.get("section") == "yaml" else None for i in items]
        self.send({"id": request["id"], "result": result})

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.process.wait(timeout=WAIT_S)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _git(*args: str) -> None:
    subprocess.run(["git", *args], env={**os.environ, **GIT_ENV}, capture_output=True, check=True)


def _init_and_clone(tmp_path: Path) -> Path:
    """`gate-runner init` in a fresh repository, everything it wrote committed, then a clone."""
    origin = tmp_path / "origin"
    _git("init", "-q", str(origin))
    done = run_gate(
        ["init"],
        cwd=origin,
    )
    assert done.returncode == 0, done.stderr
    _git("-C", str(origin), "add", "-A")
    _git("-C", str(origin), "commit", "-q", "-m", "gate-runner init")
    clone = tmp_path / "clone"
    _git("clone", "-q", str(origin), str(clone))
    return clone / "sepurux.yml"


def test_init_starter_gives_completion_and_hover_offline(tmp_path: Path) -> None:
    script = _server_script()
    policy = _init_and_clone(tmp_path)
    repo = policy.parent
    text = policy.read_text(encoding="utf-8") + "\n"
    lines = text.split("\n")
    uri = policy.resolve().as_uri()
    server = LanguageServer(script, repo)
    try:
        server.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": repo.resolve().as_uri(),
                "workspaceFolders": [{"uri": repo.resolve().as_uri(), "name": "repo"}],
                "capabilities": {
                    "workspace": {"configuration": True},
                    "textDocument": {
                        "completion": {"completionItem": {"snippetSupport": False}},
                        "hover": {"contentFormat": ["markdown", "plaintext"]},
                        "publishDiagnostics": {},
                    },
                },
            },
        )
        server.notify("initialized", {})
        server.notify("workspace/didChangeConfiguration", {"settings": {"yaml": {}}})
        server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}},
        )
        diagnostics = server.wait(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
            )
        )["params"]["diagnostics"]
        messages = [d["message"] for d in diagnostics]
        assert not any("Unable to load schema" in m for m in messages), messages
        assert messages == []

        # Completion on the empty last line offers the top-level keys the starter leaves out.
        completion = server.request(
            "textDocument/completion",
            {"textDocument": {"uri": uri}, "position": {"line": len(lines) - 1, "character": 0}},
        )
        items = completion["items"] if isinstance(completion, dict) else completion
        labels = {item["label"] for item in items}
        assert {"waivers", "assertions", "project"} <= labels, labels

        # Hover on a key shows its description from the schema.
        line = next(i for i, x in enumerate(lines) if x.startswith("enforcement:"))
        hover = server.request(
            "textDocument/hover",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": 3}},
        )
        contents = hover["contents"]
        shown = contents["value"] if isinstance(contents, dict) else json.dumps(contents)
        assert "How a failing campaign is enforced" in shown, shown
    finally:
        server.close()
