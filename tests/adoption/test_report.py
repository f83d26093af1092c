"""`reconciler report expiring`: entries about to lapse, by file and owner."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Sandbox

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))


def _in(days: float) -> str:
    moment = dt.datetime.fromtimestamp(time.time() + days * 86400, IST)
    return moment.replace(microsecond=0).isoformat()


def _write(folder: Path) -> None:
    folder.mkdir()
    (folder / "dnc.yaml").write_text(
        "dnc:\n"
        f'  - {{number: "+919845000001", until: "{_in(3)}", owner: compliance,'
        " ticket: CR-1}\n"
        f'  - {{number: "+919845000002", until: "{_in(20)}", owner: compliance}}\n'
        '  - {number: "+919845000003", until: permanent, owner: compliance}\n'
        f'  - {{number: "+919845000004", until: "{_in(1)}"}}\n'
    )
    (folder / "sticky.yaml").write_text(
        "sticky_agents:\n"
        f'  - {{number: "+919845000005", agent: "1077", until: "{_in(5)}",'
        " owner: sales-leads}\n"
        f'  - {{number: "+919845000006", agent: "1078", scope: cli,'
        f' cli: "08045678901", until: "{_in(2)}", owner: sales-leads}}\n'
    )


def test_entries_lapsing_within_the_window_are_grouped_by_file_and_owner(
    run: Any, tmp_path: Path, sandbox: Sandbox
) -> None:
    _write(tmp_path / "d")

    result = run("report", "expiring", tmp_path / "d", "--within", "14d")

    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("4 entries lapse within 14d")
    dnc, sticky = str(tmp_path / "d" / "dnc.yaml"), str(tmp_path / "d" / "sticky.yaml")
    assert lines.index(dnc) < lines.index("  owner (no owner):")
    assert lines.index("  owner compliance:") < lines.index(sticky)
    assert "+919845000002" not in result.out
    assert "+919845000003" not in result.out
    assert "+919845000001  dnc  until" in result.out
    assert "CR-1" in result.out
    # Soonest first within a group.
    assert result.out.index("+919845000006") < result.out.index("+919845000005")
    assert sandbox.total() == 0


def test_window_accepts_hours_days_and_weeks(run: Any, tmp_path: Path) -> None:
    _write(tmp_path / "d")

    hours = run("report", "expiring", tmp_path / "d", "--within", "36h")
    weeks = run("report", "expiring", tmp_path / "d", "--within", "3w")

    assert hours.out.startswith("1 entry lapses within 36h")
    assert "+919845000004" in hours.out
    assert weeks.out.startswith("5 entries lapse within 3w")
    assert "+919845000002" in weeks.out


def test_unreadable_window_is_an_error(run: Any, tmp_path: Path) -> None:
    _write(tmp_path / "d")

    result = run("report", "expiring", tmp_path / "d", "--within", "14 days")

    assert result.code == 1
    assert "--within '14 days' is not a duration" in result.err


def test_json_groups_entries_by_file_and_owner(run: Any, tmp_path: Path) -> None:
    _write(tmp_path / "d")

    result = run(
        "report", "expiring", tmp_path / "d", "--within", "14d", "--format", "json"
    )

    data = json.loads(result.out)
    assert data["count"] == 4
    groups = [(Path(g["file"]).name, g["owner"]) for g in data["groups"]]
    assert groups == [
        ("dnc.yaml", None),
        ("dnc.yaml", "compliance"),
        ("sticky.yaml", "sales-leads"),
    ]
    rule = data["groups"][2]["entries"][0]
    assert rule["key"] == "cli|+918045678901|"
    assert rule["line"] == 3


def test_markdown_has_a_table_per_file_and_owner(run: Any, tmp_path: Path) -> None:
    _write(tmp_path / "d")

    result = run("report", "expiring", tmp_path / "d", "--format", "markdown")

    assert result.out.startswith("### Expiring entries\n")
    assert result.out.count("| number | entry | until | in | line | ticket |") == 3
    assert "· owner sales-leads" in result.out


@pytest.mark.parametrize(
    "window", ["99999999w", "1" + "0" * 5000 + "d"], ids=["weeks", "digits"]
)
def test_a_window_past_any_calendar_is_an_error(
    run: Any, tmp_path: Path, window: str
) -> None:
    _write(tmp_path / "d")

    result = run("report", "expiring", tmp_path / "d", "--within", window)

    assert result.code == 1
    assert result.err.startswith("Error: --within")
    assert "Traceback" not in result.err


def test_a_file_is_headed_once_above_all_its_owners(run: Any, tmp_path: Path) -> None:
    _write(tmp_path / "d")

    result = run("report", "expiring", tmp_path / "d", "--within", "3w")

    lines = result.out.splitlines()
    assert lines.count(str(tmp_path / "d" / "dnc.yaml")) == 1
    assert "  owner (no owner):" in lines and "  owner compliance:" in lines
