"""The commented starter policy that ``gate-runner init`` writes (kept in gate_runner/templates)."""

from __future__ import annotations

from gate_runner.templates import STARTER

__all__ = ["STARTER"]
