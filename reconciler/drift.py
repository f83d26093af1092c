"""Drift: which side moved since the last apply, per number and kind.

Three values of each managed entry are compared: what the declarations say
(git), what the state says reconciler last applied, and what the directory
holds live. With the last-applied value as the common ancestor:

- declared = applied != live: the entry was changed live, outside git;
- live = applied != declared: the declaration changed and is not applied yet;
- all three differ: both moved (``converged`` when live already matches git).

A kind never applied has no last-applied value to tell the sides apart; a
difference between declared and live is then a declaration not applied yet.

Only managed kinds are compared (declared now, or applied before), as a plan
does. A live DNC that no declaration has is never drift to undo: DNC is not
lifted by omission, so it is reported as a candidate to adopt instead.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from reconciler import expiry, planner, render
from reconciler.declarations import (
    ACCOUNT_MANAGER,
    BLACKLIST,
    CONTACT,
    DNC,
    KINDS,
    STICKY,
    Declarations,
    StickyKey,
)
from reconciler.essence import Essence
from reconciler.state import State

LIVE = "live"
GIT = "git"
BOTH = "both"
SIDE_TEXT = {LIVE: "changed live", GIT: "changed in git", BOTH: "changed in both"}
DRIFT_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Drift:
    """One entry whose declared, applied and live values are not all equal."""

    number: str
    kind: str
    key: str
    side: str
    declared: Any
    applied: Any
    live: Any

    @property
    def converged(self) -> bool:
        return bool(self.side == BOTH and self.declared == self.live)

    def address(self) -> str:
        if self.kind == STICKY and self.key:
            return f"{self.kind}[{StickyKey.decode(self.key).label()}]"
        return self.kind

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "kind": self.kind,
            "key": self.key,
            "side": self.side,
            "converged": self.converged,
            "declared": self.declared,
            "applied": self.applied,
            "live": self.live,
        }


@dataclass(frozen=True)
class Candidate:
    """A live DNC on a managed number that no declaration has."""

    number: str
    live: int

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "kind": DNC, "live": self.live}


@dataclass
class DriftReport:
    as_of: int
    numbers_read: int
    drifts: list[Drift] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.drifts or self.candidates)

    def count(self, side: str) -> int:
        return sum(1 for d in self.drifts if d.side == side)

    def drifted_numbers(self) -> list[str]:
        return sorted({d.number for d in self.drifts})


# Comparing --------------------------------------------------------------------


def compare(
    declarations: Declarations,
    state: State,
    live: dict[str, Essence],
    now: int,
) -> DriftReport:
    """Compare the three sides of every number in ``live``."""
    report = DriftReport(as_of=now, numbers_read=len(live))
    by_number = declarations.by_number()
    for number in sorted(live):
        declared = planner.declared_kinds(by_number.get(number, []))
        applied = _unlapsed(state.kinds(number), now)
        current = live_kinds(live[number])
        for kind in KINDS:
            if kind == DNC and DNC not in declared and current[DNC] is not None:
                report.candidates.append(Candidate(number, current[DNC]))
                continue
            if kind not in declared and kind not in applied:
                continue  # not managed: whatever is live is not ours
            known = kind in applied
            for key, d, a, c in _values(kind, declared, applied, current):
                side = _side(d, a, c) if known else _unapplied_side(d, c)
                if side is not None:
                    report.drifts.append(Drift(number, kind, key, side, d, a, c))
    return report


def live_kinds(essence: Essence) -> dict[str, Any]:
    """A live essence in the state's shape, kind by kind."""
    return {
        DNC: essence.dnc,
        STICKY: {
            key.encode(): {"agent": value.agent, "until": value.until}
            for key, value in essence.sticky.items()
        },
        ACCOUNT_MANAGER: essence.manager,
        CONTACT: dict(essence.contact),
        BLACKLIST: sorted(essence.blacklist),
    }


def _unlapsed(kinds: dict[str, Any], now: int) -> dict[str, Any]:
    """The state's values with lapsed expiries dropped, as live reads do."""
    result = dict(kinds)
    if DNC in result and not expiry.is_active(result[DNC], now):
        result[DNC] = None
    if STICKY in result:
        result[STICKY] = {
            key: rule
            for key, rule in (result[STICKY] or {}).items()
            if expiry.is_active(rule["until"], now)
        }
    return result


