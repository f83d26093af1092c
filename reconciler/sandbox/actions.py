"""The Directory actions: a parsed request body in, a response payload out.

No HTTP here: each action validates its parameters, checks them against the
account's reference data and calls the store. Errors are raised as
:class:`ApiError` and become error envelopes in the app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler import contract
from reconciler.sandbox import validate
from reconciler.sandbox.reference import Reference, find_number, number_forms
from reconciler.sandbox.store import Entry, StickyRule, Store
from reconciler.sandbox.validate import ApiError

Code = contract.Code
Body = Mapping[str, Any]

# Group and Agent sections reuse 15xx numbers with their own meanings.
GROUP_ID_REQUIRED = 1502
GROUP_NOT_FOUND = 1503
GROUP_MESSAGES = {
    GROUP_ID_REQUIRED: "GroupId is required",
    GROUP_NOT_FOUND: "Group not found or not authorised",
}

# Top-level keys a `project` / `field` list may name besides contact fields.
ENTRY_KEYS = ("contactinfo", "dnc", "blacklist", "sticky", "AcManId", "other")


@dataclass(frozen=True)
class Outcome:
    """A successful action: payload, payload key, contact and change flag."""

    payload: Any
    contact: str | None = None
    changed: bool = False
    key: str = contract.PAYLOAD_KEY


Action = Callable[[Store, Body], Outcome]


def create(store: Store, body: Body) -> Outcome:
    contact = validate.contact(body)
    info = validate.contactinfo(body.get("contactinfo"))
    result = store.create(contact, info, validate.other(body.get("other")))
    return Outcome(result.data, contact, result.changed)


def update(store: Store, body: Body) -> Outcome:
    contact = validate.contact(body)
    info = validate.contactinfo(body.get("contactinfo"))
    result = store.update(contact, info, validate.other(body.get("other")))
    return Outcome(result.data, contact, result.changed)


def get_info(store: Store, body: Body) -> Outcome:
    contact = validate.contact(body, "cn")
    entry = store.entry(contact)
    return Outcome(_project(entry, body.get("field") or "all"), contact)


def search(store: Store, body: Body) -> Outcome:
    contact = validate.contact(body)
    project = validate.require(body, "project")
    entry = store.entry(contact)
    return Outcome(_project(entry, project), contact)


def _project(entry: Entry, selection: Any) -> dict[str, Any]:
    """The entry's data object limited to the names in ``selection``."""
    if not isinstance(selection, str):
        raise ApiError(Code.INVALID_PARAMETER, "Invalid parameter: project")
    full = entry.to_wire()
    if selection.strip() == "all":
        return full

    data: dict[str, Any] = {"contact": entry.contact}
    for name in (part.strip() for part in selection.split(",")):
        if name in ENTRY_KEYS:
            data[name] = full[name]
        elif name in contract.CONTACT_FIELDS:
            info = data.setdefault("contactinfo", {})
            if name in entry.contactinfo:
                info[name] = entry.contactinfo[name]
        elif name != "contact":
            raise ApiError(Code.INVALID_PARAMETER, f"Invalid parameter: {name}")
    return data


def set_dnc(store: Store, body: Body) -> Outcome:
    contact = validate.contact(body)
    result = store.set_dnc(contact, validate.dnc_value(body))
    return Outcome(result.data, contact, result.changed)


def get_dnc(store: Store, body: Body) -> Outcome:
    contact = validate.contact(body)
    entry = store.entry(contact)
    return Outcome({"contact": contact, "dnc": entry.dnc}, contact)


def blacklist(store: Store, body: Body) -> Outcome:
    contact = validate.contact(body)
    if _truthy(body.get("RESET")):
        dids: list[str] = []
    elif "DID" in body and isinstance(body["DID"], list):
        dids = _dids(store.reference, body["DID"])
    else:
        raise ApiError(Code.INVALID_PARAMETER, "Invalid parameter: DID")
    result = store.set_blacklist(contact, dids)
    return Outcome(result.data, contact, result.changed)


def _truthy(value: Any) -> bool:
    return value is True or value == 1 or value in ("1", "true", "True")


def _dids(reference: Reference, values: list[Any]) -> list[str]:
    """Stored forms of the DIDs, sorted and without duplicates (1505)."""
    dids: set[str] = set()
    for value in values:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ApiError(Code.INVALID_PARAMETER, "Invalid parameter: DID")
        did = find_number(value, reference.dids)
        if did is None:
            raise ApiError(Code.CLI_UNKNOWN)
        dids.add(did)
    return sorted(dids)


def set_sticky(store: Store, body: Body) -> Outcome:
    contact = validate.contact(body)
    kind = validate.sticky_type(body)
    agent = validate.identifier(validate.require(body, "agentId"), "agentId")
    expiry = validate.sticky_expiry(body)
    cli, groupid = _rule_scope(store.reference, body, kind)

    if agent not in store.reference.agents:
        raise ApiError(Code.INVALID_PARAMETER, "Invalid parameter: agentId")
    if groupid is not None and not store.reference.is_member(agent, groupid):
        raise ApiError(Code.AGENT_NOT_IN_GROUP)

    rule = StickyRule(kind, agent, expiry, cli, groupid)
    result = store.set_sticky(contact, rule)
    return Outcome(result.data, contact, result.changed)


