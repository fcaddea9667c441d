"""What `gate-runner init` writes: the starter policy, and the schema its modeline names."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# Relative to the policy, so the modeline resolves offline and in every clone of the repository.
# Not .gate-runner/: the shipped Jenkins and Buildkite pipelines make their virtualenv there.
SCHEMA_PATH = Path(".sepurux") / "sepurux.schema.json"

STARTER = resources.files(__name__).joinpath("sepurux.yml").read_text(encoding="utf-8")


def starter_files(policy: Path) -> dict[Path, str]:
    """The files to write for a starter policy at `policy`: the policy and its schema."""
    schema = resources.files("gate_runner").joinpath("schemas/sepurux.schema.json")
    return {
        policy: STARTER,
        policy.parent / SCHEMA_PATH: schema.read_text(encoding="utf-8"),
    }
