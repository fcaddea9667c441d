"""A local Sepurux-compatible API on loopback, driven by a scenario file, with fault injection."""

from __future__ import annotations

from gate_runner.sandbox.scenario import (
    DEFAULT_TOKEN,
    CampaignSpec,
    Metrics,
    Scenario,
    campaign_uuid,
    load_scenario,
    scenario_schema,
)
from gate_runner.sandbox.server import Sandbox

__all__ = [
    "DEFAULT_TOKEN",
    "CampaignSpec",
    "Metrics",
    "Sandbox",
    "Scenario",
    "campaign_uuid",
    "load_scenario",
    "scenario_schema",
]
