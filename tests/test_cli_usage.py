"""Usage errors exit 1 (invalid input), never 2, which means "changes present"."""

from __future__ import annotations

import pytest

from reconciler.cli import main


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
        (("plan", "--parallelism", "many"), "invalid"),
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
