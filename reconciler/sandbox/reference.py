"""The account's reference data: caller lines, DIDs, agents and groups.

DeepCall validates sticky rules and blacklists against data the Directory API
cannot list (the account's CLIs and DIDs) or lists elsewhere (groups, agents).
The sandbox keeps it as a fixture, loaded from a seed file or built in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler import numbers


@dataclass(frozen=True)
class Agent:
    """One agent of the account."""

    id: str
    name: str


@dataclass(frozen=True)
class Group:
    """One agent group and the ids of its members."""

    id: str
    name: str
    agents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reference:
    """Everything a Directory call is validated against besides the entry.

    ``clis`` and ``dids`` hold numbers in stored form (digits with country
    code), so that any spelling a client sends compares equal.
    """

    clis: frozenset[str] = frozenset()
    dids: frozenset[str] = frozenset()
    agents: dict[str, Agent] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)

    def is_member(self, agent_id: str, group_id: str) -> bool:
        group = self.groups.get(group_id)
        return group is not None and agent_id in group.agents


def number_forms(value: str | int) -> list[str]:
    """The stored forms a CLI or DID may denote, most likely first.

    Reference numbers are written the way people write their own lines
    ("08045678901", "18001234567"), so the national reading (region IN) comes
    first; digits with a country code and plain digits follow. Short codes
    that fail phonenumbers' validation still match as plain digits.
    """
    text = str(value).strip()
    forms: list[str] = []
    for parse in (_national_form, stored_form):
        try:
            form = parse(text)
        except numbers.InvalidNumber:
            continue
        if form not in forms:
            forms.append(form)
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits and digits not in forms:
        forms.append(digits)
    return forms


def reference_number(value: str | int) -> str:
    """The stored form of a CLI or DID as written in reference data."""
    forms = number_forms(value)
    return forms[0] if forms else ""


def find_number(value: str | int, known: frozenset[str]) -> str | None:
    """The stored form under which ``value`` is in ``known``, if any."""
    return next((form for form in number_forms(value) if form in known), None)


def _national_form(text: str) -> str:
    return numbers.normalise(text).lstrip("+")


def stored_form(value: str | int) -> str:
    """The entry key of a number: country code and national number, digits.

    Accepts "+E.164", digits with country code, a 10-digit national number,
    a leading-0 national number (region IN), or an int. Raises
    :class:`numbers.InvalidNumber`.
    """
    text = str(value).strip()
    if not text:
        raise numbers.InvalidNumber("empty number")

    digits_only = text.isdigit()
    if text.startswith(("+", "0")) or (digits_only and len(text) == 10):
        return numbers.normalise(text).lstrip("+")
    if digits_only:
        return numbers.normalise("+" + text).lstrip("+")
    return numbers.normalise(text).lstrip("+")


def build_reference(data: Mapping[str, Any]) -> Reference:
    """Build a :class:`Reference` from the ``reference`` mapping of a seed."""
    agents = {
        str(item["id"]): Agent(str(item["id"]), str(item.get("name", "")))
        for item in _items(data.get("agents"))
    }
    groups = {
        str(item["id"]): Group(
            str(item["id"]),
            str(item.get("name", "")),
            tuple(str(agent) for agent in item.get("agents") or ()),
        )
        for item in _items(data.get("groups"))
    }
    return Reference(
        clis=frozenset(reference_number(cli) for cli in data.get("clis") or ()),
        dids=frozenset(reference_number(did) for did in data.get("dids") or ()),
        agents=agents,
        groups=groups,
    )


def _items(value: Any) -> Iterable[Mapping[str, Any]]:
    if not value:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError("agents and groups must be lists of mappings")
    return value


DEFAULT_REFERENCE_DATA: dict[str, Any] = {
    "clis": ["08045678901", "08045678902"],
    "dids": ["08045678901", "08045678902", "18001234567"],
    "agents": [
        {"id": "1077", "name": "Ravi Kumar"},
        {"id": "1078", "name": "Meena Iyer"},
        {"id": "1079", "name": "Arjun Shah"},
    ],
    "groups": [
        {"id": "12", "name": "Sales", "agents": ["1077", "1078"]},
        {"id": "14", "name": "Support", "agents": ["1078", "1079"]},
    ],
}


def default_reference() -> Reference:
    """The built-in reference set used when no seed provides one."""
    return build_reference(DEFAULT_REFERENCE_DATA)
