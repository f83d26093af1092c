"""SQLite storage of the sandbox directory, and the entry semantics.

One row per entry in ``entries`` (keyed by the stored form of the number) and
one row per sticky rule in ``sticky`` (keyed by the entry and the rule's
identity), so that reading or writing one contact is a primary-key lookup even
with millions of entries. The account's reference data lives in ``reference``.

All access goes through one connection guarded by a lock; every write request
is one transaction, committed before the call returns.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler import contract
from reconciler.errors import SandboxError
from reconciler.sandbox.reference import Agent, Group, Reference, default_reference
from reconciler.sandbox.validate import ApiError

logger = logging.getLogger(__name__)

Code = contract.Code

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    contact TEXT PRIMARY KEY,
    contactinfo TEXT NOT NULL DEFAULT '{}',
    other TEXT NOT NULL DEFAULT '{}',
    dnc INTEGER NOT NULL DEFAULT 0,
    blacklist TEXT NOT NULL DEFAULT '[]',
    acman TEXT,
    updated INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sticky (
    contact TEXT NOT NULL,
    type TEXT NOT NULL,
    cli TEXT NOT NULL DEFAULT '',
    groupid TEXT NOT NULL DEFAULT '',
    agent_id TEXT NOT NULL,
    expiry INTEGER NOT NULL,
    PRIMARY KEY (contact, type, cli, groupid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reference (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    data TEXT NOT NULL
);
"""

_ENTRY_COLUMNS = "contact, contactinfo, other, dnc, blacklist, acman, updated"


@dataclass(frozen=True)
class StickyRule:
    """One sticky-agent rule; ``cli``/``groupid`` are None where not used."""

    type: str
    agent_id: str
    expiry: int
    cli: str | None = None
    groupid: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "agentId": self.agent_id,
            "groupid": self.groupid,
            "cli": self.cli,
            "expiry": self.expiry,
        }


@dataclass
class Entry:
    """One directory entry as stored."""

    contact: str
    contactinfo: dict[str, str] = field(default_factory=dict)
    other: dict[str, Any] = field(default_factory=dict)
    dnc: int = contract.DNC_NONE
    blacklist: list[str] = field(default_factory=list)
    acman: str | None = None
    sticky: list[StickyRule] = field(default_factory=list)
    updated: int = 0

    def to_wire(self) -> dict[str, Any]:
        """The ``data`` object of getInfo with ``field: "all"``."""
        other = dict(self.other)
        if self.updated:
            other["updatetime"] = _ddmmyyyy(self.updated)
        return {
            "contact": self.contact,
            "contactinfo": dict(self.contactinfo),
            "dnc": self.dnc,
            "blacklist": list(self.blacklist),
            "sticky": [rule.to_wire() for rule in self.sticky],
            "AcManId": self.acman,
            "other": other,
        }


@dataclass(frozen=True)
class WriteResult:
    """What a write returns: the response ``data`` and whether it changed."""

    data: dict[str, Any]
    changed: bool


