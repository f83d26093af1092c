"""Usage errors exit 1 (invalid input), never 2, which means "changes present"."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reconciler.cli import COMMANDS, main
from reconciler.commands import common
from tests.conftest import EXAMPLES


def exit_code(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as caught:
        main(list(argv))
    return int(caught.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (("plan", "--detailed-exitcode", "--bogus"), "unrecognized arguments"),
        (("drift", "--format", "xml"), "invalid choice: 'xml'"),
        (("nonsense",), "invalid choice: 'nonsense'"),
        (("report", "expiring", "--format", "xml"), "invalid choice: 'xml'"),
        (("ledger", "verify", "--bogus"), "unrecognized arguments"),
        (("plan", "--parallelism", "many"), "--parallelism: 'many' is not"),
    ],
)
def test_a_usage_error_exits_1_with_the_usage_message(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], complaint: str
) -> None:
    code, err = exit_code(capsys, *argv)

    assert code == 1
    assert err.startswith("usage: reconciler")
    assert complaint in err


def test_help_still_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = exit_code(capsys, "plan", "--help")

    assert code == 0


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (("plan", "--lock-timeout", "-5"), "--lock-timeout: -5 must be 0 or more"),
        (("drift", "--timeout", "-1"), "--timeout: -1 must be greater than 0"),
        (("apply", "--timeout", "0"), "--timeout: 0 must be greater than 0"),
        (("apply", "--rate", "nan"), "--rate: 'nan' is not a finite number"),
        (("import", "--parallelism", "0"), "--parallelism: 0 must be at least 1"),
    ],
)
def test_a_negative_or_empty_bound_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], complaint: str
) -> None:
    code, err = exit_code(capsys, *argv)

    assert code == 1
    assert complaint in err


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out

    for command in COMMANDS:
        assert f"    {command} " in listed


def test_validate_imports_nothing_it_does_not_use() -> None:
    # A pre-commit hook runs validate on every commit: it must not pay for the
    # HTTP client, the planner or asyncio. A fresh interpreter tells.
    probe = (
        "import sys; from reconciler import cli; "
        f"code = cli.main(['validate', {str(EXAMPLES / 'directory')!r}]); "
        "print(sorted(m for m in ('asyncio', 'httpx', 'rich', 'reconciler.planner',"
        " 'reconciler.client', 'reconciler.workflow') if m in sys.modules))"
    )

    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )

    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "argv",
    [
        ["-v", "validate", str(EXAMPLES / "directory")],
        ["validate", "-v", str(EXAMPLES / "directory")],
        ["validate", str(EXAMPLES / "directory"), "-vv"],
    ],
)
def test_verbose_may_stand_before_or_after_the_command(argv: list[str]) -> None:
    assert main(argv) == 0


class _ClosedTerminal:
    """A terminal whose input ends at once, as after Ctrl-D."""

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return ""


def test_the_end_of_input_at_the_prompt_is_no(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", _ClosedTerminal())

    assert common.confirm() is False
    assert "Only 'yes' is accepted" in capsys.readouterr().out
