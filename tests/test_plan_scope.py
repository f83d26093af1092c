"""The scope of a plan: every number declared now or managed before, sorted."""

from __future__ import annotations

from pathlib import Path

from reconciler import planner
from reconciler.declarations import DNC, Declarations, Entry
from reconciler.errors import Location
from reconciler.state import State

HERE = Location("t.yaml", 1, 1)


def _declared(*numbers: str) -> Declarations:
    return Declarations(entries=[Entry(DNC, n, True, -1, HERE) for n in numbers])


def test_scope_is_sorted_whatever_order_the_state_holds_its_numbers_in(
    tmp_path: Path,
) -> None:
    # A journal replayed after the snapshot adds numbers at the end.
    state = State(tmp_path / "state.json")
    state.numbers = {n: {DNC: -1} for n in ("+919800000003", "+919800000001")}
    declared = _declared("+919800000004", "+919800000001", "+919800000002")

    assert planner.scope(declared, state) == [
        "+919800000001",
        "+919800000002",
        "+919800000003",
        "+919800000004",
    ]


def test_a_number_declared_twice_is_read_once(tmp_path: Path) -> None:
    state = State(tmp_path / "state.json")
    declared = _declared("+919800000002", "+919800000001", "+919800000002")

    assert planner.scope(declared, state) == ["+919800000001", "+919800000002"]