class Store:
    """The sandbox directory on SQLite. Thread-safe; one writer at a time."""

    def __init__(self, path: str | Path, *, durable: bool = True) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None
        )
        try:
            self._open(durable)
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise SandboxError(
                f"{self.path}: not a sandbox database ({exc}); move it away or "
                "delete it, and the sandbox starts with an empty one"
            ) from None
        logger.info("sandbox store open at %s", self.path)

    def _open(self, durable: bool) -> None:
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL syncs the WAL on every commit: an answered write survives a
        # crash of the machine, not only of the process.
        self._conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._conn.executescript(_SCHEMA)
        self._reference = self._load_reference() or default_reference()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cursor = self._conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    # Reference data

    @property
    def reference(self) -> Reference:
        return self._reference

    def set_reference(self, reference: Reference) -> None:
        """Replace the account's reference data (persisted)."""
        data = json.dumps(_reference_to_json(reference))
        with self._transaction() as cursor:
            cursor.execute(
                "INSERT OR REPLACE INTO reference (id, data) VALUES (1, ?)", (data,)
            )
        self._reference = reference

    def _load_reference(self) -> Reference | None:
        row = self._conn.execute("SELECT data FROM reference WHERE id = 1").fetchone()
        return None if row is None else _reference_from_json(json.loads(row[0]))

    # Reads

    def count(self) -> int:
        with self._lock:
            row = self._conn.execute("SELECT count(*) FROM entries").fetchone()
        return int(row[0])

    def get(self, contact: str) -> Entry | None:
        """The entry of a stored-form number, or None."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE contact = ?", (contact,)
            ).fetchone()
            if row is None:
                return None
            return _entry_from_row(row, self._rules(self._conn.cursor(), contact))

    def entry(self, contact: str) -> Entry:
        """Like :meth:`get`, but 1012 when there is no entry."""
        found = self.get(contact)
        if found is None:
            raise ApiError(Code.NO_DATA)
        return found

    def _rules(self, cursor: sqlite3.Cursor, contact: str) -> list[StickyRule]:
        rows = cursor.execute(
            "SELECT type, agent_id, expiry, cli, groupid FROM sticky"
            " WHERE contact = ? ORDER BY type, cli, groupid",
            (contact,),
        )
        return [
            StickyRule(kind, agent, expiry, cli or None, groupid or None)
            for kind, agent, expiry, cli, groupid in rows
        ]

    # Writes

    def create(
        self, contact: str, contactinfo: dict[str, str], other: dict[str, Any]
    ) -> WriteResult:
        """Add an entry; 1504 when the number already has one."""
        info = {name: value for name, value in contactinfo.items() if value}
        with self._transaction() as cursor:
            cursor.execute(
                "INSERT OR IGNORE INTO entries (contact, contactinfo, other, updated)"
                " VALUES (?, ?, ?, ?)",
                (contact, _dumps(info), _dumps(other), _now()),
            )
            if cursor.rowcount != 1:
                raise ApiError(Code.CREATE_FAILED)
        return WriteResult({"contact": contact, "contactinfo": info}, True)

    def update(
        self, contact: str, contactinfo: dict[str, str], other: dict[str, Any]
    ) -> WriteResult:
        """Merge fields into an existing entry; 1012 when there is none."""
        with self._transaction() as cursor:
            row = cursor.execute(
                "SELECT contactinfo, other FROM entries WHERE contact = ?", (contact,)
            ).fetchone()
            if row is None:
                raise ApiError(Code.NO_DATA)

            old_info, old_other = json.loads(row[0]), json.loads(row[1])
            info = _merge_info(old_info, contactinfo)
            merged_other = {**old_other, **other}
            changed = info != old_info or merged_other != old_other
            if changed:
                cursor.execute(
                    "UPDATE entries SET contactinfo = ?, other = ?, updated = ?"
                    " WHERE contact = ?",
                    (_dumps(info), _dumps(merged_other), _now(), contact),
                )
        return WriteResult({"contact": contact, "contactinfo": info}, changed)

    def set_dnc(self, contact: str, dnc: int) -> WriteResult:
        """Overwrite the DNC value, creating the entry when needed."""
        changed = self._set_column(contact, "dnc", dnc)
        return WriteResult({"contact": contact, "dnc": dnc}, changed)

    def set_blacklist(self, contact: str, dids: list[str]) -> WriteResult:
        """Replace the contact's blacklist (empty clears it)."""
        changed = self._set_column(contact, "blacklist", _dumps(dids))
        return WriteResult({"contact": contact, "blacklist": dids}, changed)

    def set_am(self, contact: str, acman: str) -> WriteResult:
        """Assign the account manager, creating the entry when needed."""
        changed = self._set_column(contact, "acman", acman)
        return WriteResult({"contact": contact, "AcManId": acman}, changed)

    def unset_am(self, contact: str) -> WriteResult:
        """Clear the account manager; a no-op when there is none or no entry."""
        with self._transaction() as cursor:
            cursor.execute(
                "UPDATE entries SET acman = NULL, updated = ?"
                " WHERE contact = ? AND acman IS NOT NULL",
                (_now(), contact),
            )
            changed = cursor.rowcount > 0
        return WriteResult({"contact": contact, "AcManId": None}, changed)

    def _set_column(self, contact: str, column: str, value: object) -> bool:
        # column is one of a fixed set of names chosen by this class, never
        # taken from a request.
        with self._transaction() as cursor:
            created = self._ensure(cursor, contact)
            cursor.execute(
                f"UPDATE entries SET {column} = ?, updated = ?"
                f" WHERE contact = ? AND {column} IS NOT ?",
                (value, _now(), contact, value),
            )
            return created or cursor.rowcount > 0

    def set_sticky(self, contact: str, rule: StickyRule) -> WriteResult:
        """Add a rule, or replace agent and expiry of the same identity."""
        key = (contact, rule.type, rule.cli or "", rule.groupid or "")
        with self._transaction() as cursor:
            created = self._ensure(cursor, contact)
            row = cursor.execute(
                "SELECT agent_id, expiry FROM sticky WHERE contact = ? AND type = ?"
                " AND cli = ? AND groupid = ?",
                key,
            ).fetchone()
            changed = created or row != (rule.agent_id, rule.expiry)
            if row != (rule.agent_id, rule.expiry):
                cursor.execute(
                    "INSERT OR REPLACE INTO sticky"
                    " (contact, type, cli, groupid, agent_id, expiry)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (*key, rule.agent_id, rule.expiry),
                )
                self._touch(cursor, contact)
        return WriteResult({"contact": contact, "sticky": rule.to_wire()}, changed)

    def remove_sticky(
        self,
        contact: str,
        kind: str,
        cli: str | None,
        groupid: str | None,
        agent_id: str | None,
    ) -> WriteResult:
        """Remove the rule of exactly this identity (and agent, when given)."""
        sql = (
            "DELETE FROM sticky WHERE contact = ? AND type = ? AND cli = ?"
            " AND groupid = ?"
        )
        params: list[str] = [contact, kind, cli or "", groupid or ""]
        if agent_id is not None:
            sql += " AND agent_id = ?"
            params.append(agent_id)
        with self._transaction() as cursor:
            cursor.execute(sql, params)
            removed = cursor.rowcount
            if removed:
                self._touch(cursor, contact)
        return WriteResult({"contact": contact, "removed": removed}, removed > 0)

    def _ensure(self, cursor: sqlite3.Cursor, contact: str) -> bool:
        """Create an empty entry if there is none; True when it was created."""
        cursor.execute(
            "INSERT OR IGNORE INTO entries (contact, updated) VALUES (?, ?)",
            (contact, _now()),
        )
        return cursor.rowcount == 1

    def _touch(self, cursor: sqlite3.Cursor, contact: str) -> None:
        cursor.execute(
            "UPDATE entries SET updated = ? WHERE contact = ?", (_now(), contact)
        )

    # Bulk loading

    def bulk_load(self, entries: Iterable[Entry]) -> int:
        """Insert or replace many entries in one transaction; returns the count.

        Contacts must already be in stored form. Replacing an entry also
        replaces its sticky rules, so loading the same entries twice leaves
        the same state.
        """
        rules: list[tuple[str, str, str, str, str, int]] = []
        contacts: list[tuple[str]] = []

        def rows() -> Iterator[tuple[Any, ...]]:
            for entry in entries:
                contacts.append((entry.contact,))
                rules.extend(_rule_row(entry.contact, rule) for rule in entry.sticky)
                yield _entry_row(entry)

        with self._transaction() as cursor:
            had_rules = cursor.execute("SELECT 1 FROM sticky LIMIT 1").fetchone()
            cursor.executemany(
                f"INSERT OR REPLACE INTO entries ({_ENTRY_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows(),
            )
            if had_rules:
                cursor.executemany("DELETE FROM sticky WHERE contact = ?", contacts)
            cursor.executemany(
                "INSERT OR REPLACE INTO sticky"
                " (contact, type, cli, groupid, agent_id, expiry)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rules,
            )
        logger.info("bulk-loaded %d entries into %s", len(contacts), self.path)
        return len(contacts)


