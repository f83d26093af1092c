"""Settings flags: every command that reads declarations takes them, on top."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler import settings
from reconciler.cli import build_parser, main
from reconciler.commands import common
from tests.declarations.conftest import FIXTURES

GERMAN = FIXTURES / "national-number-of-another-region.yaml"  # "030 1234567"

COMMANDS = [
    ("validate",),
    ("plan",),
    ("apply",),
    ("drift",),
    ("import", "+919876543210"),
    ("report", "expiring"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_every_command_that_reads_declarations_takes_region_and_timezone(
    command: tuple[str, ...],
) -> None:
    args = build_parser().parse_args([*command, "--region", "de", "--timezone", "UTC"])

    assert (args.region, args.timezone) == ("DE", "UTC")


def german_project(tmp_path: Path) -> Path:
    shutil.copy(GERMAN, tmp_path / "dnc.yaml")
    return tmp_path


@pytest.mark.parametrize(("flags", "code"), [((), 1), (("--region", "de"), 0)])
def test_plan_takes_the_region_flag_over_the_environment(
    run: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    flags: tuple[str, ...],
    code: int,
) -> None:
    monkeypatch.setenv("RECONCILER_REGION", "IN")

    result = run("plan", german_project(tmp_path), "--no-refresh", *flags)

    assert result.code == code, result.err


@pytest.mark.parametrize(("flags", "code"), [((), 1), (("--region", "DE"), 0)])
def test_report_expiring_takes_the_region_flag(
    run: Any, tmp_path: Path, flags: tuple[str, ...], code: int
) -> None:
    result = run("report", "expiring", german_project(tmp_path), *flags)

    assert result.code == code, result.err


@pytest.mark.parametrize(("flags", "code"), [((), 1), (("--region", "DE"), 0)])
def test_import_reads_its_numbers_in_the_flagged_region(
    run: Any, tmp_path: Path, flags: tuple[str, ...], code: int
) -> None:
    result = run("import", "030 1234567", "--out", tmp_path, *flags)

    assert result.code == code, result.err


def test_the_base_url_flag_overrides_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DEEPCALL_BASE_URL", "https://from-the-environment.test")
    args = build_parser().parse_args(
        ["drift", str(tmp_path), "--base-url", "https://from-the-flag.test"]
    )

    config = common.settings_for(args, [tmp_path])

    assert config.base_url == "https://from-the-flag.test"


def test_a_bad_base_url_flag_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(["plan", "--base-url", "v4-api.deepcall.com"])

    assert caught.value.code == 1
    assert "is not an http(s) URL" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flag", "value", "complaint"),
    [
        ("--region", "XX", "unknown region 'XX'"),
        ("--timezone", "Asia/Kolkatta", "did you mean 'Asia/Kolkata'?"),
    ],
)
def test_an_unknown_region_or_time_zone_flag_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], flag: str, value: str, complaint: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(["validate", flag, value])

    assert caught.value.code == 1
    assert complaint in capsys.readouterr().err


def test_a_lower_case_region_in_the_project_file_is_upper_cased(
    tmp_path: Path,
) -> None:
    (tmp_path / "reconciler.yaml").write_text("version: 1\nregion: gb\n")

    assert settings.load(tmp_path, environ={}).region == "GB"


def test_a_lower_case_region_in_the_environment_is_upper_cased(
    tmp_path: Path,
) -> None:
    loaded = settings.load(tmp_path, environ={"RECONCILER_REGION": "us"})

    assert loaded.region == "US"


def test_a_base_url_from_the_environment_that_is_not_http_is_refused(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DEEPCALL_BASE_URL", "ftp://deepcall.example")
    (tmp_path / "dnc.yaml").write_text(
        'version: 1\ndnc:\n  - number: "+919876543210"\n'
    )

    code = main(["plan", str(tmp_path)])

    assert code == 1
    assert "DEEPCALL_BASE_URL: 'ftp://deepcall.example' is not an http(s) URL" in (
        capsys.readouterr().err
    )
