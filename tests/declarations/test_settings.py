"""Settings precedence: defaults < reconciler.yaml < environment < flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import endpoint, settings
from reconciler.errors import SettingsError


def project(tmp_path: Path, text: str) -> Path:
    (tmp_path / "reconciler.yaml").write_text(text)
    return tmp_path


def test_defaults_without_a_project_file(tmp_path: Path) -> None:
    loaded = settings.load(tmp_path, environ={})

    assert (loaded.region, loaded.timezone) == ("IN", "Asia/Kolkata")


def test_the_project_file_overrides_defaults(tmp_path: Path) -> None:
    root = project(tmp_path, "version: 1\nregion: GB\ntimezone: UTC\n")

    loaded = settings.load(root, environ={})

    assert (loaded.region, loaded.timezone) == ("GB", "UTC")


def test_the_environment_overrides_the_project_file(tmp_path: Path) -> None:
    root = project(tmp_path, "region: GB\ntimezone: UTC\n")
    environ = {"RECONCILER_REGION": "US", "RECONCILER_TIMEZONE": "Europe/Paris"}

    loaded = settings.load(root, environ=environ)

    assert (loaded.region, loaded.timezone) == ("US", "Europe/Paris")


def test_flags_override_the_environment(tmp_path: Path) -> None:
    loaded = settings.load(tmp_path, environ={"RECONCILER_REGION": "US"})

    flagged = settings.override(loaded, region="GB", timezone=None)

    assert (flagged.region, flagged.timezone) == ("GB", "Asia/Kolkata")


def test_a_bad_project_file_field_is_located(tmp_path: Path) -> None:
    root = project(tmp_path, "version: 1\nregion: india\n")

    with pytest.raises(SettingsError, match=r"reconciler.yaml:2:9: error: .*'india'"):
        settings.load(root, environ={})


def test_a_duplicate_key_in_the_project_file_is_located(tmp_path: Path) -> None:
    root = project(tmp_path, "region: IN\nregion: GB\n")

    with pytest.raises(SettingsError, match=r"reconciler.yaml:2:1: .*duplicate key"):
        settings.load(root, environ={})


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("RECONCILER_REGION", "XX", "unknown region 'XX'"),
        ("RECONCILER_TIMEZONE", "Mars/Base", "unknown time zone 'Mars/Base'"),
    ],
)
def test_a_bad_setting_from_the_environment_is_refused(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        settings.load(tmp_path, environ={variable: value})


def test_an_empty_endpoint_variable_is_refused_not_taken_for_unset(
    tmp_path: Path,
) -> None:
    # What `DEEPCALL_BASE_URL: ${{ vars.DEEPCALL_BASE_URL }}` gives when the
    # variable was never defined: an apply must not land in the sandbox.
    loaded = settings.load(tmp_path, environ={"DEEPCALL_BASE_URL": " "})

    with (
        pytest.raises(SettingsError, match="DEEPCALL_BASE_URL is set but empty"),
        endpoint.open_endpoint(loaded),
    ):
        pass


def test_a_base_url_flag_fills_an_empty_endpoint_variable(tmp_path: Path) -> None:
    loaded = settings.load(tmp_path, environ={"DEEPCALL_BASE_URL": ""})

    flagged = settings.override(loaded, base_url="https://api.example.com")

    assert not flagged.embedded


def test_an_empty_endpoint_variable_leaves_the_project_files_endpoint(
    tmp_path: Path,
) -> None:
    root = project(tmp_path, "endpoint:\n  base_url: https://api.example.com\n")

    loaded = settings.load(root, environ={"DEEPCALL_BASE_URL": ""})

    assert loaded.base_url == "https://api.example.com"
    assert not loaded.embedded


def test_a_real_endpoint_without_credentials_is_refused_before_any_call(
    tmp_path: Path,
) -> None:
    loaded = settings.load(
        tmp_path, environ={"DEEPCALL_BASE_URL": "https://user:pw@api.example.com"}
    )

    with (
        pytest.raises(SettingsError, match="DEEPCALL_USER_ID") as caught,
        endpoint.open_endpoint(loaded),
    ):
        pass
    assert "api.example.com" in str(caught.value)
    assert "pw" not in str(caught.value)


@pytest.mark.parametrize(
    ("base_url", "warned"),
    [
        ("http://api.example.com", True),
        ("http://10.1.2.3:8080", True),
        ("https://api.example.com", False),
        ("http://127.0.0.1:8080", False),
        ("http://[::1]:8080", False),
        ("http://localhost:8080", False),
        ("http://localhost.:8080", False),
        ("http://[::ffff:127.0.0.1]:8080", False),
    ],
)
def test_credentials_in_clear_off_this_machine_are_warned_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], base_url: str, warned: bool
) -> None:
    environ = {"DEEPCALL_BASE_URL": base_url, "DEEPCALL_SSID": "s3cret-ssid"}
    loaded = settings.load(tmp_path, environ=environ)

    with endpoint.open_endpoint(loaded) as opened:
        assert opened.base_url == base_url  # allowed, and nothing is sent here

    err = capsys.readouterr().err
    assert ("over plain HTTP, unencrypted" in err) is warned
    assert "s3cret-ssid" not in err
