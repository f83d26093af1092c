"""Reference checks: what the API would refuse, found before any call.

DeepCall checks a sticky rule's agent, group, agent-in-group membership and
caller line against the account's reference data, and refuses the call
(1000 for an unknown agent, 1506 for an unknown group, 1507 for an agent
outside the group, 1505 for an unknown caller line). Agents, groups and
membership can be listed through the Group and Agent endpoints, so a plan
reads them once per run and checks every declared rule first: a bad ID is a
plan error at its declaration instead of a failed apply.

Two kinds of ID cannot be listed, and are checked only when the project
file says what exists (``reference:`` in reconciler.yaml):

- caller lines (CLIs): no endpoint lists an account's lines, so only a
  ``caller_lines`` list makes them checkable;
- account managers (``AcManId``): the API does not say what they refer to,
  and the IDs in use ("AM-17") are not agents. A ``managers`` list of known
  IDs, or ``managers: agents`` when the account uses agent IDs, turns the
  check on; without it any manager ID is accepted.

A reference endpoint that cannot be read, or answers in a shape that is not
understood, leaves its checks out with a warning rather than failing a plan:
the API still refuses a bad ID at apply time. An offline plan
(``--no-refresh``) reads nothing live, so it makes no reference check.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler import contract, numbers
from reconciler.declarations import ACCOUNT_MANAGER, STICKY, Declarations, Entry
from reconciler.errors import (
    ApiError,
    DeclarationError,
    Problem,
    SettingsError,
)
from reconciler.settings import Settings

if TYPE_CHECKING:
    from reconciler.client import DirectoryClient

log = logging.getLogger(__name__)

# Field names under which the reference endpoints may spell an ID. The
# sandbox answers with the first; the others are what the documentation's
# request parameters suggest a live account might return.
AGENT_ID_KEYS = ("agentId", "agentid", "agent_id", "id")
GROUP_ID_KEYS = ("groupId", "groupid", "group_id", "id")


@dataclass
class ReferenceData:
    """What exists on the account; None where it could not be read."""

    agents: frozenset[str] | None = None
    groups: frozenset[str] | None = None
    members: dict[str, frozenset[str]] = field(default_factory=dict)
    caller_lines: frozenset[str] | None = None
    managers: frozenset[str] | None = None
    warnings: list[str] = field(default_factory=list)


async def check(
    declarations: Declarations,
    client: DirectoryClient,
    settings: Settings,
    numbers_: Iterable[str] | None = None,
) -> None:
    """Check the declared IDs; raise DeclarationError if any does not exist.

    Only entries of ``numbers_`` (all when None) are checked. A check that
    cannot be made is logged as a warning and left to the API.
    """
    wanted = None if numbers_ is None else set(numbers_)
    entries = [
        e
        for e in declarations.entries
        if e.present and (wanted is None or e.number in wanted)
    ]
    data = await read(client, settings, entries)
    problems = problems_for(entries, data)
    if problems:
        raise DeclarationError(problems + declarations.warnings)
    for warning in data.warnings:
        log.warning("reference check skipped: %s", warning)


def problems_for(entries: Iterable[Entry], data: ReferenceData) -> list[Problem]:
    """Every declared ID that the reference data says does not exist."""
    problems: list[Problem] = []
    for entry in entries:
        if entry.kind == STICKY:
            problems += _sticky_problems(entry, data)
        elif entry.kind == ACCOUNT_MANAGER:
            problems += _manager_problems(entry, data)
    return problems


# Reading --------------------------------------------------------------------


async def read(
    client: DirectoryClient, settings: Settings, entries: list[Entry]
) -> ReferenceData:
    """Read only the reference lists that ``entries`` need, once each."""
    data = ReferenceData(
        caller_lines=_caller_lines(settings),
        managers=_manager_ids(settings),
    )
    rules = [e for e in entries if e.kind == STICKY and e.key is not None]
    managers = [e for e in entries if e.kind == ACCOUNT_MANAGER]
    need_agents = bool(rules) or (settings.managers_are_agents and bool(managers))
    groups = {e.key.group for e in rules if e.key is not None and e.key.group}

    listed = await asyncio.gather(
        _ids(client, "agentList", AGENT_ID_KEYS, data) if need_agents else _none(),
        _ids(client, "groupList", GROUP_ID_KEYS, data) if groups else _none(),
    )
    data.agents, data.groups = listed
    if settings.managers_are_agents:
        data.managers = data.agents

    known = sorted(groups & data.groups) if data.groups is not None else []
    members = await asyncio.gather(*(_members(client, g, data) for g in known))
    data.members = {g: m for g, m in zip(known, members, strict=True) if m is not None}
    log.info(
        "reference data: %s agents, %s groups, %d memberships read",
        "no" if data.agents is None else len(data.agents),
        "no" if data.groups is None else len(data.groups),
        len(data.members),
    )
    return data


async def _none() -> None:
    return None


async def _ids(
    client: DirectoryClient,
    action: str,
    keys: tuple[str, ...],
    data: ReferenceData,
) -> frozenset[str] | None:
    payload = await _fetch(client, action, {}, data)
    if payload is None:
        return None
    return frozenset(i for i in (_id(r, keys) for r in _records(payload)) if i)


async def _members(
    client: DirectoryClient, group: str, data: ReferenceData
) -> frozenset[str] | None:
    payload = await _fetch(client, "groupAgentRelation", {"groupId": group}, data)
    if not isinstance(payload, dict):
        return None
    relations = _records(payload.get("relationData"))
    if relations:
        return frozenset(
            agent
            for r in relations
            if _id(r, GROUP_ID_KEYS[:-1]) in (None, group)
            and (agent := _id(r, AGENT_ID_KEYS))
        )
    agents = _records(payload.get("agentData"))
    return frozenset(a for a in (_id(r, AGENT_ID_KEYS) for r in agents) if a)


async def _fetch(
    client: DirectoryClient,
    action: str,
    params: dict[str, Any],
    data: ReferenceData,
) -> Any:
    """The payload of one reference call, or None with a warning."""
    try:
        payload = await client.call(
            action, params, payload_key=contract.REFERENCE_PAYLOAD_KEY
        )
    except ApiError as exc:
        data.warnings.append(f"{exc}; the IDs it lists are not checked before apply")
        return None
    if not isinstance(payload, list | dict):
        data.warnings.append(
            f"{action} answered without a readable list; "
            "the IDs it lists are not checked before apply"
        )
        return None
    return payload


def _records(payload: Any) -> list[dict[str, Any]]:
    """The records of a list answer, or of the first list inside a mapping."""
    if isinstance(payload, list):
        return [r for r in payload if isinstance(r, dict)]
    if isinstance(payload, dict):
        inner = next((v for v in payload.values() if isinstance(v, list)), [])
        return _records(inner)
    return []


def _id(record: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = record.get(key)
        if value not in (None, ""):
            return str(value)
    return None


def _caller_lines(settings: Settings) -> frozenset[str] | None:
    if settings.caller_lines is None:
        return None
    lines = set()
    for line in settings.caller_lines:
        try:
            lines.add(numbers.normalise(line, settings.region))
        except numbers.InvalidNumber as exc:
            raise SettingsError(f"reference.caller_lines: {exc}") from None
    return frozenset(lines)


def _manager_ids(settings: Settings) -> frozenset[str] | None:
    if settings.manager_ids is None:
        return None
    return frozenset(settings.manager_ids)


# Checking -------------------------------------------------------------------


def _sticky_problems(entry: Entry, data: ReferenceData) -> list[Problem]:
    key = entry.key
    if key is None:
        return []
    agent = entry.value.agent
    problems = []
    agents = data.agents
    unknown_agent = agents is not None and agent not in agents
    if agents is not None and unknown_agent:
        problems.append(
            Problem(
                entry.location,
                f"sticky agent {agent!r} does not exist on the account "
                "(the API would refuse it with code 1000)",
                _known("known agents", agents),
            )
        )
    if key.cli and data.caller_lines is not None and key.cli not in data.caller_lines:
        problems.append(
            Problem(
                entry.location,
                f"caller line {key.cli} is not one of the account's caller lines "
                "(the API would answer 1505)",
                _known("caller lines in reconciler.yaml", data.caller_lines),
            )
        )
    if key.group:
        # An unknown agent is in no group: one problem is enough.
        members = {} if unknown_agent else data.members
        problems += _group_problems(entry, key.group, agent, data.groups, members)
    return problems


def _group_problems(
    entry: Entry,
    group: str,
    agent: str,
    groups: frozenset[str] | None,
    members_of: dict[str, frozenset[str]],
) -> list[Problem]:
    if groups is not None and group not in groups:
        return [
            Problem(
                entry.location,
                f"group {group!r} does not exist on the account "
                "(the API would answer 1506)",
                _known("known groups", groups),
            )
        ]
    members = members_of.get(group)
    if members is not None and agent not in members:
        return [
            Problem(
                entry.location,
                f"agent {agent!r} is not a member of group {group!r} "
                "(the API would answer 1507)",
                _known(f"members of group {group}", members),
            )
        ]
    return []


def _manager_problems(entry: Entry, data: ReferenceData) -> list[Problem]:
    if data.managers is None or entry.value in data.managers:
        return []
    return [
        Problem(
            entry.location,
            f"account manager {entry.value!r} is not a known manager ID "
            "(reference.managers in reconciler.yaml)",
            _known("known managers", data.managers),
        )
    ]


def _known(what: str, ids: frozenset[str]) -> str:
    if not ids:
        return f"{what}: none"
    listed = sorted(ids)
    shown = ", ".join(listed[:10]) + (", ..." if len(listed) > 10 else "")
    return f"{what}: {shown}"
