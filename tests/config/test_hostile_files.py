"""Policy files written to hurt (issue #10): devices, FIFOs, huge files, symlink loops, and
`extends` graphs that fan out; plus the pluggable reader and `validate --offline`.

Every refusal is a diagnostic at the extends entry (or 1:1 for the named file) and exit 2;
each case failed before its fix (MemoryError, a hang, RuntimeError, or 2^n reads).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from support import Done, run_gate

from gate_runner.config import check_files, load_policy, read_local_file, validate_files
from gate_runner.config.fetch import MAX_BYTES

POSIX = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Done:
    done = run_gate(
        [*args],
        cwd=cwd,
        env=env or _env(cwd / "cache"),
        timeout=120,  # a hang is the defect; a loaded machine still answers in seconds
    )
    assert "Traceback" not in done.stdout + done.stderr
    return done


def _env(cache: Path) -> dict[str, str]:
    skip = ("GITHUB_", "GITLAB_", "GATE_RUNNER_", "SEPURUX_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(skip) and k != "CI"}
    return {**env, "GATE_RUNNER_CACHE_DIR": str(cache)}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@POSIX
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
@pytest.mark.slow
def test_extends_a_device_is_refused_at_the_entry(device: str, tmp_path: Path) -> None:
    write(tmp_path / "sepurux.yml", f"version: 1\nextends:\n  - {device}\n")
    done = run("validate", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        f"sepurux.yml:3:5: cannot read {device}: not a regular file (a character device); "
        "a policy must be a file\n"
    )


@POSIX
@pytest.mark.parametrize(
    ("command", "closing"),
    [
        (["validate", "/dev/zero"], ""),
        # explain reports a PolicyError through the one handler, which counts the problems.
        (["explain", "--config", "/dev/zero"], "gate-runner: 1 problem in the policy\n"),
    ],
)
@pytest.mark.slow
def test_naming_a_device_as_the_policy_is_refused(
    command: list[str], closing: str, tmp_path: Path
) -> None:
    done = run(*command, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "/dev/zero:1:1: cannot read the policy: not a regular file (a character device); "
        "a policy must be a file\n" + closing
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.slow
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "parent.yml")
    write(tmp_path / "sepurux.yml", "version: 1\nextends: [parent.yml]\n")
    done = run("validate", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "sepurux.yml:2:11: cannot read parent.yml: not a regular file (a FIFO); "
        "a policy must be a file\n"
    )


def test_a_directory_and_an_oversized_file_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder.yml").mkdir()
    (tmp_path / "big.yml").write_bytes(b"version: 1\n" + b"#" * MAX_BYTES)
    root = write(tmp_path / "sepurux.yml", "version: 1\nextends:\n  - folder.yml\n  - big.yml\n")
    found = validate_files([root], env={})[str(root)]
    assert [(d.line, d.col, d.message) for d in found] == [
        (3, 5, "cannot read folder.yml: not a regular file (a directory); a policy must be a file"),
        (4, 5, f"cannot read big.yml: larger than {MAX_BYTES} bytes; refusing"),
    ]


@pytest.mark.slow
def test_a_big_plain_file_under_the_limit_loads(tmp_path: Path) -> None:
    # 5,000 campaigns and not one alias: nothing expands, so nothing is refused.
    campaigns = "".join(f"  c{i}: {{thresholds: {{max_unsafe: 0}}}}\n" for i in range(5000))
    root = write(tmp_path / "sepurux.yml", "version: 1\ncampaigns:\n" + campaigns)
    assert root.stat().st_size < MAX_BYTES
    policy = load_policy(root, env={})
    assert len(policy.campaigns) == 5000


@pytest.mark.slow
def test_symlink_loop_in_extends_is_a_clean_error(tmp_path: Path) -> None:
    (tmp_path / "a.yml").symlink_to("b.yml")
    (tmp_path / "b.yml").symlink_to("a.yml")
    write(tmp_path / "sepurux.yml", "version: 1\nextends: [a.yml]\n")
    done = run("validate", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "sepurux.yml:2:11: cannot read a.yml: Too many levels of symbolic links\n"
    done = run("validate", "a.yml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "a.yml:1:1: cannot read the policy: Too many levels of symbolic links\n"


def _fan_out(directory: Path, depth: int) -> Path:
    """f0 extends f1 twice, f1 extends f2 twice, ...: 2^depth paths to the last file."""
    for level in range(depth):
        write(
            directory / f"f{level}.yml",
            f"version: 1\nextends: [f{level + 1}.yml, f{level + 1}.yml]\n"
            f"gate: {{concurrency: {level % 64 + 1}}}\n",
        )
    write(directory / f"f{depth}.yml", "version: 1\ncampaigns: {core: {}}\n")
    return directory / "f0.yml"


def test_every_file_of_an_extends_graph_is_read_once(tmp_path: Path) -> None:
    reads: list[Path] = []

    def counting(path: Path) -> bytes:
        reads.append(path)
        return read_local_file(path)

    root = _fan_out(tmp_path, 20)  # 2^20 paths: did not finish before
    policy = load_policy(root, env={}, read=counting)
    assert len(reads) == len(set(reads)) == 21
    assert policy.sources[0].location.endswith("f20.yml")
    assert policy.sources[-1].location.endswith("f0.yml")
    assert len(policy.sources) == 21
    assert policy.gate.concurrency == 1  # f0's own value, applied last


def test_a_shared_parent_is_applied_once_at_its_first_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "d.yml", "version: 1\ngate: {timeout: 10, concurrency: 1}\n")
    write(tmp_path / "b.yml", "version: 1\nextends: [d.yml]\ngate: {timeout: 20}\n")
    write(tmp_path / "c.yml", "version: 1\nextends: [d.yml]\ngate: {concurrency: 3}\n")
    write(tmp_path / "a.yml", "version: 1\nextends: [b.yml, c.yml]\n")
    policy = load_policy(Path("a.yml"), env={})
    assert [s.location for s in policy.sources] == ["d.yml", "b.yml", "c.yml", "a.yml"]
    # d is not re-applied after b: b's timeout stands.
    assert (policy.gate.timeout, policy.gate.concurrency) == (20, 3)


def test_load_policy_reads_through_the_given_reader(tmp_path: Path) -> None:
    # What `check --policy-ref` does with `git show`: the files exist only in the reader.
    files = {
        tmp_path
        / "sepurux.yml": b"version: 1\nextends: [base/agents.yml]\ncampaigns: {core: {}}\n",
        tmp_path / "base" / "agents.yml": b"version: 1\nthresholds: {max_unsafe: 0}\n",
    }

    def from_memory(path: Path) -> bytes:
        try:
            return files[path]
        except KeyError:
            raise FileNotFoundError(2, "not in this ref") from None

    policy = load_policy(tmp_path / "sepurux.yml", env={}, read=from_memory)
    assert [t.key for t in policy.campaigns[0].thresholds] == ["max_unsafe"]
    missing = validate_files([tmp_path / "other.yml"], env={}, read=from_memory)
    [problem] = missing[str(tmp_path / "other.yml")]
    assert problem.message == "cannot read the policy: not in this ref"


# --- validate --offline -----------------------------------------------------------------

REMOTE = b"version: 1\ncampaigns: {remote-only: {}}\n"
PIN = hashlib.sha256(REMOTE).hexdigest()
URL = "https://policies.example.com/agents.yml"
OFFLINE_POLICY = (
    f"version: 1\nextends:\n  - url: {URL}\n    sha256: {PIN}\n"
    "waivers:\n  - {campaign: remote-only, check: decision, until: 2099-01-01, reason: r}\n"
)


@pytest.mark.slow
def test_offline_skips_an_uncached_remote_parent_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path / "sepurux.yml", OFFLINE_POLICY)
    done = run("validate", "--offline", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        f"sepurux.yml:3:5: warning: {URL}: not in the policy cache, and --offline fetches "
        "nothing; skipped, so it was not validated\n"
    )
    assert done.stdout == "ok: sepurux.yml is valid\n"
    # Through typer too (an option it does not take would send it there).
    done = run("validate", "--offline", "--format", "json", "--", "sepurux.yml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_offline_still_fails_what_is_invalid_locally(tmp_path: Path) -> None:
    write(tmp_path / "sepurux.yml", OFFLINE_POLICY + "gate: {timeout: 0}\n")
    done = run("validate", "--offline", cwd=tmp_path)
    assert done.returncode == 2
    assert "sepurux.yml:7:17: gate.timeout: must be greater than 0" in done.stderr


@pytest.mark.slow
def test_offline_uses_the_cache(tmp_path: Path) -> None:
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / f"{PIN}.yml").write_bytes(REMOTE)
    root = write(tmp_path / "sepurux.yml", OFFLINE_POLICY)
    [result] = check_files([root], env={}, cache_dir=tmp_path / "cache", offline=True).values()
    assert result.diagnostics == result.warnings == []
    done = run("validate", "--offline", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")


def test_without_offline_an_unreachable_parent_is_an_error(tmp_path: Path) -> None:
    root = write(tmp_path / "sepurux.yml", OFFLINE_POLICY)

    def unreachable(url: str) -> bytes:
        from gate_runner.config.fetch import FetchError

        raise FetchError(f"{url}: cannot fetch (no network); nothing cached for this pin")

    found = validate_files([root], env={}, cache_dir=tmp_path / "cache", fetcher=unreachable)
    # The waiver names a campaign of the parent that could not be read: no noise about it.
    assert [d.message for d in found[str(root)]] == [
        f"{URL}: cannot fetch (no network); nothing cached for this pin"
    ]


@pytest.mark.slow
def test_validate_refuses_a_pathological_expression_at_its_position(tmp_path: Path) -> None:
    bangs = "!" * 50_000
    write(
        tmp_path / "sepurux.yml",
        f"version: 1\nassertions:\n  - name: deep\n    expr: '{bangs}a'\n"
        "  - name: nested\n    expr: '" + "(" * 3000 + "a" + ")" * 3000 + "'\n",
    )
    done = run("validate", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "sepurux.yml:4:11: assertions[0].expr: the expression is 50,001 characters long; "
        "the limit is 10,000\n"
        "sepurux.yml:6:11: assertions[1].expr: the expression nests deeper than 100 levels\n"
    )


@pytest.mark.slow
def test_the_typer_validate_command_takes_offline_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from gate_runner.cli.typer_app import _register, app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GATE_RUNNER_CACHE_DIR", str(tmp_path / "cache"))
    write(tmp_path / "sepurux.yml", OFFLINE_POLICY)
    _register()
    result = CliRunner().invoke(app, ["validate", "--offline", "--format", "json"])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.stdout)
    assert data["valid"] is True
    [warning] = data["warnings"]["sepurux.yml"]
    assert (warning["line"], warning["col"]) == (3, 5)
