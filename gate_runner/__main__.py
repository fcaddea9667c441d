"""Entry point for ``python -m gate_runner``."""

from gate_runner.cli import main

if __name__ == "__main__":
    main()
