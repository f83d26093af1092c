"""`reconciler validate`: exit codes, formats, annotations, and no API call."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES
from tests.declarations.conftest import FIXTURES


def test_valid_examples_pass_without_a_single_request(run: Any, sandbox: Any) -> None:
    result = run("validate", EXAMPLES / "directory")

    assert result.code == 0
    assert "14 entries in 3 files are valid." in result.err
    assert sandbox.total() == 0


def test_errors_exit_1_sorted_with_places_and_no_request(
    run: Any, sandbox: Any
) -> None:
    result = run(
        "validate",
        FIXTURES / "unknown-field.yaml",
        FIXTURES / "invalid-number.yaml",
        FIXTURES / "duplicate-across-files",
    )

    lines = result.err.splitlines()
    assert result.code == 1
    assert len(lines) == 3
    assert lines == sorted(lines)
    assert lines[0].startswith(
        f"{FIXTURES}/duplicate-across-files/second.yaml:3:5: error:"
    )
    assert sandbox.total() == 0


def test_json_format_lists_each_problem(run: Any) -> None:
    result = run("validate", "--format", "json", FIXTURES / "unknown-field.yaml")

    assert result.code == 1
    assert json.loads(result.out)["problems"] == [
        {
            "file": str(FIXTURES / "unknown-field.yaml"),
            "line": 4,
            "column": 5,
            "severity": "error",
            "message": "dnc[0]: unknown field 'untill'",
            "hint": "did you mean 'until'?",
        }
    ]


def test_github_actions_gets_annotations(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    result = run("validate", FIXTURES / "unquoted-octal-number.yaml")

    path = FIXTURES / "unquoted-octal-number.yaml"
    annotation = f"::error file={path},line=3,col=13::number 0123"
    assert result.code == 1
    assert result.out == ""  # stdout may be redirected into a file
    assert any(line.startswith(annotation) for line in result.err.splitlines())


def test_warnings_alone_exit_0(run: Any) -> None:
    result = run("validate", FIXTURES / "expired-entry.yaml")

    assert result.code == 0
    assert "warning: dnc entry for +919876543210 expired already" in result.err


@pytest.mark.parametrize(("flags", "code"), [((), 1), (("--region", "DE"), 0)])
def test_region_flag_overrides_the_environment(
    run: Any, monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...], code: int
) -> None:
    monkeypatch.setenv("RECONCILER_REGION", "IN")
    fixture = FIXTURES / "national-number-of-another-region.yaml"

    result = run("validate", *flags, fixture)

    assert result.code == code


def test_a_folder_that_cannot_be_listed_is_an_error_not_skipped(
    run: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Run as root, a chmod 000 folder is readable still: refuse it by hand.
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "team.yaml").write_text("version: 1\n")
    (tmp_path / "open.yaml").write_text(
        'version: 1\ndnc:\n  - number: "+91 98765 43210"\n'
    )
    listing = os.scandir

    def scandir(path: Any) -> Any:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return listing(path)

    monkeypatch.setattr(os, "scandir", scandir)

    result = run("validate", tmp_path)

    assert result.code == 1
    assert result.err.startswith(
        f"{tmp_path / 'locked'}: error: cannot read the folder: Permission denied"
    )


def test_a_file_named_twice_is_read_once(run: Any) -> None:
    directory = EXAMPLES / "directory"

    result = run("validate", directory, directory / "dnc.yaml", directory / "dnc.yaml")

    assert result.code == 0, result.err
    assert "14 entries in 3 files are valid." in result.err