def _values(
    kind: str,
    declared: dict[str, Any],
    applied: dict[str, Any],
    current: dict[str, Any],
) -> Iterator[tuple[str, Any, Any, Any]]:
    """(key, declared, applied, live) of each entry of ``kind``, normalised."""
    three = (declared, applied, current)
    if kind == STICKY:
        d, a, c = (s.get(STICKY) or {} for s in three)
        for key in sorted(set(d) | set(a) | set(c)):
            yield key, d.get(key), a.get(key), c.get(key)
    elif kind == CONTACT:
        d, a, c = (s.get(CONTACT) or {} for s in three)
        # Only the fields declared or applied are reconciler's to compare.
        owned = set(d) | set(a)
        yield "", _fields(d, owned), _fields(a, owned), _fields(c, owned)
    elif kind == BLACKLIST:
        d, a, c = (sorted(s.get(BLACKLIST) or ()) or None for s in three)
        yield "", d, a, c
    else:
        yield "", declared.get(kind), applied.get(kind), current.get(kind)


def _fields(contact: dict[str, str], owned: set[str]) -> dict[str, str] | None:
    return {f: v for f, v in contact.items() if f in owned} or None


def _unapplied_side(declared: Any, live: Any) -> str | None:
    # Never applied: no common ancestor, so only a pending declaration shows.
    return None if declared == live else GIT


def _side(declared: Any, applied: Any, live: Any) -> str | None:
    if declared == applied == live:
        return None
    if declared == applied:
        return LIVE
    if live == applied:
        return GIT
    return BOTH


# Rendering --------------------------------------------------------------------


def summary(report: DriftReport) -> str:
    if not report.found:
        return (
            f"No drift: declared, last applied and live agree for "
            f"{report.numbers_read} numbers."
        )
    parts = [f"{report.count(s)} {SIDE_TEXT[s]}" for s in (LIVE, GIT, BOTH)]
    parts.append(f"{len(report.candidates)} DNC to adopt")
    return (
        f"Drift: {len(report.drifted_numbers())} of {report.numbers_read} numbers; "
        + ", ".join(parts)
        + "."
    )


def footer(report: DriftReport, tz: dt.tzinfo) -> str:
    moment = dt.datetime.fromtimestamp(report.as_of, tz).isoformat(timespec="seconds")
    return (
        f"{report.numbers_read} managed or declared numbers read live as of "
        f"{moment}; entries on other numbers cannot be seen."
    )


def text(report: DriftReport, tz: dt.tzinfo) -> str:
    lines: list[str] = []
    current = None
    for drift in report.drifts:
        if drift.number != current:
            if current is not None:
                lines.append("")
            lines.append(f"  # {drift.number}")
            current = drift.number
        lines.append(f"  ~ {drift.address()}  {_describe(drift, tz)}")

    if report.candidates:
        if lines:
            lines.append("")
        lines.append(
            "Candidates to adopt: a live DNC that no declaration has "
            "(a plan never lifts it):"
        )
        lines += [
            f"  + {c.number} dnc  until {expiry.describe(c.live, tz)}  "
            f"(reconciler import {c.number})"
            for c in report.candidates
        ]
    if lines:
        lines.append("")
    lines += [summary(report), footer(report, tz)]
    return "\n".join(lines) + "\n"


def _describe(drift: Drift, tz: dt.tzinfo) -> str:
    values = ", ".join(
        f"{name} {render.describe_value(drift.kind, value, tz)}"
        for name, value in (
            ("declared", drift.declared),
            ("applied", drift.applied),
            ("live", drift.live),
        )
    )
    extra = " (live already matches git)" if drift.converged else ""
    return f"{SIDE_TEXT[drift.side]}{extra}: {values}"


def markdown(report: DriftReport, tz: dt.tzinfo) -> str:
    lines = ["### reconciler drift", "", f"**{summary(report)}**", ""]
    if report.drifts:
        lines += [
            "| number | entry | moved | declared | last applied | live |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for d in report.drifts:
            cells = [
                f"`{d.number}`",
                f"`{d.address()}`",
                SIDE_TEXT[d.side] + (" (converged)" if d.converged else ""),
                *(
                    _cell(render.describe_value(d.kind, v, tz))
                    for v in (d.declared, d.applied, d.live)
                ),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if report.candidates:
        lines += [
            "#### Candidates to adopt",
            "",
            "A live DNC that no declaration has; a plan never lifts it.",
            "",
            "| number | live DNC |",
            "| --- | --- |",
        ]
        lines += [
            f"| `{c.number}` | {_cell(expiry.describe(c.live, tz))} |"
            for c in report.candidates
        ]
        lines.append("")
    lines.append(f"_{footer(report, tz)}_")
    return "\n".join(lines) + "\n"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def json_text(report: DriftReport) -> str:
    data = {
        "format_version": DRIFT_FORMAT_VERSION,
        "as_of": report.as_of,
        "numbers_read": report.numbers_read,
        "drift": report.found,
        "summary": {
            **{side: report.count(side) for side in (LIVE, GIT, BOTH)},
            "candidates": len(report.candidates),
        },
        "changes": [d.to_dict() for d in report.drifts],
        "candidates": [c.to_dict() for c in report.candidates],
    }
    return json.dumps(data, indent=2) + "\n"
