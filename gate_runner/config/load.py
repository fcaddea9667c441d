"""One policy file on its own: parse, refuse secrets, expand ${VAR}, check the schema."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from gate_runner.config.expand import expand_document
from gate_runner.config.literal_secrets import find_secrets
from gate_runner.config.schema import supported_versions
from gate_runner.config.schema_check import check_policy
from gate_runner.config.yaml_positions import Document, PathKey, YamlProblem, load_document, where
from gate_runner.errors import Diagnostic
from gate_runner.secrets import secret_reason


def _under(path: PathKey, prefixes: list[PathKey]) -> bool:
    return any(path[: len(p)] == p for p in prefixes)


def _duplicate_assertions(doc: Document) -> list[Diagnostic]:
    lists: list[tuple[PathKey, Any]] = [(("assertions",), doc.data.get("assertions"))]
    campaigns = doc.data.get("campaigns")
    if isinstance(campaigns, dict):
        for key, campaign in campaigns.items():
            if isinstance(campaign, dict):
                lists.append((("campaigns", key, "assertions"), campaign.get("assertions")))
    found: list[Diagnostic] = []
    for path, items in lists:
        first: dict[str, int] = {}
        for index, item in enumerate(items if isinstance(items, list) else []):
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str):
                continue
            if name in first:
                line = doc.pos((*path, first[name]))[0]
                message = f"{where((*path, index))}: duplicate assertion name '{name}' "
                found.append(doc.diag((*path, index, "name"), message + f"(first on line {line})"))
            first.setdefault(name, index)
    return found


def check_document(
    doc: Document, env: Mapping[str, str], token_envs: Collection[str] = ()
) -> list[Diagnostic]:
    """Check one parsed document in place (its strings get expanded); return every problem.

    token_envs: the token variables known so far (secrets.secret_reason): none of them, and no
    other secret, is expanded into a path or URL.
    """
    data = doc.data
    versions = supported_versions()
    if isinstance(data, dict) and "version" in data and data["version"] not in versions:
        # A future format may mean anything: its other keys are not worth judging.
        known = ", ".join(str(v) for v in versions)
        shown = repr(data["version"]) if isinstance(data["version"], str) else data["version"]
        return [
            doc.diag(
                ("version",),
                f"unknown policy version {shown}: this gate-runner reads version {known}",
            )
        ]
    secrets = find_secrets(data)
    diagnostics = [doc.diag(path, message) for path, message in secrets]
    hidden = [path for path, _ in secrets]

    def refuse(name: str) -> str | None:
        return secret_reason(name, env, token_envs)

    unexpanded = expand_document(doc, env, refuse)
    diagnostics += [doc.diag(path, message) for path, message in unexpanded]
    # A value that could not be expanded is already reported; its schema error would be noise.
    hidden += [path for path, _ in unexpanded]
    for path, message, key in check_policy(doc.data, doc.expanded):
        if not _under(path, hidden):
            diagnostics.append(doc.diag(path, message, key=key))
    if isinstance(doc.data, dict):
        diagnostics += _duplicate_assertions(doc)
        api = doc.data.get("api")
        if "project" in doc.data and isinstance(api, dict) and "project" in api:
            diagnostics.append(
                doc.diag(("project",), "project is set twice: keep either project or api.project")
            )
    return diagnostics


def named_token_env(doc: Document) -> str | None:
    """The api.token_env a document names as written (it is never expanded), or None."""
    api = doc.data.get("api") if isinstance(doc.data, dict) else None
    named = api.get("token_env") if isinstance(api, dict) else None
    return named if isinstance(named, str) else None


def parse(text: str, file: str) -> tuple[Document | None, list[Diagnostic]]:
    try:
        return load_document(text, file), []
    except YamlProblem as problem:
        return None, [Diagnostic(file, problem.line, problem.col, problem.message)]
