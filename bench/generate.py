"""The benchmark's data: declarations, a seeded state and a seeded sandbox.

For a directory of ``size`` declared numbers, one kind each (the five kinds
in turn), and ``size // 10`` more numbers that only the state knows:

- 10% of the declared numbers are creates: unknown to the state and to the
  sandbox;
- 10% are updates: the state and the sandbox hold an older value;
- the other 80% are unchanged: the state and the sandbox hold the declared
  value;
- the extra 10% (of ``size``) are removals: in the state and the sandbox, no
  longer declared, of the kinds whose removal is planned (sticky rules,
  account managers, contact fields, blacklists; a DNC left out is released,
  never lifted, so it is not one of them).

Every value is built once, as the declarations spell it; the state's and the
sandbox's forms are derived from it with reconciler's own folding (numbers,
expiries, DIDs), so that the three agree exactly where they should.
"""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import contract, expiry, numbers
from reconciler.declarations import StickyKey
from reconciler.sandbox.reference import build_reference, reference_number
from reconciler.sandbox.store import Entry, StickyRule, Store

TIMEZONE = zoneinfo.ZoneInfo("Asia/Kolkata")
KINDS = ("dnc", "sticky_agents", "account_managers", "contacts", "blacklist")
REMOVABLE = ("sticky_agents", "account_managers", "contacts", "blacklist")
UNCHANGED, CREATE, UPDATE, REMOVE = "unchanged", "create", "update", "remove"
# Entries per declaration file, the way a team splits a large directory.
PER_FILE = 5_000

SPELLINGS = (
    "+91 {a} {b}",
    "0{a} {b}",
    "{a}{b}",
    "+91-{a}-{b}",
    "(+91) {a} {b}",
    "+91{a}{b}",
    "91 {a} {b}",
)
# Consecutive values differ, so that an update always changes the expiry.
UNTILS = ("permanent", "2031-06-30", "never", "2031-09-15T18:00:00+05:30")
NAMES = ("Asha Rao", "R. K. Narayan", "Meera Iyer", "Vikram Sethi", "Anil Kumar")
AGENTS = tuple(str(2000 + n) for n in range(12))
GROUPS = ("1", "2", "3", "4")
CLIS = ("08045678901", "08045678902")
DIDS = ("08045678901", "08045678902", "18001234567")
BLACKLISTS = (("08045678901", "18001234567"), ("08045678902",), ("18001234567",))

REFERENCE = {
    "clis": list(CLIS),
    "dids": list(DIDS),
    "agents": [{"id": agent, "name": f"Agent {agent}"} for agent in AGENTS],
    "groups": [
        {"id": group, "name": f"Team {group}", "agents": list(AGENTS)}
        for group in GROUPS
    ],
}


@dataclass(frozen=True)
class Number:
    """One number of the benchmark: its kind, its fate, its two values."""

    serial: int
    kind: str
    fate: str

    @property
    def digits(self) -> str:
        return f"{9_000_000_000 + self.serial * 7:010d}"

    @property
    def e164(self) -> str:
        return "+91" + self.digits

    @property
    def stored(self) -> str:
        return "91" + self.digits

    def spelt(self) -> str:
        spelling = SPELLINGS[self.serial % len(SPELLINGS)]
        return spelling.format(a=self.digits[:5], b=self.digits[5:])

    @property
    def declared(self) -> bool:
        return self.fate != REMOVE

    @property
    def seeded(self) -> bool:
        return self.fate != CREATE

    def declared_version(self) -> int:
        return 1 if self.fate == UPDATE else 0


