"""Seed files: the account's reference data and initial directory entries.

Shape (every key optional)::

    reference:
      clis: ["08045678901"]                 # the account's caller lines
      dids: ["08045678901", "18001234567"]  # DIDs usable in blacklists
      agents: [{id: "1077", name: "Ravi Kumar"}]
      groups: [{id: "12", name: "Sales", agents: ["1077"]}]
    entries:
      - contact: "+919876500002"
        contactinfo: {name: "Asha Rao"}
        dnc: -1
        blacklist: ["08045678901"]
        sticky: [{type: cli_group, agentId: "1077", cli: "08045678901",
                  groupid: "12", expiry: -1}]
        AcManId: "AM-17"

Entries replace what the database holds for the same numbers, so loading a
seed twice is harmless. A seed without ``reference`` keeps the database's
reference data (the built-in default set on a new database).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from reconciler import contract
from reconciler.sandbox import validate
from reconciler.sandbox.reference import (
    Reference,
    build_reference,
    find_number,
    reference_number,
)
from reconciler.sandbox.store import Entry, StickyRule, Store
from reconciler.sandbox.validate import ApiError

logger = logging.getLogger(__name__)

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SeedError(ValueError):
    """A seed file that cannot be loaded; the message names the entry."""


def read_seed(path: str | Path) -> dict[str, Any]:
    """Parse a seed file into a mapping."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_Loader)
    except (OSError, UnicodeDecodeError) as exc:
        raise SeedError(f"{path}: cannot read the seed: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        what = " ".join(filter(None, (exc.problem, exc.context))) or "invalid YAML"
        raise SeedError(f"{where}: not valid YAML: {what}") from None
    except yaml.YAMLError as exc:
        raise SeedError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SeedError(f"{path}: a seed file must hold a mapping")
    return data


def load_seed(store: Store, path: str | Path) -> int:
    """Apply a seed file to the store; returns the number of entries loaded."""
    count = apply_seed(store, read_seed(path))
    logger.info("seed %s loaded: %d entries", path, count)
    return count


def apply_seed(store: Store, data: Mapping[str, Any]) -> int:
    """Apply a parsed seed (see the module docstring) to the store."""
    if data.get("reference") is not None:
        if not isinstance(data["reference"], dict):
            raise SeedError("reference must be a mapping")
        try:
            store.set_reference(build_reference(data["reference"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise SeedError(f"invalid reference data: {exc}") from None

    entries = data.get("entries") or []
    if not isinstance(entries, list):
        raise SeedError("entries must be a list")
    return store.bulk_load(_entries(entries, store.reference))


def _entries(items: list[Any], reference: Reference) -> Iterator[Entry]:
    for index, item in enumerate(items):
        try:
            yield seed_entry(item, reference)
        except (ApiError, KeyError, TypeError, ValueError) as exc:
            raise SeedError(f"entries[{index}]: {exc}") from None


def seed_entry(item: Any, reference: Reference) -> Entry:
    """One seed entry as an :class:`Entry`; numbers in stored form.

    Seed data is trusted to match the reference data: it describes a
    directory as it is, not requests to be validated against it.
    """
    if not isinstance(item, dict):
        raise TypeError("an entry must be a mapping")
    info = validate.contactinfo(item.get("contactinfo"))
    acman = item.get("AcManId")
    return Entry(
        contact=validate.contact(item),
        contactinfo={name: value for name, value in info.items() if value},
        other=validate.other(item.get("other")),
        dnc=int(item.get("dnc") or contract.DNC_NONE),
        blacklist=sorted(
            {_line(did, reference.dids) for did in item.get("blacklist") or ()}
        ),
        acman=None if acman in (None, "") else str(acman),
        sticky=[_rule(rule, reference) for rule in item.get("sticky") or ()],
    )


def _line(value: str | int, known: frozenset[str]) -> str:
    """A CLI or DID in the stored form the reference data uses for it."""
    return find_number(value, known) or reference_number(value)


def _rule(item: Mapping[str, Any], reference: Reference) -> StickyRule:
    kind = str(item["type"])
    if kind not in contract.STICKY_TYPES:
        raise ValueError(f"unknown sticky type {kind!r}")
    cli = item.get("cli") if kind != "all" else None
    groupid = item.get("groupid") if kind == "cli_group" else None
    return StickyRule(
        type=kind,
        agent_id=str(item["agentId"]),
        expiry=int(item.get("expiry", contract.STICKY_NEVER)),
        cli=None if cli is None else _line(cli, reference.clis),
        groupid=None if groupid is None else str(groupid),
    )


def synthetic_entries(count: int, start: int = 0) -> Iterator[Entry]:
    """``count`` plain entries for load tests: 91 9xxxxxxxxx, DNC on every
    other one. Feed them to :meth:`Store.bulk_load`."""
    for index in range(start, start + count):
        yield Entry(
            contact=f"919{index:09d}",
            dnc=contract.DNC_PERMANENT if index % 2 else contract.DNC_NONE,
        )
