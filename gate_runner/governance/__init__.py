"""Governance: policy from a git ref, semantic policy diff, verdict store, baseline, replay."""
