"""A Plan: the changes that bring the live directory to the declarations."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

CREATE = "create"
UPDATE = "update"
DELETE = "delete"
ACTIONS = (CREATE, UPDATE, DELETE)
_ACTION_ORDER = {CREATE: 0, UPDATE: 1, DELETE: 2}


@dataclass(frozen=True)
class ApiCall:
    """One request a change implies: the action and its business fields.

    Credentials are never part of it; the client adds them on the wire.
    """

    action: str
    params: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "params": self.params}


@dataclass(frozen=True)
class Change:
    """One number's one entry going from ``before`` to ``after``.

    ``key`` tells apart the entries of a kind that a number may hold several
    of (sticky rules); it is empty for the others. ``before`` and ``after``
    are plain JSON values; None means absent.
    """

    number: str
    kind: str
    action: str
    key: str
    before: Any
    after: Any
    calls: tuple[ApiCall, ...]
    meta: dict[str, str] = field(default_factory=dict)
    location: str = ""

    @property
    def address(self) -> str:
        suffix = f"[{self.key}]" if self.key else ""
        return f"{self.kind}{suffix}"

    def sort_key(self) -> tuple[str, str, str, int]:
        return (self.number, self.kind, self.key, _ACTION_ORDER[self.action])

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "kind": self.kind,
            "key": self.key,
            "action": self.action,
            "before": self.before,
            "after": self.after,
            "calls": [call.to_dict() for call in self.calls],
            "meta": self.meta,
            "location": self.location,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Change:
        return cls(
            number=data["number"],
            kind=data["kind"],
            action=data["action"],
            key=data["key"],
            before=data["before"],
            after=data["after"],
            calls=tuple(ApiCall(c["action"], c["params"]) for c in data["calls"]),
            meta=data.get("meta", {}),
            location=data.get("location", ""),
        )


@dataclass(frozen=True)
class Note:
    """Something a reviewer must know that is not a change."""

    number: str
    kind: str
    message: str


@dataclass
class Plan:
    """The ordered changes, with what the plan was computed against."""

    changes: list[Change]
    as_of: int
    numbers_read: int
    notes: list[Note] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refreshed: bool = True
    # What was read for each number, to detect a stale saved plan.
    fingerprints: dict[str, str] = field(default_factory=dict)
    # The declared value of every kind of every number in scope, as the state
    # records it once all of that number's changes are applied.
    desired: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The SHA-256 of the declaration files the plan was computed from.
    digest: str = ""
    # The numbers and kinds a targeted plan was narrowed to (--only and so on).
    targets: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.changes.sort(key=Change.sort_key)
        self.notes.sort(key=lambda n: (n.number, n.kind))

    @property
    def empty(self) -> bool:
        return not self.changes

    def counts(self) -> Counter[str]:
        return Counter(change.action for change in self.changes)

    def counts_by_kind(self) -> dict[str, Counter[str]]:
        pairs = Counter((change.kind, change.action) for change in self.changes)
        result: dict[str, Counter[str]] = {}
        for (kind, action), count in pairs.items():
            result.setdefault(kind, Counter())[action] = count
        return result

    def summary(self) -> str:
        counts = self.counts()
        return (
            f"Plan: {counts[CREATE]} to create, {counts[UPDATE]} to update, "
            f"{counts[DELETE]} to delete."
        )

    def by_number(self) -> dict[str, list[Change]]:
        grouped: dict[str, list[Change]] = {}
        for change in self.changes:
            grouped.setdefault(change.number, []).append(change)
        return grouped
