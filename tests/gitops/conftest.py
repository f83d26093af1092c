"""Helpers of the GitOps tests: saved plans, live edits, ledgers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from reconciler import planfile
from tests.conftest import ROOT, Sandbox

Call = Callable[..., Any]


@pytest.fixture
def live(sandbox: Sandbox) -> Call:
    """Call a sandbox action directly, as someone using the panel would."""

    def call(action: str, **params: Any) -> Any:
        response = httpx.post(
            f"{sandbox.base_url}/api/v2/Directory/{action}",
            json={"userId": "sandbox", "token": "sandbox-token", **params},
        )
        envelope = response.json()
        assert envelope["status"] == "success", envelope
        return envelope.get("data")

    return call


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
