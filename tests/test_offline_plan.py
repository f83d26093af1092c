"""An offline plan passes over a number whose state holds what is declared.

The shortcut is only sound if planning such a number against the state's
own values finds nothing; these check that, kind by kind and both ways.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler import planner, settings
from reconciler.declarations import Declarations
from reconciler.plan import Plan
from reconciler.state import State
from tests.declarations.conftest import FIXTURES as DECLARATION_FIXTURES
from tests.declarations.conftest import load

FIXTURES = ["every-kind.yaml", "ensure-absent-every-kind.yaml"]


@pytest.mark.parametrize("fixture", FIXTURES)
def test_what_the_state_holds_as_declared_plans_to_nothing(fixture: str) -> None:
    declared = load(fixture)
    assert {entry.kind for entry in declared.entries} == set(settings.KINDS)

    for number, entries in declared.by_number().items():
        applied = planner.declared_kinds(entries)
        part = planner.Planner().plan_number(
            number, entries, applied, planner.from_state(applied)
        )

        assert part.changes == [] and part.notes == [], number


def test_the_offline_shortcut_gives_the_plan_the_full_comparison_gives(
    tmp_path: Path,
) -> None:
    declared = load(FIXTURES[0])
    state = State(tmp_path / "state.json")
    for number, entries in declared.by_number().items():
        state.numbers[number] = planner.declared_kinds(entries)
    # One number applied differently, one no longer declared.
    first, *_ = sorted(state.numbers)
    state.numbers[first] = {**state.numbers[first], "account_managers": "AM-OLD"}
    state.numbers["+919811100009"] = {"blacklist": ["+918045678901"]}

    offline = _offline(declared, state)
    full = _full(declared, state)

    assert offline.changes == full.changes and offline.notes == full.notes
    assert {c.number for c in offline.changes} == {first, "+919811100009"}


def _offline(declared: Declarations, state: State) -> Plan:
    scope = planner.scope(declared, state)
    live = {n: planner.from_state(state.kinds(n)) for n in scope}
    return planner.build(declared, state, live, 0, refreshed=False)


def _full(declared: Declarations, state: State) -> Plan:
    scope = planner.scope(declared, state)
    live = {n: planner.from_state(state.kinds(n)) for n in scope}
    return planner.build(declared, state, live, 0, refreshed=True)


def test_an_expired_entry_is_shown_once_as_a_warning(run: Any, tmp_path: Path) -> None:
    declared = tmp_path / "expired-entry.yaml"
    shutil.copy(DECLARATION_FIXTURES / "expired-entry.yaml", declared)

    result = run("plan", declared, "--no-refresh")

    assert f"Warning: {declared}:3:5: dnc entry for" in result.out
    assert "warning:" not in result.out
