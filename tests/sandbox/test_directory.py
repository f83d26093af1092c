"""Directory semantics of the working contract (section 7), over HTTP."""

from __future__ import annotations

import time
from typing import Any

import pytest

from reconciler.sandbox import EmbeddedSandbox

from .conftest import Api

CLI = "08045678901"
CLI_STORED = "918045678901"
OTHER_CLI = "08045678902"
FUTURE = int(time.time()) + 30 * 86400


# Numbers


def test_number_spellings_reach_the_same_entry(api: Api, number: str) -> None:
    national = number[2:]
    api.ok("setDnc", contact=f"+{number}", dnc=-1)

    for spelling in (number, f"+{number}", national, f"0{national}", int(number)):
        assert api.ok("getDnc", contact=spelling) == {"contact": number, "dnc": -1}
    assert api.ok("getInfo", cn=int(national))["contact"] == number


@pytest.mark.parametrize("bad", ["12345", "not a number", "+91123", 3.5, True, []])
def test_invalid_number_is_1005(api: Api, bad: Any) -> None:
    assert api.error("setDnc", contact=bad, dnc=-1) == 1005
    assert api.error("getInfo", cn=bad) == 1005


@pytest.mark.parametrize("action", ["getDnc", "setDnc", "search", "setAM", "create"])
def test_missing_contact_is_1000(api: Api, action: str) -> None:
    assert api.error(action, dnc=-1, project="all", AcManId="AM-1") == 1000


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("getInfo", {"field": "all"}),
        ("search", {"project": "all"}),
        ("getFields", {"project": "all"}),
        ("getDnc", {}),
        ("getSticky", {}),
    ],
)
def test_reads_of_a_number_without_entry_are_1012(
    api: Api, number: str, action: str, body: dict[str, Any]
) -> None:
    key = "cn" if action == "getInfo" else "contact"
    assert api.error(action, **{key: number}, **body) == 1012


# create / update / getInfo / search


def test_create_then_get_info_returns_the_whole_entry(api: Api, number: str) -> None:
    info = {"name": "Asha Rao", "email": "asha@example.com", "dob": "01-02-1990"}
    api.ok("create", contact=number, contactinfo=info)

    data = api.ok("getInfo", cn=number, field="all")
    assert data["contact"] == number
    assert data["contactinfo"] == info
    assert (data["dnc"], data["blacklist"], data["sticky"]) == (0, [], [])
    assert data["AcManId"] is None
    assert list(data)[:6] == [
        "contact",
        "contactinfo",
        "dnc",
        "blacklist",
        "sticky",
        "AcManId",
    ]


def test_create_on_existing_entry_is_1504(api: Api, number: str) -> None:
    api.ok("create", contact=number)
    assert api.error("create", contact=number) == 1504


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("name", "Asha R4o", 1000),
        ("name", "Asha_Rao", 1000),
        ("email", "asha@", 1000),
        ("email", "no at sign", 1000),
        ("dob", "1990-02-01", 1000),
        ("dob", "31-02-1990", 1001),
        ("phone", "123", 1000),
        ("company", 42, 1000),
    ],
)
def test_contactinfo_validation(
    api: Api, number: str, field: str, value: Any, code: int
) -> None:
    assert api.error("create", contact=number, contactinfo={field: value}) == code
    assert api.error("getInfo", cn=number) == 1012


def test_name_allows_letters_spaces_and_dots(api: Api, number: str) -> None:
    api.ok("create", contact=number, contactinfo={"name": "Dr. Asha  Rao"})
    assert api.ok("getInfo", cn=number)["contactinfo"] == {"name": "Dr. Asha  Rao"}


def test_update_of_missing_entry_is_1012(api: Api, number: str) -> None:
    assert api.error("update", contact=number, contactinfo={"name": "A"}) == 1012


def test_update_merges_and_empty_string_clears(api: Api, number: str) -> None:
    api.ok(
        "create",
        contact=number,
        contactinfo={"name": "Asha Rao", "company": "Acme", "email": "a@b.co"},
    )
    api.ok(
        "update",
        contact=number,
        contactinfo={"company": "Globex", "email": "", "designation": "CTO"},
    )

    assert api.ok("getInfo", cn=number)["contactinfo"] == {
        "name": "Asha Rao",
        "company": "Globex",
        "designation": "CTO",
    }


def test_update_bad_date_is_1001(api: Api, number: str) -> None:
    api.ok("create", contact=number)
    assert api.error("update", contact=number, contactinfo={"dob": "30-02-2001"}) == (
        1001
    )


def test_other_is_stored_and_returned(api: Api, number: str) -> None:
    api.ok("create", contact=number, other={"totalcalls": 3})
    other = api.ok("getInfo", cn=number, field="all")["other"]
    assert other["totalcalls"] == 3
    assert other["updatetime"] == time.strftime("%d-%m-%Y", time.gmtime())