def _rule_scope(
    reference: Reference, body: Body, kind: str
) -> tuple[str | None, str | None]:
    """The (cli, groupid) of a rule's identity; fields the type ignores are None."""
    cli = groupid = None
    if kind in ("cli", "cli_group"):
        raw = validate.identifier(validate.require(body, "cli"), "cli")
        cli = find_number(raw, reference.clis)
        if cli is None:
            raise ApiError(Code.CLI_UNKNOWN)
    if kind == "cli_group":
        groupid = validate.identifier(validate.require(body, "groupid"), "groupid")
        if groupid not in reference.groups:
            raise ApiError(Code.GROUP_UNKNOWN)
    return cli, groupid


def get_sticky(store: Store, body: Body) -> Outcome:
    contact = validate.contact(body)
    if validate.present(body, "type"):
        validate.sticky_type(body)
    rules = [
        rule.to_wire() for rule in store.entry(contact).sticky if _matches(rule, body)
    ]
    return Outcome(rules, contact)


def _matches(rule: StickyRule, body: Body) -> bool:
    """Whether a rule passes the optional getSticky filters in ``body``."""
    checks: list[tuple[str, Callable[[Any], bool]]] = [
        ("type", lambda v: rule.type == v),
        ("agentId", lambda v: rule.agent_id == str(v)),
        ("groupid", lambda v: rule.groupid == str(v)),
        ("cli", lambda v: rule.cli in number_forms(str(v))),
        ("expiry", lambda v: rule.expiry == validate.integer(v)),
    ]
    return all(
        check(body[name]) for name, check in checks if validate.present(body, name)
    )


def remove_sticky(store: Store, body: Body) -> Outcome:
    contact = validate.contact(body)
    kind = validate.sticky_type(body)
    cli, groupid = _rule_scope(store.reference, body, kind)
    agent = None
    if validate.present(body, "agentId"):
        agent = validate.identifier(body["agentId"], "agentId")
    result = store.remove_sticky(contact, kind, cli, groupid, agent)
    return Outcome(result.data, contact, result.changed)


def set_am(store: Store, body: Body) -> Outcome:
    contact = validate.contact(body)
    manager = validate.identifier(validate.require(body, "AcManId"), "AcManId")
    result = store.set_am(contact, manager)
    return Outcome(result.data, contact, result.changed)


def unset_am(store: Store, body: Body) -> Outcome:
    contact = validate.contact(body)
    result = store.unset_am(contact)
    return Outcome(result.data, contact, result.changed)


def group_list(store: Store, body: Body) -> Outcome:
    wanted = _group_id(body)
    name = str(body.get("name") or "").strip().lower()
    groups = [
        {"groupId": group.id, "name": group.name, "agents": list(group.agents)}
        for group in store.reference.groups.values()
        if (wanted is None or group.id == wanted)
        and (not name or group.name.lower() == name)
    ]
    return Outcome(groups, key=contract.REFERENCE_PAYLOAD_KEY)


def group_agent_relation(store: Store, body: Body) -> Outcome:
    wanted = _group_id(body)
    if wanted is None:
        raise ApiError(GROUP_ID_REQUIRED, GROUP_MESSAGES[GROUP_ID_REQUIRED])
    group = store.reference.groups.get(wanted)
    if group is None:
        raise ApiError(GROUP_NOT_FOUND, GROUP_MESSAGES[GROUP_NOT_FOUND])

    agents = [store.reference.agents.get(agent_id) for agent_id in group.agents]
    response = {
        "groupData": {"groupId": group.id, "name": group.name},
        "agentData": [
            {"agentId": agent.id, "name": agent.name} for agent in agents if agent
        ],
        "relationData": [
            {"groupId": group.id, "agentId": agent_id} for agent_id in group.agents
        ],
    }
    return Outcome(response, key=contract.REFERENCE_PAYLOAD_KEY)


def _group_id(body: Body) -> str | None:
    for name in ("groupId", "groupid"):
        if validate.present(body, name):
            return validate.identifier(body[name], name)
    return None


def agent_list(store: Store, body: Body) -> Outcome:
    reference = store.reference
    wanted = _group_id(body)
    name = str(body.get("name") or "").strip().lower()
    agents = [
        {
            "agentId": agent.id,
            "name": agent.name,
            "groups": [g.id for g in reference.groups.values() if agent.id in g.agents],
        }
        for agent in reference.agents.values()
        if (wanted is None or reference.is_member(agent.id, wanted))
        and name in agent.name.lower()
    ]
    return Outcome(agents, key=contract.REFERENCE_PAYLOAD_KEY)


ACTIONS: dict[str, Action] = {
    "create": create,
    "update": update,
    "getInfo": get_info,
    "search": search,
    "getFields": search,
    "setDnc": set_dnc,
    "getDnc": get_dnc,
    "Blacklist": blacklist,
    "setSticky": set_sticky,
    "getSticky": get_sticky,
    "removeSticky": remove_sticky,
    "setAM": set_am,
    "unsetAm": unset_am,
    "groupList": group_list,
    "groupAgentRelation": group_agent_relation,
    "agentList": agent_list,
}
