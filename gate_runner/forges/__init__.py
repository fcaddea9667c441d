"""Forge-native results: a status per campaign and one for the gate, on four forges."""

from __future__ import annotations

from importlib import import_module
from typing import Any

# `statuses` (the module: Status, statuses()) is imported from gate_runner.forge.statuses.
# Loaded on first use: the secrets module asks `forge.tokens` for the forge tokens of every
# command, and must not pay for the reporters the publishers import.
_EXPORTS = {
    "ReviewSettings": "gate_runner.forge.review",
    "forge_status_tokens": "gate_runner.forge.tokens",
    "publish_statuses": "gate_runner.forge.publish",
    "request_review": "gate_runner.forge.publish",
}

__all__ = ["ReviewSettings", "forge_status_tokens", "publish_statuses", "request_review"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