@pytest.mark.parametrize("action", ["search", "getFields"])
def test_search_projects_the_named_fields(api: Api, number: str, action: str) -> None:
    api.ok("create", contact=number, contactinfo={"name": "Asha", "company": "Acme"})
    api.ok("setDnc", contact=number, dnc=-1)

    assert api.ok(action, contact=number, project="name, dnc") == {
        "contact": number,
        "contactinfo": {"name": "Asha"},
        "dnc": -1,
    }
    assert api.ok(action, contact=number, project="all") == api.ok(
        "getInfo", cn=number, field="all"
    )
    assert api.error(action, contact=number, project="shoe_size") == 1000
    assert api.error(action, contact=number) == 1000


def test_get_info_needs_cn_not_contact(api: Api, number: str) -> None:
    api.ok("setDnc", contact=number, dnc=-1)
    assert api.error("getInfo", contact=number) == 1000


# DNC


def test_set_dnc_creates_the_entry(api: Api, number: str) -> None:
    assert api.ok("setDnc", contact=number, dnc=FUTURE) == {
        "contact": number,
        "dnc": FUTURE,
    }
    data = api.ok("getInfo", cn=number, field="all")
    assert (data["dnc"], data["contactinfo"], data["sticky"]) == (FUTURE, {}, [])


def test_set_dnc_zero_on_unknown_number_creates_an_entry(api: Api, number: str) -> None:
    api.ok("setDnc", contact=number, dnc=0)
    assert api.ok("getDnc", contact=number) == {"contact": number, "dnc": 0}


def test_set_dnc_overwrites(api: Api, number: str) -> None:
    for value in (-1, FUTURE, 0, -1):
        api.ok("setDnc", contact=number, dnc=value)
        assert api.ok("getDnc", contact=number)["dnc"] == value


# The third is five seconds ago, computed in the test: a time in the id would
# differ between the processes of a parallel run.
@pytest.mark.parametrize("past", [1685577600, 1, -5], ids=["2023", "epoch", "now-5s"])
def test_past_dnc_expiry_is_1001(api: Api, number: str, past: int) -> None:
    if past < 0:
        past += int(time.time())
    answer = api.post("setDnc", contact=number, dnc=past)
    assert answer == {
        "status": "error",
        "message": "Please provide valid date",
        "code": 1001,
    }
    assert api.error("getDnc", contact=number) == 1012


@pytest.mark.parametrize(
    "bad", ["soon", 1.5, -2, None, True, 10**23, str(2**63), "9" * 5000, "١٢٣٤"]
)
def test_dnc_not_a_valid_value_is_1000(api: Api, number: str, bad: Any) -> None:
    assert api.error("setDnc", contact=number, dnc=bad) == 1000


def test_dnc_sent_as_numeric_string_is_accepted(api: Api, number: str) -> None:
    api.ok("setDnc", contact=number, dnc="-1")
    assert api.ok("getDnc", contact=number)["dnc"] == -1


def test_get_dnc_returns_a_lapsed_expiry_unchanged(
    api: Api, running: EmbeddedSandbox, number: str
) -> None:
    assert running.store is not None
    running.store.set_dnc(number, 1685577600)
    assert api.ok("getDnc", contact=number) == {"contact": number, "dnc": 1685577600}


def test_dnc_and_blacklist_are_independent(api: Api, number: str) -> None:
    api.ok("Blacklist", contact=number, DID=[CLI])
    api.ok("setDnc", contact=number, dnc=-1)
    api.ok("setDnc", contact=number, dnc=0)
    assert api.ok("getInfo", cn=number)["blacklist"] == [CLI_STORED]


# Blacklist


def test_blacklist_replaces_and_empty_clears(api: Api, number: str) -> None:
    api.ok("Blacklist", contact=number, DID=[CLI, "18001234567"])
    assert api.ok("getInfo", cn=number)["blacklist"] == ["9118001234567", CLI_STORED]

    api.ok("Blacklist", contact=number, DID=[f"+{CLI_STORED}", CLI_STORED])
    assert api.ok("getInfo", cn=number)["blacklist"] == [CLI_STORED]

    api.ok("Blacklist", contact=number, DID=["9118001234567", int(CLI_STORED)])
    assert api.ok("getInfo", cn=number)["blacklist"] == ["9118001234567", CLI_STORED]

    api.ok("Blacklist", contact=number, DID=[])
    assert api.ok("getInfo", cn=number)["blacklist"] == []


def test_blacklist_creates_the_entry(api: Api, number: str) -> None:
    api.ok("Blacklist", contact=number, DID=[OTHER_CLI])
    assert api.ok("getDnc", contact=number) == {"contact": number, "dnc": 0}


