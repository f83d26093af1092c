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
