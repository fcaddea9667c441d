"""What every suite shares: the CLI as a process, a loopback HTTP server, the verdict schema check.

`tests/conftest.py` puts `tests/` on sys.path, so any test imports this package as `support`.
"""

from __future__ import annotations

from .cli import GATE, Done, clean_env, gate_command, run_gate, start_gate
from .http import Answer, LoopbackServer, Request, Route, routes
from .timing import LOADED_BOUND_S, WAIT_S
from .verdicts import REPO, VERDICT_SCHEMA, validate_verdict, verdict_validator

__all__ = [
    "GATE",
    "LOADED_BOUND_S",
    "REPO",
    "VERDICT_SCHEMA",
    "WAIT_S",
    "Answer",
    "Done",
    "LoopbackServer",
    "Request",
    "Route",
    "clean_env",
    "gate_command",
    "routes",
    "run_gate",
    "start_gate",
    "validate_verdict",
    "verdict_validator",
]
