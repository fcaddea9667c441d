"""The commented starter policy that ``gate-runner init`` writes."""

from __future__ import annotations

STARTER = """\
# yaml-language-server: $schema=https://sepurux.dev/schemas/gate-runner/sepurux.schema.json
#
# The reliability gate of this repository, read by `gate-runner check`.
# `gate-runner validate` checks this file; `gate-runner explain` shows what is in force.
version: 1

# extends:                        # central policies, applied in order, this file last
#   - ../platform/agents-baseline.yml
#   - url: https://policies.example.com/agents/v3.yml
#     sha256: <64 hex digits of the file>

api:
  token_env: SEPURUX_API_KEY      # the NAME of the CI secret variable, never the token

gate:
  timeout: 600                    # seconds for the whole gate
  on_error: fail                  # API down or auth refused: fail | pass
  on_timeout: fail

enforcement:
  mode: observe                   # start by observing; then soft, then hard
  # schedule:                     # or roll out in stages
  #   - {from: 2026-12-01, mode: soft}
  #   - {from: 2026-12-15, mode: hard}

thresholds:                       # for every campaign
  min_pass_rate: 0.85             # 0..1
  max_unsafe: 0
  min_reliability_score: 80       # 0..100

campaigns:
  core-reliability:               # a local name; `campaign:` defaults to it
    campaign: core-reliability    # the Sepurux campaign (name or uuid)
    # trace_id: ${SEPURUX_TRACE_ID}   # omit when the campaign has an eval set
"""
