"""A damaged state, journal or ledger gives an error or is mended, never a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler import ledger
from reconciler.errors import StateError
from reconciler.state import State


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"version": 1, "numbers": []}',
        '{"version": 1, "serial": "x"}',
        '{"version": 1, "numbers": {"+919876543210": 5}}',
        '{"version": 1, "numbers": {"+919876543210": {"sticky_agents": 5}}}',
        '{"version": 1, "numbers": {"+919876543210": {"blacklist": [5]}}}',
        '{"version": 1, "numbers": {"+919876543210": {"dns": -1}}}',
    ],
    ids=[
        "a list",
        "numbers a list",
        "serial a string",
        "kinds not an object",
        "sticky rules a number",
        "a DID a number",
        "an unknown kind",
    ],
)
def test_a_state_that_is_not_one_is_an_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(text)

    with pytest.raises(StateError, match="not a reconciler state"):
        State.read(path)


def test_plan_on_a_damaged_state_exits_1_with_the_file_named(
    run: Any, workdir: Path
) -> None:
    state = workdir / ".reconciler" / "state.json"
    state.parent.mkdir()
    state.write_text("[]")

    result = run("plan", workdir)

    assert result.code == 1
    assert f"{state}: not a reconciler state" in result.err


def test_a_torn_journal_line_loses_nothing_written_after_it(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = State(path)
    state.record("+911", "dnc", "", -1)
    state.close_journal()
    with state.journal_path.open("a") as fh:
        fh.write('{"op":"set","numb')  # a process killed mid-line
    again = State.read(path)
    again.record("+912", "dnc", "", -1)
    again.record("+913", "dnc", "", -1)
    again.close_journal()

    replayed = State.read(path)

    assert sorted(replayed.numbers) == ["+911", "+912", "+913"]


def test_a_journal_record_missing_fields_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    (tmp_path / "state.json.journal").write_text(
        '{"op":"set"}\n{"op":"set","number":"+911","kind":"dnc","key":"","value":-1}\n'
    )

    assert State.read(path).numbers == {"+911": {"dnc": -1}}


def test_a_ledger_append_after_a_torn_line_starts_a_line_of_its_own(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.jsonl"
    ledger.Ledger(path).append({"number": "+911", "result": "applied"})
    with path.open("a") as fh:
        fh.write('{"number":"+912","res')
    ledger.Ledger(path).append({"number": "+913", "result": "applied"})

    lines = path.read_text().splitlines()

    assert json.loads(lines[-1])["number"] == "+913"
    assert ledger.verify(path) == ["line 2: not a JSON record (cut short or edited)"]


def test_ledger_verify_skips_blank_lines_and_reads_bad_bytes(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    ledger.Ledger(path).append({"number": "+911", "result": "applied"})
    with path.open("ab") as fh:
        fh.write(b"\n")
    assert ledger.verify(path) == []

    with path.open("ab") as fh:
        fh.write(b"\xff\xfe\n")
    assert ledger.verify(path) == ["line 3: not a JSON record (cut short or edited)"]


def test_ledger_verify_of_a_folder_is_an_error(run: Any, tmp_path: Path) -> None:
    result = run("ledger", "verify", "--ledger", tmp_path)

    assert result.code == 1
    assert "a folder, not a ledger file" in result.err


def test_ledger_verify_of_a_named_file_that_is_missing_is_an_error(
    run: Any, tmp_path: Path
) -> None:
    result = run("ledger", "verify", "--ledger", tmp_path / "nowhere.jsonl")

    assert result.code == 1
    assert "no such ledger file" in result.err


def test_ledger_verify_of_a_declaration_file_checks_its_project(
    run: Any, workdir: Path
) -> None:
    run("apply", workdir, "--auto-approve", "--allow-dnc-removal")

    result = run("ledger", "verify", workdir / "dnc.yaml")

    assert result.code == 0
    assert "records is intact" in result.out


@pytest.mark.parametrize(
    ("blocked", "message"),
    [
        ("state.json.journal", "cannot write the state"),
        ("ledger.jsonl", "cannot write the audit ledger"),
    ],
)
def test_apply_that_could_not_record_its_outcomes_makes_no_write(
    run: Any, sandbox: Any, workdir: Path, blocked: str, message: str
) -> None:
    # A link to a folder that does not exist: the file cannot be made, even
    # by root, to whom a read-only folder is no obstacle.
    (workdir / ".reconciler").mkdir()
    (workdir / ".reconciler" / blocked).symlink_to(workdir / "missing" / blocked)

    result = run("apply", workdir, "--auto-approve", "--allow-dnc-removal")

    assert result.code == 1
    assert f"{workdir / '.reconciler' / blocked}: {message}" in result.err
    assert "Traceback" not in result.err
    assert sandbox.writes() == 0
