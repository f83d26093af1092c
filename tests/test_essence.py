"""The essence comparison: equal things compare equal, whatever their form."""

from __future__ import annotations

import datetime as dt

from reconciler import expiry
from reconciler.declarations import (
    ACCOUNT_MANAGER,
    BLACKLIST,
    CONTACT,
    DNC,
    STICKY,
    Entry,
    StickyKey,
    StickyValue,
)
from reconciler.errors import Location
from reconciler.essence import Essence, from_api
from reconciler.plan import CREATE, DELETE, UPDATE
from reconciler.planner import Planner, holds

NOW = 1_800_000_000
HERE = Location("t.yaml", 1, 1)
TZ = dt.timezone(dt.timedelta(hours=5, minutes=30))


def _live(**data: object) -> Essence:
    return from_api({"contact": "919876543210", **data}, NOW, "IN")


def test_lapsed_live_dnc_counts_as_none() -> None:
    assert _live(dnc=NOW - 1).dnc is None
    assert _live(dnc=0).dnc is None
    assert _live(dnc=-1).dnc == expiry.PERMANENT
    assert _live(dnc=NOW + 60).dnc == NOW + 60


def test_live_numbers_are_folded_to_e164() -> None:
    live = _live(
        sticky=[
            {
                "type": "cli",
                "agentId": "7",
                "cli": "918045678901",
                "groupid": None,
                "expiry": -1,
            }
        ],
        blacklist=["08045678902"],
    )
    assert StickyKey("cli", "+918045678901") in live.sticky
    assert live.blacklist == frozenset({"+918045678902"})


def test_lapsed_sticky_rule_is_absent() -> None:
    live = _live(sticky=[{"type": "all", "agentId": "7", "expiry": NOW}])
    assert live.sticky == {}


def test_empty_contact_fields_are_absent() -> None:
    live = _live(contactinfo={"name": "Asha", "email": "", "company": None})
    assert live.contact == {"name": "Asha"}


def test_absent_manager_forms_are_equal() -> None:
    assert _live(AcManId=None).manager is None
    assert _live(AcManId="").manager is None
    assert _live().manager is None


def _entry(
    kind: str, value: object, key: StickyKey | None = None, present: bool = True
) -> Entry:
    return Entry(kind, "+919876543210", present, value, HERE, key)


def test_equal_dnc_plans_nothing() -> None:
    planned = Planner().plan_number(
        "+919876543210", [_entry(DNC, -1)], {}, _live(dnc=-1)
    )
    assert planned.changes == []


def test_dnc_expiry_change_is_an_update() -> None:
    planned = Planner().plan_number(
        "+919876543210", [_entry(DNC, -1)], {}, _live(dnc=NOW + 99)
    )
    [change] = planned.changes
    assert (change.action, change.before, change.after) == (UPDATE, NOW + 99, -1)
    assert change.calls[0].params == {"contact": "919876543210", "dnc": -1}


def test_undeclared_dnc_is_never_lifted() -> None:
    planned = Planner().plan_number("+919876543210", [], {DNC: -1}, _live(dnc=-1))
    assert planned.changes == []
    assert "stays in place" in planned.notes[0].message


def test_declared_absent_dnc_is_a_delete() -> None:
    planned = Planner().plan_number(
        "+919876543210", [_entry(DNC, None, present=False)], {}, _live(dnc=-1)
    )
    [change] = planned.changes
    assert change.action == DELETE
    assert change.calls[0].params["dnc"] == 0


def test_same_sticky_identity_other_agent_is_an_update() -> None:
    key = StickyKey("cli_group", "+918045678901", "12")
    live = _live(
        sticky=[
            {
                "type": "cli_group",
                "agentId": "1078",
                "cli": "918045678901",
                "groupid": "12",
                "expiry": -1,
            }
        ]
    )
    planned = Planner().plan_number(
        "+919876543210", [_entry(STICKY, StickyValue("1077", -1), key)], {}, live
    )
    [change] = planned.changes
    assert change.action == UPDATE
    assert change.calls[0].params == {
        "contact": "919876543210",
        "agentId": "1077",
        "type": "cli_group",
        "expiry": -1,
        "cli": "918045678901",
        "groupid": "12",
    }
    assert holds(
        change,
        _live(
            sticky=[
                {
                    "type": "cli_group",
                    "agentId": "1077",
                    "cli": "+91 80 4567 8901",
                    "groupid": "12",
                    "expiry": -1,
                }
            ]
        ),
    )


def test_unmanaged_kind_is_left_alone() -> None:
    live = _live(AcManId="AM-1", sticky=[{"type": "all", "agentId": "7", "expiry": -1}])
    planned = Planner().plan_number("+919876543210", [_entry(DNC, -1)], {}, live)
    assert [c.kind for c in planned.changes] == [DNC]
    assert planned.changes[0].action == CREATE


def _live_with_every_kind() -> Essence:
    return _live(
        dnc=-1,
        sticky=[{"type": "all", "agentId": "7", "expiry": -1}],
        AcManId="AM-1",
        contactinfo={"name": "Asha"},
        blacklist=["08045678902"],
    )


def test_number_neither_declared_nor_managed_plans_nothing() -> None:
    planned = Planner().plan_number("+919876543210", [], {}, _live_with_every_kind())
    assert planned.changes == [] and planned.notes == []


def test_every_managed_kind_no_longer_declared_is_planned_for() -> None:
    applied = {
        DNC: -1,
        STICKY: {"all||": {"agent": "7", "until": -1}},
        ACCOUNT_MANAGER: "AM-1",
        CONTACT: {"name": "Asha"},
        BLACKLIST: ["+918045678902"],
    }
    planned = Planner().plan_number(
        "+919876543210", [], applied, _live_with_every_kind()
    )
    # All but the DNC, which stays in place with a note.
    assert {(c.kind, c.action) for c in planned.changes} == {
        (STICKY, DELETE),
        (ACCOUNT_MANAGER, DELETE),
        (CONTACT, DELETE),
        (BLACKLIST, DELETE),
    }
    assert [n.kind for n in planned.notes] == [DNC]


def test_managed_manager_no_longer_declared_is_removed() -> None:
    planned = Planner().plan_number(
        "+919876543210", [], {ACCOUNT_MANAGER: "AM-1"}, _live(AcManId="AM-1")
    )
    [change] = planned.changes
    assert (change.action, change.calls[0].action) == (DELETE, "unsetAm")


def test_expiry_parsing_uses_the_end_of_day_in_the_zone() -> None:
    assert expiry.parse("2027-01-31", TZ) == int(
        dt.datetime(2027, 1, 31, 23, 59, 59, tzinfo=TZ).timestamp()
    )
    assert expiry.parse("never", TZ) == expiry.PERMANENT
    assert expiry.parse("2027-01-31T10:00:00Z", TZ) == int(
        dt.datetime(2027, 1, 31, 10, tzinfo=dt.UTC).timestamp()
    )
