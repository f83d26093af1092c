"""Renderers: a Plan as text (like `terraform plan`), Markdown or JSON."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from reconciler import expiry
from reconciler.declarations import DNC, STICKY, StickyKey
from reconciler.plan import CREATE, DELETE, UPDATE, Change, Plan

SYMBOLS = {CREATE: "+", UPDATE: "~", DELETE: "-"}
COLOURS = {CREATE: "green", UPDATE: "yellow", DELETE: "red"}
PLAN_FORMAT_VERSION = 1


def describe_value(kind: str, value: Any, tz: dt.tzinfo) -> str:
    """A short human form of a change's before or after value."""
    if value is None:
        return "(none)"
    if kind == DNC:
        return f"until {expiry.describe(value, tz)}"
    if kind == STICKY:
        return f"agent {value['agent']}, until {expiry.describe(value['until'], tz)}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v!r}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    return repr(value)


def describe_change(change: Change, tz: dt.tzinfo) -> str:
    before = describe_value(change.kind, change.before, tz)
    after = describe_value(change.kind, change.after, tz)
    if change.action == CREATE:
        return after
    if change.action == DELETE:
        return before
    return f"{before} -> {after}"


def address(change: Change) -> str:
    if change.kind == STICKY and change.key:
        return f"{change.kind}[{StickyKey.decode(change.key).label()}]"
    return change.address


def as_of_text(plan: Plan, tz: dt.tzinfo) -> str:
    return dt.datetime.fromtimestamp(plan.as_of, tz).isoformat(timespec="seconds")


def scope_footer(plan: Plan, tz: dt.tzinfo) -> str:
    source = "read live" if plan.refreshed else "taken from the state, NOT read live"
    return (
        f"{plan.numbers_read} numbers {source} as of {as_of_text(plan, tz)}; "
        "entries created outside reconciler on other numbers cannot be seen."
    )


def kind_counts(plan: Plan) -> list[str]:
    lines = []
    for kind, counts in sorted(plan.counts_by_kind().items()):
        parts = [f"{counts[a]} to {a}" for a in (CREATE, UPDATE, DELETE) if counts[a]]
        lines.append(f"{kind}: " + ", ".join(parts))
    return lines


def text(plan: Plan, tz: dt.tzinfo, colour: bool = False) -> str:
    """The plan as a terminal reads it; ``colour`` adds rich markup."""
    lines: list[str] = []
    if not plan.refreshed:
        lines += ["Offline plan: live state was not read (--no-refresh).", ""]
    for warning in plan.warnings:
        lines.append(f"Warning: {warning}")
    if plan.warnings:
        lines.append("")

    if plan.empty:
        lines.append("No changes. The live directory matches the declarations.")
    else:
        lines += ["reconciler will perform the following changes:", ""]
        lines += _change_lines(plan, tz, colour)

    if plan.notes:
        lines += ["", "Notes:"]
        lines += [f"  {n.number} {n.kind}: {n.message}" for n in plan.notes]

    lines += ["", plan.summary()]
    lines += [f"  {line}" for line in kind_counts(plan)]
    lines.append(scope_footer(plan, tz))
    return "\n".join(lines) + "\n"


def _change_lines(plan: Plan, tz: dt.tzinfo, colour: bool) -> list[str]:
    lines: list[str] = []
    for number, changes in plan.by_number().items():
        lines.append(f"  # {number}")
        width = max(len(address(c)) for c in changes)
        for change in changes:
            symbol = SYMBOLS[change.action]
            if colour:
                symbol = f"[{COLOURS[change.action]}]{symbol}[/]"
            line = (
                f"  {symbol} {address(change):<{width}}  {describe_change(change, tz)}"
            )
            lines.append(line)
        lines.append("")
    return lines[:-1]


def to_json_data(plan: Plan) -> dict[str, Any]:
    counts = plan.counts()
    return {
        "format_version": PLAN_FORMAT_VERSION,
        "as_of": plan.as_of,
        "refreshed": plan.refreshed,
        "numbers_read": plan.numbers_read,
        "summary": {a: counts[a] for a in (CREATE, UPDATE, DELETE)},
        "changes": [change.to_dict() for change in plan.changes],
        "notes": [
            {"number": n.number, "kind": n.kind, "message": n.message}
            for n in plan.notes
        ],
        "warnings": plan.warnings,
    }


def json_text(plan: Plan) -> str:
    return json.dumps(to_json_data(plan), indent=2) + "\n"