def plan_of(size: int) -> Iterator[Number]:
    """Every number in scope, in order: ``size`` declared, then the removals."""
    for serial in range(size):
        # The fate cycles over runs of five, so that it is independent of the
        # kind (which cycles over one).
        slot = (serial // len(KINDS)) % 10
        fate = CREATE if slot == 0 else UPDATE if slot == 1 else UNCHANGED
        yield Number(serial, KINDS[serial % len(KINDS)], fate)
    for serial in range(size, size + size // 10):
        yield Number(serial, REMOVABLE[serial % len(REMOVABLE)], REMOVE)


@dataclass(frozen=True)
class Expected:
    creates: int
    updates: int
    deletes: int
    numbers: int

    @property
    def changes(self) -> int:
        return self.creates + self.updates + self.deletes


def expected(size: int) -> Expected:
    counts = {CREATE: 0, UPDATE: 0, REMOVE: 0}
    total = 0
    for number in plan_of(size):
        total += 1
        if number.fate in counts:
            counts[number.fate] += 1
    return Expected(counts[CREATE], counts[UPDATE], counts[REMOVE], total)


# Values as declared ----------------------------------------------------------


def _until(serial: int, version: int) -> str:
    return UNTILS[(serial + version) % len(UNTILS)]


def _sticky_scope(serial: int) -> tuple[str, str | None, str | None]:
    scope = ("all", "cli", "cli_group")[serial % 3]
    cli = CLIS[serial % len(CLIS)] if scope != "all" else None
    group = GROUPS[serial % len(GROUPS)] if scope == "cli_group" else None
    return scope, cli, group


def _agent(serial: int, version: int) -> str:
    return AGENTS[(serial + version) % len(AGENTS)]


def _manager(serial: int, version: int) -> str:
    return f"AM-{(serial + version) % 97}"


def _contact(serial: int, version: int) -> dict[str, str]:
    """Contact fields as declared (dob as YYYY-MM-DD)."""
    fields = {
        "name": NAMES[(serial + version) % len(NAMES)],
        "email": f"user{serial}@example.com",
        "dob": f"19{serial % 90 + 10:02d}-0{serial % 9 + 1}-1{serial % 9}",
    }
    if serial % 2:
        fields["company"] = f"Company {serial % 31}"
    return fields


def _blacklist(serial: int, version: int) -> tuple[str, ...]:
    return BLACKLISTS[(serial + version) % len(BLACKLISTS)]


# Declarations ------------------------------------------------------------------


def write_declarations(root: Path, size: int) -> int:
    """Write the YAML files under ``root``; returns their total size in bytes."""
    root.mkdir(parents=True, exist_ok=True)
    declared = (n for n in plan_of(size) if n.declared)
    written = 0
    index = 0
    while True:
        chunk = [n for _, n in zip(range(PER_FILE), declared, strict=False)]
        if not chunk:
            return written
        text = _file_text(chunk)
        (root / f"team-{index:04d}.yaml").write_text(text, encoding="utf-8")
        written += len(text)
        index += 1


def _file_text(chunk: list[Number]) -> str:
    lines = [
        "# yaml-language-server: $schema=../schemas/directory.schema.json",
        "version: 1",
    ]
    for kind in KINDS:
        entries = [n for n in chunk if n.kind == kind]
        if entries:
            lines.append(f"{kind}:")
            for number in entries:
                lines.extend(_entry_lines(number))
    return "\n".join(lines) + "\n"


def _entry_lines(number: Number) -> list[str]:
    serial, version = number.serial, number.declared_version()
    lines = [f'  - number: "{number.spelt()}"']
    if number.kind == "dnc":
        lines.append(f'    until: "{_until(serial, version)}"')
    elif number.kind == "sticky_agents":
        lines.extend(_sticky_lines(serial, version))
    elif number.kind == "account_managers":
        lines.append(f'    manager: "{_manager(serial, version)}"')
    elif number.kind == "contacts":
        for name, value in _contact(serial, version).items():
            lines.append(f'    {name}: "{value}"')
    else:
        dids = ", ".join(f'"{did}"' for did in _blacklist(serial, version))
        lines.append(f"    dids: [{dids}]")
    if serial % 3:
        lines.append(f'    reason: "bench entry {serial}, asked on the call"')
        lines.append(f'    ticket: "CR-{serial}"')
    if serial % 7 == 0:
        lines.append('    owner: "team-support"')
    return lines


def _sticky_lines(serial: int, version: int) -> list[str]:
    scope, cli, group = _sticky_scope(serial)
    lines = [f'    agent: "{_agent(serial, version)}"', f"    scope: {scope}"]
    if cli is not None:
        lines.append(f'    cli: "{cli}"')
    if group is not None:
        lines.append(f'    group: "{group}"')
    lines.append(f'    until: "{_until(serial, version)}"')
    return lines


# The state -------------------------------------------------------------------


def write_state(path: Path, size: int) -> int:
    """The state as a previous apply left it; returns how many numbers it holds."""
    managed = {
        n.e164: {n.kind: _state_value(n.kind, n.serial)}
        for n in plan_of(size)
        if n.seeded
    }
    data = {"version": 1, "serial": 1, "written_at": 0, "numbers": managed}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    return len(managed)


def _state_value(kind: str, serial: int) -> Any:
    """What reconciler recorded when it applied version 0 of the value."""
    if kind == "dnc":
        return _expiry(serial, 0)
    if kind == "sticky_agents":
        scope, cli, group = _sticky_scope(serial)
        key = StickyKey(scope, _e164(cli) if cli else None, group)
        rule = {"agent": _agent(serial, 0), "until": _expiry(serial, 0)}
        return {key.encode(): rule}
    if kind == "account_managers":
        return _manager(serial, 0)
    if kind == "contacts":
        return _wire_contact(serial, 0)
    return sorted(_e164(did) for did in _blacklist(serial, 0))


def _expiry(serial: int, version: int) -> int:
    return expiry.parse(_until(serial, version), TIMEZONE)


def _e164(line: str) -> str:
    return numbers.normalise(line, contract.DEFAULT_REGION)


def _wire_contact(serial: int, version: int) -> dict[str, str]:
    fields = _contact(serial, version)
    year, month, day = fields["dob"].split("-")
    fields["dob"] = f"{day}-{month}-{year}"
    return fields


# The sandbox -------------------------------------------------------------------


def seed_sandbox(path: Path, size: int) -> int:
    """Write the sandbox database directly; returns how many entries it holds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    store = Store(path, durable=False)
    try:
        store.set_reference(build_reference(REFERENCE))
        return store.bulk_load(
            _sandbox_entry(n.kind, n.serial, n.stored)
            for n in plan_of(size)
            if n.seeded
        )
    finally:
        store.close()


def _sandbox_entry(kind: str, serial: int, contact: str) -> Entry:
    entry = Entry(contact=contact, updated=1_700_000_000)
    if kind == "dnc":
        entry.dnc = _expiry(serial, 0)
    elif kind == "sticky_agents":
        scope, cli, group = _sticky_scope(serial)
        stored_cli = reference_number(cli) if cli else None
        until = _expiry(serial, 0)
        entry.sticky = [StickyRule(scope, _agent(serial, 0), until, stored_cli, group)]
    elif kind == "account_managers":
        entry.acman = _manager(serial, 0)
    elif kind == "contacts":
        entry.contactinfo = _wire_contact(serial, 0)
    else:
        entry.blacklist = sorted(reference_number(d) for d in _blacklist(serial, 0))
    return entry