def test_blacklist_unknown_did_is_1505(api: Api, number: str) -> None:
    assert api.error("Blacklist", contact=number, DID=[CLI, "08011112222"]) == 1505
    assert api.error("getInfo", cn=number) == 1012


def test_blacklist_without_did_is_1000(api: Api, number: str) -> None:
    assert api.error("Blacklist", contact=number) == 1000
    assert api.error("Blacklist", contact=number, DID=CLI) == 1000


def test_blacklist_reset_clears_this_contact_only(
    api: Api, number: str, other_number: str
) -> None:
    api.ok("Blacklist", contact=number, DID=[CLI])
    api.ok("Blacklist", contact=other_number, DID=[CLI])
    api.ok("Blacklist", contact=number, RESET=1)

    assert api.ok("getInfo", cn=number)["blacklist"] == []
    assert api.ok("getInfo", cn=other_number)["blacklist"] == [CLI_STORED]


# Sticky rules


def _rule(kind: str, agent: str, **extra: Any) -> dict[str, Any]:
    base = {"type": kind, "agentId": agent, "cli": None, "groupid": None}
    return {**base, "expiry": -1, **extra}


def test_set_sticky_creates_entry_and_get_sticky_lists_rules(
    api: Api, number: str
) -> None:
    api.ok("setSticky", contact=number, type="all", agentId="1079", expiry=-1)
    api.ok("setSticky", contact=number, type="cli", agentId="1078", cli=CLI, expiry=-1)
    api.ok(
        "setSticky",
        contact=number,
        type="cli_group",
        agentId=1077,
        cli=CLI,
        groupid=12,
        expiry=FUTURE,
    )

    assert api.ok("getSticky", contact=number) == [
        _rule("all", "1079"),
        _rule("cli", "1078", cli=CLI_STORED),
        _rule("cli_group", "1077", cli=CLI_STORED, groupid="12", expiry=FUTURE),
    ]
    assert api.ok("getInfo", cn=number)["sticky"] == api.ok("getSticky", contact=number)


def test_set_sticky_same_identity_replaces_agent_and_expiry(
    api: Api, number: str
) -> None:
    common = {"contact": number, "type": "cli", "cli": CLI}
    api.ok("setSticky", **common, agentId="1077", expiry=-1)
    # The same line spelled as the client sends it is the same identity.
    api.ok("setSticky", **{**common, "cli": CLI_STORED}, agentId="1078", expiry=FUTURE)
    api.ok(
        "setSticky",
        contact=number,
        type="cli",
        cli=OTHER_CLI,
        agentId="1079",
        expiry=-1,
    )

    assert api.ok("getSticky", contact=number) == [
        _rule("cli", "1078", cli=CLI_STORED, expiry=FUTURE),
        _rule("cli", "1079", cli="918045678902"),
    ]


def test_set_sticky_all_ignores_cli_and_group(api: Api, number: str) -> None:
    api.ok(
        "setSticky",
        contact=number,
        type="all",
        agentId="1077",
        cli=CLI,
        groupid="12",
        expiry=-1,
    )
    assert api.ok("getSticky", contact=number) == [_rule("all", "1077")]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "everything"}, 1502),
        ({"type": "all", "expiry": "-1"}, 1509),
        ({"type": "all", "expiry": 1.5}, 1509),
        ({"type": "all", "expiry": -2}, 1508),
        ({"type": "all", "expiry": 10**23}, 1000),
        ({"type": "cli", "cli": "08099998888"}, 1505),
        ({"type": "cli", "cli": None}, 1000),
        ({"type": "cli_group", "cli": CLI, "groupid": None}, 1000),
        ({"type": "cli_group", "cli": CLI, "groupid": "99"}, 1506),
        ({"type": "cli_group", "cli": CLI, "groupid": "14", "agentId": "1077"}, 1507),
        ({"type": "all", "agentId": None}, 1000),
        ({"type": "all", "agentId": "4242"}, 1000),
        ({"type": "all", "expiry": None}, 1000),
        ({"type": None}, 1000),
    ],
)
def test_set_sticky_errors(
    api: Api, number: str, body: dict[str, Any], code: int
) -> None:
    request = {"agentId": "1077", "expiry": -1, "cli": CLI, **body}
    request = {key: value for key, value in request.items() if value is not None}

    assert api.error("setSticky", contact=number, **request) == code
    assert api.error("getSticky", contact=number) == 1012


def test_remove_sticky_removes_only_the_identity_sent(api: Api, number: str) -> None:
    api.ok("setSticky", contact=number, type="all", agentId="1079", expiry=-1)
    api.ok("setSticky", contact=number, type="cli", agentId="1078", cli=CLI, expiry=-1)
    group = {"type": "cli_group", "cli": CLI, "groupid": "12"}
    api.ok("setSticky", contact=number, agentId="1077", expiry=-1, **group)

    api.ok("removeSticky", contact=number, **group)
    assert [r["type"] for r in api.ok("getSticky", contact=number)] == ["all", "cli"]

    api.ok("removeSticky", contact=number, type="all")
    assert api.ok("getSticky", contact=number) == [_rule("cli", "1078", cli=CLI_STORED)]


