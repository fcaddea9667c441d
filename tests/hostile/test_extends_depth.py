"""An `extends` chain hundreds of files deep: refused at the entry past the cap, exit 2, verdict."""

from __future__ import annotations

import json
from pathlib import Path

from support import clean_env, run_gate, validate_verdict

from gate_runner.config.extends import MAX_DEPTH

DEPTH = 500


def _chain(tmp_path: Path, depth: int) -> Path:
    for index in range(depth):
        parent = f"extends:\n  - p{index + 1}.yml\n" if index < depth - 1 else ""
        text = f"version: 1\n{parent}campaigns:\n  c{index}: {{}}\n"
        (tmp_path / f"p{index}.yml").write_text(text, encoding="utf-8")
    return tmp_path / "p0.yml"


def test_a_chain_500_files_deep_is_refused_at_the_entry_past_the_cap(tmp_path: Path) -> None:
    _chain(tmp_path, DEPTH)
    done = run_gate(["validate", "p0.yml"], cwd=tmp_path)
    assert done.code == 2, done.describe()
    last = f"p{MAX_DEPTH - 1}.yml"
    assert f"{last}:3:5: extends chain deeper than {MAX_DEPTH} files" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_check_on_a_deep_chain_exits_2_and_writes_the_verdict(tmp_path: Path) -> None:
    _chain(tmp_path, DEPTH)
    env = clean_env(token="tok-depth-1234")
    done = run_gate(
        ["check", "--config", "p0.yml", "--api-url", "http://127.0.0.1:9"], cwd=tmp_path, env=env
    )
    assert done.code == 2, done.describe()
    verdict = json.loads((tmp_path / "gate-runner-verdict.json").read_text(encoding="utf-8"))
    validate_verdict(verdict)
    assert verdict["exit_code"] == 2
    assert verdict["error"]["kind"] == "policy"
    diagnostics = verdict["error"]["diagnostics"]
    assert any(f"deeper than {MAX_DEPTH} files" in d["message"] for d in diagnostics)


def test_a_chain_exactly_at_the_cap_loads(tmp_path: Path) -> None:
    _chain(tmp_path, MAX_DEPTH)
    done = run_gate(["validate", "p0.yml"], cwd=tmp_path)
    assert done.code == 0, done.describe()
