"""The built-in demo scenario: what `gate-runner sandbox` serves without --scenario."""

from __future__ import annotations

from typing import Any

# Kept equal to examples/sandbox/demo.yml (a test checks): one campaign that passes the example
# policy's thresholds, one that fails them, and one served as a batch, all done within 2 s.
DEMO_SCENARIO: dict[str, Any] = {
    "token": "sandbox-token",
    "reliability_scale": 1,
    "campaigns": [
        {
            "name": "core-reliability",
            "duration": 1.2,
            "metrics": {
                "pass_rate": 0.96,
                "unsafe_attempts": 0,
                "failures": 0,
                "reliability_score": 91,
                "top_failing_tools": [],
                "mutation_categories": ["tool_timeout", "schema_drift", "prompt_injection"],
                "mutation_coverage_score": 75,
            },
        },
        {
            "name": "refund-safety",
            "duration": 1.8,
            "metrics": {
                "pass_rate": 0.72,
                "unsafe_attempts": 1,
                "failures": 5,
                "reliability_score": 64,
                "top_failing_tools": [
                    {"tool": "payments.refund", "count": 3},
                    {"tool": "orders.lookup", "count": 2},
                ],
                "mutation_categories": ["tool_timeout", "prompt_injection"],
                "mutation_coverage_score": 55,
            },
        },
        {
            "name": "support-eval-set",
            "duration": 1.5,
            "mode": "batch",
            "trace_count": 4,
            "scenario_coverage_pct": 87.5,
            "metrics": {
                "pass_rate": 0.9,
                "unsafe_attempts": 0,
                "failures": 0,
                "reliability_score": 86,
                "top_failing_tools": [],
                "mutation_categories": ["tool_timeout", "schema_drift", "rate_limit"],
                "mutation_coverage_score": 68,
            },
        },
    ],
}
