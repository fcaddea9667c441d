"""Forge-native results: a status per campaign and one for the gate, on four forges."""

from __future__ import annotations

from gate_runner.forge.publish import publish_statuses, request_review
from gate_runner.forge.review import ReviewSettings
from gate_runner.forge.statuses import Status, statuses
from gate_runner.forge.tokens import forge_status_tokens

__all__ = [
    "ReviewSettings",
    "Status",
    "forge_status_tokens",
    "publish_statuses",
    "request_review",
    "statuses",
]
