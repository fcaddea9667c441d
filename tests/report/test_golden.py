"""Every reporter against its golden file, for every fixture, also after a JSON round-trip."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from gate_runner.report.registry import REPORTERS
from gate_runner.verdict_json import verdict_from_dict

from .fixtures import FIXTURES

GOLDEN = Path(__file__).parent / "golden"
SCHEMA = Path(__file__).parents[2] / "gate_runner" / "schemas" / "verdict.schema.json"
EXTENSIONS = {
    "text": "txt",
    "json": "json",
    "junit": "xml",
    "sarif": "sarif",
    "gitlab": "codequality.json",
    "github": "github.txt",
    "markdown": "md",
    "html": "html",
}


def test_every_reporter_has_a_golden_extension() -> None:
    assert set(EXTENSIONS) == set(REPORTERS)


@pytest.mark.parametrize("fixture", sorted(FIXTURES))
def test_fixture_verdicts_match_the_verdict_schema(fixture: str) -> None:
    document = FIXTURES[fixture]().to_dict()
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)


@pytest.mark.parametrize("name", sorted(EXTENSIONS))
@pytest.mark.parametrize("fixture", sorted(FIXTURES))
def test_golden(fixture: str, name: str) -> None:
    verdict = FIXTURES[fixture]()
    rendered = REPORTERS[name].render(verdict)
    round_tripped = verdict_from_dict(json.loads(verdict.to_json()))
    assert REPORTERS[name].render(round_tripped) == rendered
    path = GOLDEN / f"{fixture}.{EXTENSIONS[name]}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(rendered, encoding="utf-8", newline="\n")
    assert path.exists(), f"{path} is missing: run UPDATE_GOLDEN=1 pytest tests/report"
    assert rendered == path.read_text(encoding="utf-8"), (
        f"{path} differs (UPDATE_GOLDEN=1 to accept)"
    )
