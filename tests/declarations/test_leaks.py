"""A declaration file that holds the configured credential is refused, and
no message about it shows the credential."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import declarations, settings
from reconciler.cli import main
from reconciler.errors import DeclarationError, Problem
from tests.declarations.conftest import NOW

TOKEN = "Sekr1tT0ken99"
CONFIG = settings.Settings(credentials=settings.Credentials("u", TOKEN))
WHERE = "the configured DeepCall credential stands here"


def _problems(
    tmp_path: Path, text: str, config: settings.Settings = CONFIG
) -> list[Problem]:
    path = tmp_path / "a.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DeclarationError) as caught:
        declarations.load([path], config, NOW)
    return caught.value.problems


def _places(problems: list[Problem]) -> list[tuple[int, int]]:
    return [
        (p.location.line, p.location.column) for p in problems if WHERE in p.message
    ]


def test_every_place_is_refused_and_no_message_shows_the_credential(
    tmp_path: Path,
) -> None:
    found = _problems(
        tmp_path,
        "version: 1\n"
        "dnc:\n"
        f'  - number: "{TOKEN}"\n'
        f"    until: {TOKEN}\n"
        f"    {TOKEN}: x\n"
        f"# {TOKEN} again\n",
    )

    # Refused for that alone: the number, the until and the unknown field
    # would quote it, or part of it.
    assert _places(found) == [(3, 14), (4, 12), (5, 5), (6, 3)]
    assert len(found) == 4


def test_a_file_yaml_cannot_read_is_refused_for_the_credential_it_holds(
    tmp_path: Path,
) -> None:
    found = _problems(tmp_path, f'version: 1\ndnc:\n  - reason: "{TOKEN}\n')

    assert _places(found) == [(3, 14)]
    assert len(found) == 1


def test_a_credential_written_with_an_escape_is_found_at_its_value(
    tmp_path: Path,
) -> None:
    escaped = TOKEN.replace("T", "\\x54")
    found = _problems(
        tmp_path,
        f'version: 1\ndnc:\n  - number: "+91 98765 43210"\n    reason: "{escaped}"\n',
    )

    assert _places(found) == [(4, 13)]


def test_a_short_credential_is_not_looked_for(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text('version: 1\ndnc:\n  - number: "+91 98765 43210"\n')
    short = settings.Settings(credentials=settings.Credentials("u", "9876"))

    assert declarations.load([path], short, NOW).valid == 1


def test_no_word_about_the_declarations_shows_the_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A rule that holds it, written with an escape in two files (a duplicate
    # names the rule), and a project file that holds it too.
    rule = (
        "version: 1\nsticky_agents:\n"
        '  - number: "+919876500002"\n    agent: "1077"\n    scope: cli_group\n'
        '    cli: "08045678901"\n    group: "\\x53ekr1tT0ken99"\n'
    )
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(rule)
    (tmp_path / "reconciler.yaml").write_text(f"version: 1\nregion: {TOKEN}\n")
    monkeypatch.setenv("DEEPCALL_USER_ID", "u")
    monkeypatch.setenv("DEEPCALL_TOKEN", TOKEN)
    (tmp_path / "c").mkdir()
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / "c" / name).write_text(rule)

    for args in (["validate", str(tmp_path)], ["validate", str(tmp_path / "c")]):
        for fmt in ("text", "json"):
            assert main([*args, "--format", fmt]) == 1
            said = capsys.readouterr()
            assert TOKEN not in said.out + said.err
