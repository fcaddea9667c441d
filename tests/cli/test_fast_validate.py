"""`validate`'s fast path loads only what it needs: the start-up figure rests on it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What validate never needs: the verdict's model, the CI vendors, git, a traceback, signals,
# typer. Each cost it part of bench/startup.py's 1.3x of the import floor (issue 18).
NEVER = (
    "gate_runner.verdict",
    "gate_runner.ci.github",
    "gate_runner.ci.jenkins",
    "subprocess",
    "traceback",
    "signal",
    "typer",
)


def test_validate_loads_no_module_it_does_not_use(tmp_path: Path) -> None:
    listing = tmp_path / "modules.txt"
    code = (
        "import sys\n"
        "from gate_runner.cli import main\n"
        f"sys.argv = ['gate-runner', 'validate', {str(ROOT / 'sepurux.yml.example')!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        f"    open({str(listing)!r}, 'w').write(f'{{done.code}}\\n' + '\\n'.join(sys.modules))\n"
    )
    subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, check=True, timeout=60
    )
    code_line, *modules = listing.read_text(encoding="utf-8").splitlines()
    assert code_line == "0"
    assert "gate_runner.config" in modules  # it did validate
    assert [m for m in NEVER if m in modules] == []
