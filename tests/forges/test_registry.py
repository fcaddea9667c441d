"""The forge registry drives: folders, the Protocol, detection, token masking and publishing.

Adding a forge is its folder, one line in forges/registry.py and its token variables in
secrets.FORGE_TOKEN_VARIABLES; these tests hold every other place to the registry.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import gate_runner
from gate_runner.ci import vendors
from gate_runner.forges import registry
from gate_runner.forges.interface import Forge
from gate_runner.forges.publish import (
    post_sticky_comment,
    publish_statuses,
    read_approvals,
    request_review,
)
from gate_runner.forges.registry import FORGES, forge_for
from gate_runner.forges.review import ReviewSettings
from gate_runner.forges.statuses import statuses
from gate_runner.governance.owner_approval import Approvals, Owners
from gate_runner.secrets import FORGE_TOKEN_VARIABLES, secret_set

from .verdicts import mixed

PACKAGE = Path(gate_runner.__file__).parent


@pytest.mark.parametrize("forge", FORGES, ids=lambda f: f.NAME)
def test_every_forge_is_a_folder_behind_the_protocol(forge: Forge) -> None:
    assert isinstance(forge, Forge)
    assert Path(str(getattr(forge, "__file__", ""))) == PACKAGE / "forges" / forge.NAME / (
        "__init__.py"
    )
    assert forge_for(forge.NAME) is forge


def test_the_forges_are_the_folders() -> None:
    folders = {p.parent.name for p in (PACKAGE / "forges").glob("*/__init__.py")}
    assert folders == {f.NAME for f in FORGES}


@pytest.mark.parametrize("forge", FORGES, ids=lambda f: f.NAME)
def test_a_forge_is_a_detected_ci_vendor(forge: Forge) -> None:
    assert forge.NAME in {v.name for v in vendors()}


def test_token_variables_are_the_secret_table() -> None:
    assert set(FORGE_TOKEN_VARIABLES) == {f.NAME for f in FORGES}
    for forge in FORGES:
        assert FORGE_TOKEN_VARIABLES[forge.NAME] == forge.TOKEN_VARIABLES


@pytest.mark.parametrize(
    "name", [n for f in FORGES for n in f.TOKEN_VARIABLES], ids=lambda name: name
)
def test_every_forge_token_is_masked_and_scrubbed(name: str) -> None:
    secrets = secret_set({name: "forge-secret-value-1"}, token_env=None)
    assert secrets.mask_parts() == ["forge-secret-value-1"]
    assert secrets.scrub("x forge-secret-value-1 y") == "x *** y"


def test_the_secret_set_imports_no_forge_or_ci_code() -> None:
    tree = ast.parse((PACKAGE / "secrets.py").read_text(encoding="utf-8"))
    imported = [
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    ] + [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    assert not [m for m in imported if m.startswith(("gate_runner.ci", "gate_runner.forge"))]


def test_no_module_getattr_in_the_forges_package() -> None:
    for path in (PACKAGE / "forges").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        assert "__getattr__" not in names, path


def _fake(calls: list[str]) -> Any:
    def publish(statuses: list[Any], ci: Any, env: Any, deadline: float) -> list[str]:
        calls.append(f"publish {len(statuses)} {ci.vendor}")
        return [f"posted with {env['NEWFORGE_TOKEN']}"]

    def review(verdict: Any, settings: Any, env: Any, deadline: float) -> list[str]:
        calls.append("review")
        return []

    def comment(ci: Any, env: Any, body: str, deadline: float) -> None:
        calls.append(f"comment {body}")

    def approvals(owners: Owners, ci: Any, env: Any, deadline: float) -> Approvals:
        calls.append(f"approvals {','.join(owners.names)} {ci.vendor}")
        return Approvals(problem=f"read with {env['NEWFORGE_TOKEN']}")

    return SimpleNamespace(
        NAME="jenkins",
        TITLE="New Forge",
        TOKEN_VARIABLES=("NEWFORGE_TOKEN",),
        publish=publish,
        request_review=review,
        post_comment=comment,
        read_approvals=approvals,
    )


def test_publishing_reviews_and_comments_come_from_the_registry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(registry, "FORGES", (*FORGES, _fake(calls)))
    verdict = replace(mixed(), ci=replace(mixed().ci, vendor="jenkins"))
    env = {"NEWFORGE_TOKEN": "newforge-token-value"}
    assert isinstance(registry.FORGES[-1], Forge)
    # The new forge's warnings are scrubbed like any other's: its token is in the secret
    # table only when secrets.FORGE_TOKEN_VARIABLES names it.
    monkeypatch.setitem(FORGE_TOKEN_VARIABLES, "jenkins", ("NEWFORGE_TOKEN",))
    assert publish_statuses(verdict, env) == ["posted with ***"]
    assert request_review(verdict, ReviewSettings(label="gate"), env) == []
    assert post_sticky_comment(verdict, verdict.ci, env, body="hello") is None
    owners = Owners((("alice",),), "gate.policy_owners")
    found = read_approvals(owners, {**env, "JENKINS_URL": "https://ci.example/"})
    assert found == Approvals(problem="read with ***")  # scrubbed like any forge warning
    assert calls == [
        f"publish {len(statuses(verdict))} jenkins",
        "review",
        "comment hello",
        "approvals alice jenkins",
    ]
