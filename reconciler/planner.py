"""The planner: compare declared, managed and live, and build a Plan.

Ownership is per number and kind. A kind of a number is managed when it is
declared now or the state says reconciler applied it before; only managed
kinds are changed, and for those the declarations are the whole truth (a
live sticky rule that is not declared is removed). DNC is the exception: it
is never lifted by omission, only by an explicit ``ensure: absent``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler import contract, numbers
from reconciler.declarations import (
    ACCOUNT_MANAGER,
    BLACKLIST,
    CONTACT,
    DNC,
    STICKY,
    Declarations,
    Entry,
    StickyKey,
    StickyValue,
)
from reconciler.errors import ApiError
from reconciler.essence import Essence
from reconciler.plan import CREATE, DELETE, UPDATE, ApiCall, Change, Note, Plan
from reconciler.state import State

log = logging.getLogger(__name__)


@dataclass
class NumberPlan:
    changes: list[Change] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


# A planner's step for one kind: (number, its entries of the kind, the state's
# record of the number, live, the plan to add to).
_Step = Callable[[str, list[Entry], dict[str, Any], Essence, NumberPlan], None]


class Planner:
    """Builds the changes of one number at a time; knows the wire shapes."""

    def __init__(self, wire_format: str = contract.WIRE_NUMBER_FORMAT) -> None:
        self.wire_format = wire_format
        # In the order of the kinds; `plan_number` says when each is taken.
        self._steps: tuple[tuple[str, _Step], ...] = (
            (DNC, self._dnc),
            (STICKY, self._sticky),
            (ACCOUNT_MANAGER, self._manager),
            (CONTACT, self._contact),
            (BLACKLIST, self._blacklist),
        )

    def wire(self, number: str) -> str:
        return numbers.to_wire(number, self.wire_format)

    def plan_number(
        self,
        number: str,
        entries: list[Entry],
        applied: dict[str, Any],
        live: Essence,
    ) -> NumberPlan:
        """The changes and notes that bring ``live`` to ``entries``.

        ``applied`` is the state's record for the number, kind by kind: the
        kinds it holds are managed (see `declared_kinds`).
        """
        by_kind: dict[str, list[Entry]] = {}
        for entry in entries:
            by_kind.setdefault(entry.kind, []).append(entry)

        result = NumberPlan()
        for kind, step in self._steps:
            # A kind neither declared nor managed is not ours: its step would
            # find nothing to do, and most numbers hold only one kind.
            if kind in by_kind or kind in applied:
                step(number, by_kind.get(kind, []), applied, live, result)
        return result

    # DNC -----------------------------------------------------------------

    def _dnc(
        self,
        number: str,
        entries: list[Entry],
        applied: dict[str, Any],
        live: Essence,
        result: NumberPlan,
    ) -> None:
        if not entries:
            if DNC in applied and live.dnc is not None:
                result.notes.append(
                    Note(
                        number,
                        DNC,
                        "no longer declared: released from management, "
                        "the DNC stays in place (lift it with `ensure: absent`)",
                    )
                )
            return

        entry = entries[0]
        if entry.present and live.dnc != entry.value:
            action = CREATE if live.dnc is None else UPDATE
            call = self._call("setDnc", number, dnc=entry.value)
            result.changes.append(
                self._change(entry, action, live.dnc, entry.value, (call,))
            )
        elif not entry.present and live.dnc is not None:
            call = self._call("setDnc", number, dnc=contract.DNC_NONE)
            result.changes.append(self._change(entry, DELETE, live.dnc, None, (call,)))

    # Sticky agents -------------------------------------------------------

    def _sticky(
        self,
        number: str,
        entries: list[Entry],
        applied: dict[str, Any],
        live: Essence,
        result: NumberPlan,
    ) -> None:
        wanted = {e.key: e for e in entries if e.present and e.key is not None}
        lifted = {e.key: e for e in entries if not e.present and e.key is not None}
        authoritative = STICKY in applied or bool(wanted)

        for key, current in sorted(live.sticky.items()):
            entry = wanted.get(key)
            if entry is not None:
                if entry.value != current:
                    call = self._set_sticky(number, key, entry.value)
                    result.changes.append(
                        self._change(
                            entry,
                            UPDATE,
                            _sticky_json(current),
                            _sticky_json(entry.value),
                            (call,),
                        )
                    )
            elif authoritative or key in lifted:
                call = self._remove_sticky(number, key, current)
                result.changes.append(
                    Change(
                        number,
                        STICKY,
                        DELETE,
                        key.encode(),
                        _sticky_json(current),
                        None,
                        (call,),
                        **_origin(lifted.get(key)),
                    )
                )

        for key, entry in sorted(wanted.items()):
            if key not in live.sticky:
                call = self._set_sticky(number, key, entry.value)
                result.changes.append(
                    self._change(
                        entry, CREATE, None, _sticky_json(entry.value), (call,)
                    )
                )

    def _set_sticky(self, number: str, key: StickyKey, value: StickyValue) -> ApiCall:
        return self._call(
            "setSticky",
            number,
            agentId=value.agent,
            type=key.scope,
            expiry=value.until,
            **self._sticky_identity(key),
        )

    def _remove_sticky(
        self, number: str, key: StickyKey, current: StickyValue
    ) -> ApiCall:
        return self._call(
            "removeSticky",
            number,
            type=key.scope,
            agentId=current.agent,
            **self._sticky_identity(key),
        )

    def _sticky_identity(self, key: StickyKey) -> dict[str, str]:
        fields = {}
        if key.cli:
            fields["cli"] = self.wire(key.cli)
        if key.group:
            fields["groupid"] = key.group
        return fields

    # Account managers ----------------------------------------------------

    def _manager(
        self,
        number: str,
        entries: list[Entry],
        applied: dict[str, Any],
        live: Essence,
        result: NumberPlan,
    ) -> None:
        entry = entries[0] if entries else None
        if entry is not None and entry.present:
            if live.manager != entry.value:
                action = CREATE if live.manager is None else UPDATE
                call = self._call("setAM", number, AcManId=entry.value)
                result.changes.append(
                    self._change(entry, action, live.manager, entry.value, (call,))
                )
            return

        managed = ACCOUNT_MANAGER in applied
        if (entry is not None or managed) and live.manager is not None:
            call = self._call("unsetAm", number)
            result.changes.append(
                Change(
                    number,
                    ACCOUNT_MANAGER,
                    DELETE,
                    "",
                    live.manager,
                    None,
                    (call,),
                    **_origin(entry),
                )
            )

    # Contact fields ------------------------------------------------------

    def _contact(
        self,
        number: str,
        entries: list[Entry],
        applied: dict[str, Any],
        live: Essence,
        result: NumberPlan,
    ) -> None:
        entry = entries[0] if entries else None
        desired = dict(entry.value) if entry is not None and entry.present else {}
        if entry is not None and not entry.present:
            owned = set(live.contact)
        else:
            owned = set(desired) | set(applied.get(CONTACT) or {})
        if not owned:
            return

        target = {name: desired.get(name, "") for name in sorted(owned)}
        changed = {
            name: value
            for name, value in target.items()
            if live.contact.get(name, "") != value
        }
        if not changed:
            return

        before = {n: live.contact[n] for n in sorted(owned) if n in live.contact}
        after = {n: v for n, v in target.items() if v}
        if not live.exists:
            action, call = CREATE, self._call("create", number, contactinfo=changed)
        else:
            action = DELETE if not after else (UPDATE if before else CREATE)
            call = self._call("update", number, contactinfo=changed)
        result.changes.append(
            Change(
                number,
                CONTACT,
                action,
                "",
                before or None,
                after or None,
                (call,),
                **_origin(entry),
            )
        )

    # Blacklist -----------------------------------------------------------

    def _blacklist(
        self,
        number: str,
        entries: list[Entry],
        applied: dict[str, Any],
        live: Essence,
        result: NumberPlan,
    ) -> None:
        entry = entries[0] if entries else None
        if entry is not None and entry.present:
            desired: frozenset[str] = entry.value
        elif entry is not None or BLACKLIST in applied:
            desired = frozenset()
        else:
            return
        if desired == live.blacklist:
            return

        action = CREATE if not live.blacklist else UPDATE if desired else DELETE
        dids = sorted(self.wire(did) for did in desired)
        call = self._call("Blacklist", number, DID=dids)
        result.changes.append(
            Change(
                number,
                BLACKLIST,
                action,
                "",
                sorted(live.blacklist) or None,
                sorted(desired) or None,
                (call,),
                **_origin(entry),
            )
        )

    # Helpers -------------------------------------------------------------

    def _call(self, action: str, number: str, **params: Any) -> ApiCall:
        return ApiCall(action, {"contact": self.wire(number), **params})

    def _change(
        self,
        entry: Entry,
        action: str,
        before: Any,
        after: Any,
        calls: tuple[ApiCall, ...],
    ) -> Change:
        key = entry.key.encode() if entry.key is not None else ""
        return Change(
            entry.number,
            entry.kind,
            action,
            key,
            before,
            after,
            calls,
            **_origin(entry),
        )


def _origin(entry: Entry | None) -> dict[str, Any]:
    if entry is None:
        return {}
    meta = {
        name: value
        for name, value in (
            ("reason", entry.meta.reason),
            ("ticket", entry.meta.ticket),
            ("owner", entry.meta.owner),
        )
        if value
    }
    return {"meta": meta, "location": str(entry.location)}


def _sticky_json(value: StickyValue) -> dict[str, Any]:
    return {"agent": value.agent, "until": value.until}


# Building a whole plan ----------------------------------------------------


def scope(declarations: Declarations, state: State) -> list[str]:
    """Every number to read: declared now or managed before."""
    # The state keeps its numbers sorted, so the sort mostly merges the
    # numbers declared since into that run: a third of the time of sorting
    # one set of them all, on a large directory.
    unmanaged = declarations.numbers() - state.numbers.keys()
    return sorted([*state.numbers, *unmanaged])


def build(
    declarations: Declarations,
    state: State,
    live: Mapping[str, Essence],
    now: int,
    wire_format: str = contract.WIRE_NUMBER_FORMAT,
    refreshed: bool = True,
) -> Plan:
    planner = Planner(wire_format)
    by_number = declarations.by_number()
    changes: list[Change] = []
    notes: list[Note] = []
    desired: dict[str, dict[str, Any]] = {}

    for number in sorted(live):
        entries = by_number.get(number, [])
        applied = state.kinds(number)
        desired[number] = declared_kinds(entries)
        if not refreshed and desired[number] == applied:
            # Offline, ``live`` is what the state records as applied: when
            # that is what is declared, there is nothing to change or note.
            continue
        part = planner.plan_number(number, entries, applied, live[number])
        changes.extend(part.changes)
        notes.extend(part.notes)

    log.info("planned %d changes over %d numbers", len(changes), len(live))
    plan = Plan(
        changes=changes,
        as_of=now,
        numbers_read=len(live),
        notes=notes,
        # "Warning:" heads each of them where they are shown.
        warnings=[f"{w.location}: {w.described()}" for w in declarations.warnings],
        refreshed=refreshed,
        # What was read, for a saved plan; an offline plan read nothing.
        fingerprints={n: e.fingerprint() for n, e in live.items()} if refreshed else {},
        desired=desired,
    )
    # Like the state (see State.read), the plan lives as long as the command
    # and holds no cycles: keep the collector from walking its many objects
    # again on each pass while it is rendered or applied.
    gc.freeze()
    return plan


def declared_kinds(entries: list[Entry]) -> dict[str, Any]:
    """The state's record of what ``entries`` declare, kind by kind.

    An ``ensure: absent`` entry is recorded too (as None or empty), so the
    kind stays managed while the declaration says it must stay absent.
    """
    kinds: dict[str, Any] = {}
    for entry in entries:
        if entry.kind == STICKY:
            rules = kinds.setdefault(STICKY, {})
            if entry.present and entry.key is not None:
                rules[entry.key.encode()] = _sticky_json(entry.value)
        elif entry.kind == CONTACT:
            kinds[CONTACT] = dict(entry.value) if entry.present else {}
        elif entry.kind == BLACKLIST:
            kinds[BLACKLIST] = sorted(entry.value) if entry.present else []
        else:
            kinds[entry.kind] = entry.value
    return kinds


async def read_live(
    client: Any,
    numbers_: Iterable[str],
    now: int,
    workers: int,
    advance: Callable[[int], None] | None = None,
    failures: dict[str, ApiError] | None = None,
) -> dict[str, Essence]:
    """Read every number through a bounded pool of workers.

    A read that fails raises, unless ``failures`` is given: the number's
    error then goes there and the other numbers are still read.
    """
    queue: asyncio.Queue[str] = asyncio.Queue()
    for number in numbers_:
        queue.put_nowait(number)
    result: dict[str, Essence] = {}

    async def worker() -> None:
        while True:
            try:
                number = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                result[number] = await client.read(number, now)
            except ApiError as exc:
                if failures is None:
                    raise
                failures[number] = exc
            log.debug("read %s", number)
            if advance is not None:
                advance(1)

    await asyncio.gather(*(worker() for _ in range(max(1, workers))))
    return result


def from_state(kinds: dict[str, Any]) -> Essence:
    """The essence the state says was last applied, for offline plans."""
    sticky = {
        StickyKey.decode(key): StickyValue(value["agent"], value["until"])
        for key, value in (kinds.get(STICKY) or {}).items()
    }
    return Essence(
        exists=True,
        dnc=kinds.get(DNC),
        sticky=sticky,
        manager=kinds.get(ACCOUNT_MANAGER),
        contact=dict(kinds.get(CONTACT) or {}),
        blacklist=frozenset(kinds.get(BLACKLIST) or ()),
    )


def holds(change: Change, live: Essence) -> bool:
    """True when ``live`` already shows what ``change`` was meant to bring."""
    after = change.after
    if change.kind == DNC:
        return bool(live.dnc == after)
    if change.kind == STICKY:
        rule = live.sticky.get(StickyKey.decode(change.key))
        return bool((None if rule is None else _sticky_json(rule)) == after)
    if change.kind == ACCOUNT_MANAGER:
        return bool(live.manager == after)
    if change.kind == CONTACT:
        fields = set(change.before or {}) | set(after or {})
        wanted = after or {}
        return all(live.contact.get(f) == wanted.get(f) for f in fields)
    return bool((sorted(live.blacklist) or None) == after)
