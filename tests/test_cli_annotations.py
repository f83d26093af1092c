"""GitHub annotations: on stderr, escaped as GitHub's workflow commands need."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler.commands.common import annotation
from reconciler.errors import Location, Problem
from tests.declarations.conftest import FIXTURES


def test_the_message_escapes_percent_and_line_breaks() -> None:
    problem = Problem(Location("a.yaml", 3, 5), "100% sure\r\nreally", "fix it")

    text = annotation(problem)

    assert text == "::error file=a.yaml,line=3,col=5::100%25 sure%0D%0Areally (fix it)"


def test_the_file_property_also_escapes_colons_and_commas() -> None:
    problem = Problem(Location("C:/x,y%.yaml", 1, 1), "bad", severity="warning")

    text = annotation(problem)

    assert text == "::warning file=C%3A/x%2Cy%25.yaml,line=1,col=1::bad"


def test_a_problem_without_a_line_is_annotated_on_the_file() -> None:
    assert annotation(Problem(Location("dir"), "no YAML files found")) == (
        "::error file=dir::no YAML files found"
    )


def test_drift_keeps_annotations_out_of_its_report_on_stdout(
    run: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    declared = tmp_path / "expired-entry.yaml"
    shutil.copy(FIXTURES / "expired-entry.yaml", declared)

    result = run("drift", "--format", "json", declared)

    assert f"::warning file={declared},line=" in result.err
    assert json.loads(result.out)  # the report alone, still valid JSON
