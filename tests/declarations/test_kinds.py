"""The five sections load into the values the planner compares."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from reconciler import declarations, expiry
from reconciler.declarations import Meta, StickyKey, StickyValue
from tests.declarations.conftest import load


def by_kind(loaded: declarations.Declarations) -> dict[str, declarations.Entry]:
    return {entry.kind: entry for entry in loaded.entries}


def test_every_kind_loads_normalised_values() -> None:
    entries = by_kind(load("every-kind.yaml"))

    end_of_day = dt.datetime(2099, 6, 30, 23, 59, 59, tzinfo=ZoneInfo("Asia/Kolkata"))
    moment = dt.datetime.fromisoformat("2099-01-31T18:00:00+05:30")
    assert entries["dnc"].value == int(end_of_day.timestamp())
    assert entries["sticky_agents"].key == StickyKey("cli_group", "+918045678901", "12")
    assert entries["sticky_agents"].value == StickyValue(
        "1077", int(moment.timestamp())
    )
    assert entries["account_managers"].value == "AM-17"
    assert entries["contacts"].value == (
        ("name", "Dr. Asha Rao"),
        ("email", "asha.rao@example.com"),
        ("dob", "12-05-1990"),  # the API's form, as it is read back
        ("company", "Acme"),
    )
    assert entries["blacklist"].value == frozenset({"+918045678901", "+918045678902"})


def test_two_spellings_of_one_number_are_one_contact() -> None:
    loaded = load("every-kind.yaml")

    assert loaded.numbers() == {"+919876543210"}


def test_metadata_is_kept_on_the_entry_and_out_of_the_value() -> None:
    dnc = by_kind(load("every-kind.yaml"))["dnc"]

    assert dnc.meta == Meta("asked on the call", "CR-1", "compliance")
    assert isinstance(dnc.value, int)


def test_ensure_absent_works_for_every_kind() -> None:
    entries = by_kind(load("ensure-absent-every-kind.yaml"))

    assert sorted(entries) == sorted(declarations.KINDS)
    assert all(not e.present and e.value is None for e in entries.values())
    assert entries["sticky_agents"].key == StickyKey("cli", "+918045678901")


def test_a_date_ends_with_that_day_in_the_configured_time_zone() -> None:
    india = by_kind(load("every-kind.yaml"))["dnc"].value
    utc = by_kind(load("every-kind.yaml", timezone="UTC"))["dnc"].value

    assert utc - india == 5 * 3600 + 1800
    assert expiry.describe(utc, expiry.dt.UTC) == "2099-06-30T23:59:59+00:00"


def test_the_default_region_reads_national_numbers() -> None:
    entries = by_kind(load("national-number-of-another-region.yaml", region="DE"))

    assert entries["dnc"].number == "+49301234567"


def test_an_instant_past_the_calendar_is_shown_as_seconds() -> None:
    # The API may hold an expiry that no declaration could have written.
    beyond = expiry.LATEST + 3 * 86400

    assert expiry.describe(beyond, expiry.dt.UTC) == f"{beyond} seconds since 1970"


def test_a_value_given_through_an_alias_is_the_anchored_value() -> None:
    entries = load("aliases.yaml").entries

    dnc = [e for e in entries if e.kind == "dnc"]
    blacklist = [e for e in entries if e.kind == "blacklist"]
    assert dnc[0].value == dnc[1].value != expiry.PERMANENT
    assert blacklist[0].value == blacklist[1].value
    assert blacklist[1].value == frozenset({"+918045678901", "+918045678902"})
    assert [e.location.line for e in entries] == [3, 5, 8, 10]
