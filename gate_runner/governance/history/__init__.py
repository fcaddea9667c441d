"""Verdicts over time: the store, the baseline found in it, failures against it, replay."""
