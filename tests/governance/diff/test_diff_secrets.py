"""`diff` output leaves through the secrets channel: a token expanded from ${VAR} is scrubbed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..cli import run

TOKEN = "tok-abcdef-123456"


@pytest.mark.parametrize("form", ["text", "json"])
def test_a_token_expanded_into_the_policy_is_not_printed(tmp_path: Path, form: str) -> None:
    (tmp_path / "old.yml").write_text("version: 1\napi: {project: plain}\ncampaigns: {core: {}}\n")
    (tmp_path / "new.yml").write_text(
        'version: 1\napi: {project: "p-${SEPURUX_API_KEY}"}\ncampaigns: {core: {}}\n'
    )
    done = run(
        tmp_path, "diff", "old.yml", "new.yml", "--format", form, env={"SEPURUX_API_KEY": TOKEN}
    )
    assert done.code == 1
    assert "api.project" in done.stdout
    assert TOKEN not in done.stdout + done.stderr
    assert "p-***" in done.stdout
