"""Run every benchmark in one go and print their tables (Markdown, ready for the README).

Run: .venv/bin/python bench/run_all.py   (about 6 minutes on 2 cores)
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = (
    "startup.py",
    "time_to_verdict.py",
    "scale.py",
    "evaluation.py",
    "delivery.py",
    "replay.py",
    "store.py",
    "cancellation.py",
    "reuse.py",
)


def main() -> int:
    failed = 0
    started = time.monotonic()
    for script in SCRIPTS:
        print(f"<!-- {script} -->", flush=True)
        # One script at a time, each in its own process: no benchmark competes with another.
        result = subprocess.run([sys.executable, str(HERE / script)], check=False)
        failed += result.returncode != 0
        print(flush=True)
    print(f"<!-- all benchmarks: {time.monotonic() - started:.0f} s -->")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