def _merge_info(old: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    merged = dict(old)
    for name, value in new.items():
        if value:
            merged[name] = value
        else:
            merged.pop(name, None)
    return merged


def _entry_from_row(row: tuple[Any, ...], rules: list[StickyRule]) -> Entry:
    contact, info, other, dnc, blacklist, acman, updated = row
    return Entry(
        contact=contact,
        contactinfo=json.loads(info),
        other=json.loads(other),
        dnc=dnc,
        blacklist=json.loads(blacklist),
        acman=acman,
        sticky=rules,
        updated=updated,
    )


def _entry_row(entry: Entry) -> tuple[Any, ...]:
    return (
        entry.contact,
        _dumps(entry.contactinfo),
        _dumps(entry.other),
        entry.dnc,
        _dumps(entry.blacklist),
        entry.acman,
        entry.updated or _now(),
    )


def _rule_row(contact: str, rule: StickyRule) -> tuple[str, str, str, str, str, int]:
    return (
        contact,
        rule.type,
        rule.cli or "",
        rule.groupid or "",
        rule.agent_id,
        rule.expiry,
    )


def _reference_to_json(reference: Reference) -> dict[str, Any]:
    return {
        "clis": sorted(reference.clis),
        "dids": sorted(reference.dids),
        "agents": [[a.id, a.name] for a in reference.agents.values()],
        "groups": [[g.id, g.name, list(g.agents)] for g in reference.groups.values()],
    }


def _reference_from_json(data: dict[str, Any]) -> Reference:
    return Reference(
        clis=frozenset(data["clis"]),
        dids=frozenset(data["dids"]),
        agents={a[0]: Agent(a[0], a[1]) for a in data["agents"]},
        groups={g[0]: Group(g[0], g[1], tuple(g[2])) for g in data["groups"]},
    )


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _now() -> int:
    return int(time.time())


def _ddmmyyyy(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d-%m-%Y")
