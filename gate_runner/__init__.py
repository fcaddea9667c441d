"""gate-runner: policy-as-code merge gate for AI-agent reliability."""

__version__ = "0.1.0"