def test_remove_sticky_with_other_agent_is_a_noop(api: Api, number: str) -> None:
    api.ok("setSticky", contact=number, type="cli", agentId="1078", cli=CLI, expiry=-1)

    api.ok("removeSticky", contact=number, type="cli", cli=CLI, agentId="1077")
    assert len(api.ok("getSticky", contact=number)) == 1

    api.ok("removeSticky", contact=number, type="cli", cli=CLI, agentId="1078")
    assert api.ok("getSticky", contact=number) == []


def test_remove_absent_sticky_succeeds(api: Api, number: str) -> None:
    assert api.ok("removeSticky", contact=number, type="all") == {
        "contact": number,
        "removed": 0,
    }
    assert api.error("getInfo", cn=number) == 1012


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "sometimes"}, 1502),
        ({"type": "cli"}, 1000),
        ({"type": "cli", "cli": "08099998888"}, 1505),
        ({"type": "cli_group", "cli": CLI}, 1000),
        ({"type": "cli_group", "cli": CLI, "groupid": "99"}, 1506),
        ({}, 1000),
    ],
)
def test_remove_sticky_errors(
    api: Api, number: str, body: dict[str, Any], code: int
) -> None:
    assert api.error("removeSticky", contact=number, **body) == code


def test_get_sticky_filters(api: Api, number: str) -> None:
    api.ok("setSticky", contact=number, type="all", agentId="1079", expiry=FUTURE)
    api.ok("setSticky", contact=number, type="cli", agentId="1078", cli=CLI, expiry=-1)

    def types(**filters: Any) -> list[str]:
        return [r["type"] for r in api.ok("getSticky", contact=number, **filters)]

    assert types(type="cli") == ["cli"]
    assert types(agentId="1079") == ["all"]
    assert types(cli=f"+{CLI_STORED}") == ["cli"]
    assert types(expiry=str(FUTURE)) == ["all"]
    assert types(groupid="12") == []
    assert api.error("getSticky", contact=number, type="bogus") == 1502


# Account manager


def test_set_am_creates_and_unset_clears(api: Api, number: str) -> None:
    assert api.ok("setAM", contact=number, AcManId="AM-17") == {
        "contact": number,
        "AcManId": "AM-17",
    }
    assert api.ok("getInfo", cn=number)["AcManId"] == "AM-17"

    api.ok("setAM", contact=number, AcManId="AM-18")
    assert api.ok("getInfo", cn=number)["AcManId"] == "AM-18"

    api.ok("unsetAm", contact=number)
    assert api.ok("getInfo", cn=number)["AcManId"] is None


def test_unset_am_without_manager_or_entry_succeeds(api: Api, number: str) -> None:
    api.ok("unsetAm", contact=number)
    assert api.error("getInfo", cn=number) == 1012
    api.ok("setDnc", contact=number, dnc=-1)
    api.ok("unsetAm", contact=number)


def test_set_am_without_id_is_1000(api: Api, number: str) -> None:
    assert api.error("setAM", contact=number) == 1000
    assert api.error("setAM", contact=number, AcManId="") == 1000


# Reference data


def test_group_list_and_filters(api: Api) -> None:
    groups = api.ok("groupList")
    assert [(g["groupId"], g["name"]) for g in groups] == [
        ("12", "Sales"),
        ("14", "Support"),
    ]
    assert [g["groupId"] for g in api.ok("groupList", groupid="14")] == ["14"]
    assert [g["groupId"] for g in api.ok("groupList", groupId=12)] == ["12"]
    assert [g["groupId"] for g in api.ok("groupList", name="sales")] == ["12"]
    assert "data" not in api.post("groupList")


def test_group_agent_relation(api: Api) -> None:
    response = api.ok("groupAgentRelation", groupId="14")

    assert response["groupData"] == {"groupId": "14", "name": "Support"}
    assert [a["agentId"] for a in response["agentData"]] == ["1078", "1079"]
    assert response["relationData"] == [
        {"groupId": "14", "agentId": "1078"},
        {"groupId": "14", "agentId": "1079"},
    ]
    assert api.error("groupAgentRelation") == 1502
    assert api.error("groupAgentRelation", groupId="99") == 1503


def test_agent_list(api: Api) -> None:
    assert [a["agentId"] for a in api.ok("agentList")] == ["1077", "1078", "1079"]
    assert [a["agentId"] for a in api.ok("agentList", groupId="12")] == ["1077", "1078"]
    assert [a["name"] for a in api.ok("agentList", name="meena")] == ["Meena Iyer"]
