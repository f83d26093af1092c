"""reconciler.yaml problems: located, explained, reported like declarations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler import settings
from reconciler.errors import ProjectFileError
from tests.declarations.conftest import FIXTURES


def problems_of(tmp_path: Path, text: str) -> list[tuple[int, int, str]]:
    (tmp_path / "reconciler.yaml").write_text(text)
    with pytest.raises(ProjectFileError) as caught:
        settings.load(tmp_path, environ={})
    return [
        (p.location.line, p.location.column, str(p).split(": error: ", 1)[1])
        for p in caught.value.problems
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\nregoin: IN\n",
            (2, 1, "unknown setting 'regoin' (did you mean 'region'?)"),
        ),
        (
            "endpoint:\n  base_ur: https://x.test\n",
            (2, 3, "unknown setting 'endpoint.base_ur' (did you mean 'base_url'?)"),
        ),
        (
            "region: XX\n",
            (
                1,
                9,
                "unknown region 'XX' (use an ISO 3166-1 alpha-2 code such as "
                "'IN', 'US' or 'GB')",
            ),
        ),
        (
            "timezone: Mars/X\n",
            (
                1,
                11,
                "unknown time zone 'Mars/X' (use an IANA name such as "
                "'Asia/Kolkata' or 'UTC')",
            ),
        ),
        (
            "timezone: asia/kolkata\n",
            (1, 11, "unknown time zone 'asia/kolkata' (did you mean 'Asia/Kolkata'?)"),
        ),
        (
            "# settings\n- region: IN\n",
            (
                2,
                1,
                "the project file must be a mapping of settings, not a list "
                "(write one `name: value` line per setting, such as `region: IN`)",
            ),
        ),
        (
            "# settings\nIN\n",
            (
                2,
                1,
                "the project file must be a mapping of settings, not str 'IN' "
                "(write one `name: value` line per setting, such as `region: IN`)",
            ),
        ),
        (
            "parallelism: 0\n",
            (
                1,
                14,
                "parallelism must be at least 1, not 0 (for example `parallelism: 16`)",
            ),
        ),
        (
            "state: .reconciler/state.json\n",
            (
                1,
                8,
                "state must be a mapping, not str '.reconciler/state.json' "
                "(its settings are: path)",
            ),
        ),
        (
            "version: 2\n",
            (1, 10, "version must be 1, not 2 (write `version: 1`)"),
        ),
    ],
)
def test_a_project_file_problem_is_located_and_explained(
    tmp_path: Path, text: str, expected: tuple[int, int, str]
) -> None:
    assert problems_of(tmp_path, text) == [expected]


def test_every_project_file_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = "region: india\nregoin: IN\nthresholds:\n  dcn: {}\n"

    found = problems_of(tmp_path, text)

    assert [(line, column) for line, column, _ in found] == [(1, 9), (2, 1), (4, 3)]
    assert found[0][2].startswith("unknown region 'india'")  # not twice


def test_validate_json_lists_project_file_problems(run: Any, tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "every-kind.yaml", tmp_path / "dnc.yaml")
    (tmp_path / "reconciler.yaml").write_text("regoin: IN\n")

    result = run("validate", "--format", "json", tmp_path)

    assert result.code == 1
    assert json.loads(result.out)["problems"] == [
        {
            "file": str(tmp_path / "reconciler.yaml"),
            "line": 1,
            "column": 1,
            "severity": "error",
            "message": "unknown setting 'regoin'",
            "hint": "did you mean 'region'?",
        }
    ]


@pytest.mark.parametrize("command", ["validate", "plan", "drift"])
def test_project_file_problems_are_annotated_for_github(
    run: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: str
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    (tmp_path / "reconciler.yaml").write_text("region: XX\n")

    result = run(command, tmp_path)

    path = tmp_path / "reconciler.yaml"
    assert result.code == 1
    assert f"::error file={path},line=1,col=9::unknown region 'XX'" in result.err
    assert f"{path}:1:9: error: unknown region 'XX'" in result.err


def test_invalid_yaml_in_the_project_file_is_a_located_problem(
    run: Any, tmp_path: Path
) -> None:
    (tmp_path / "reconciler.yaml").write_text("region: IN\n  timezone: UTC\n")

    result = run("validate", "--format", "json", tmp_path)

    [problem] = json.loads(result.out)["problems"]
    assert result.code == 1
    assert (problem["line"], problem["message"][:13]) == (2, "invalid YAML:")
