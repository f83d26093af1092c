"""Helpers of the GitOps tests: saved plans, live edits, ledgers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler import planfile
from tests.conftest import ROOT


@pytest.fixture
def plan_schema() -> jsonschema.protocols.Validator:
    schema = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def rewrite_plan(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    """Edit a saved plan's JSON, then seal it with a fresh checksum."""
    doc = json.loads(path.read_text())
    edit(doc)
    doc["checksum"] = planfile.checksum(doc)
    path.write_text(json.dumps(doc))


def ledger_lines(workdir: Path) -> list[str]:
    return (workdir / ".reconciler" / "ledger.jsonl").read_text().splitlines()
