"""Reports over the declarations: entries about to lapse.

An entry whose `until` passes stops being sent and counts as absent, so a
DNC or sticky rule ends quietly. The expiring report lists those that end
within a window, grouped by the file that declares them and the owner named
on the entry, so each team sees what it has to renew or let go.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from reconciler import expiry
from reconciler.declarations import DNC, STICKY, Declarations, Entry
from reconciler.errors import SettingsError

UNITS = {"h": 3600, "d": 86400, "w": 7 * 86400}
# About a hundred years: no `until` is further away than a lifetime's work.
MAX_WINDOW = 5200 * UNITS["w"]
NO_OWNER = "(no owner)"
REPORT_FORMAT_VERSION = 1

_WINDOW = re.compile(r"^\s*(\d{1,9})\s*([hdw])\s*$", re.IGNORECASE)


def parse_window(text: str) -> int:
    """``14d``, ``36h`` or ``2w`` as seconds; SettingsError otherwise."""
    match = _WINDOW.match(text)
    if match is None:
        raise SettingsError(
            f"--within {text!r} is not a duration; write a whole number "
            "followed by h, d or w, such as 14d"
        )
    seconds = int(match.group(1)) * UNITS[match.group(2).lower()]
    if seconds > MAX_WINDOW:
        raise SettingsError(
            f"--within {text!r} is longer than {MAX_WINDOW // UNITS['w']}w "
            "(about 100 years); permanent entries never lapse, so no window "
            "needs to be longer"
        )
    return seconds


@dataclass(frozen=True)
class Expiring:
    """One declared entry that lapses within the window."""

    entry: Entry
    until: int

    @property
    def file(self) -> str:
        return self.entry.location.path

    @property
    def owner(self) -> str:
        return self.entry.meta.owner or NO_OWNER

    def address(self) -> str:
        key = self.entry.key
        return f"{self.entry.kind}[{key.label()}]" if key else self.entry.kind


@dataclass(frozen=True)
class ExpiringReport:
    as_of: int
    within: str
    horizon: int
    items: list[Expiring]

    def groups(self) -> dict[tuple[str, str], list[Expiring]]:
        grouped: dict[tuple[str, str], list[Expiring]] = {}
        for item in self.items:
            grouped.setdefault((item.file, item.owner), []).append(item)
        return grouped


def expiring(
    declarations: Declarations, now: int, seconds: int, within: str
) -> ExpiringReport:
    """DNC and sticky entries declared to lapse after ``now`` and by the horizon.

    Entries already lapsed are not here: loading the declarations warned
    about them and dropped them.
    """
    horizon = now + seconds
    items = [
        Expiring(entry, until)
        for entry in declarations.entries
        if (until := _until(entry)) is not None and now < until <= horizon
    ]
    items.sort(key=lambda i: (i.file, i.owner, i.until, i.entry.number, i.address()))
    return ExpiringReport(now, within, horizon, items)


def _until(entry: Entry) -> int | None:
    if not entry.present or entry.kind not in (DNC, STICKY):
        return None
    until = entry.value if entry.kind == DNC else entry.value.until
    return None if until == expiry.PERMANENT else int(until)


# Rendering --------------------------------------------------------------------


def headline(report: ExpiringReport, tz: dt.tzinfo) -> str:
    by = _moment(report.horizon, tz)
    if not report.items:
        return f"No DNC or sticky entry lapses within {report.within} (by {by})."
    count = len(report.items)
    noun = "entry lapses" if count == 1 else "entries lapse"
    return f"{count} {noun} within {report.within} (by {by})."


def text(report: ExpiringReport, tz: dt.tzinfo) -> str:
    lines = [headline(report, tz)]
    previous = None
    for (file, owner), items in report.groups().items():
        if file != previous:  # groups come sorted by file: one heading each
            lines += ["", file]
            previous = file
        lines.append(f"  owner {owner}:")
        for item in items:
            lines.append(f"    {_line(item, report.as_of, tz)}")
    return "\n".join(lines) + "\n"


def _line(item: Expiring, now: int, tz: dt.tzinfo) -> str:
    entry = item.entry
    text = (
        f"{entry.number}  {item.address()}  until {_moment(item.until, tz)}  "
        f"(in {remaining(item.until - now)}, line {entry.location.line})"
    )
    if entry.meta.ticket:
        text += f"  {entry.meta.ticket}"
    return text


def markdown(report: ExpiringReport, tz: dt.tzinfo) -> str:
    lines = ["### Expiring entries", "", f"**{headline(report, tz)}**"]
    for (file, owner), items in report.groups().items():
        lines += [
            "",
            f"#### `{file}` · owner {_cell(owner)}",
            "",
            "| number | entry | until | in | line | ticket |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for item in items:
            entry = item.entry
            cells = [
                f"`{entry.number}`",
                f"`{item.address()}`",
                _moment(item.until, tz),
                remaining(item.until - report.as_of),
                str(entry.location.line),
                _cell(entry.meta.ticket or ""),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def json_text(report: ExpiringReport, tz: dt.tzinfo) -> str:
    data: dict[str, Any] = {
        "format_version": REPORT_FORMAT_VERSION,
        "as_of": report.as_of,
        "within": report.within,
        "horizon": report.horizon,
        "count": len(report.items),
        "groups": [
            {
                "file": file,
                "owner": None if owner == NO_OWNER else owner,
                "entries": [_entry_data(i, tz) for i in items],
            }
            for (file, owner), items in report.groups().items()
        ],
    }
    return json.dumps(data, indent=2) + "\n"


def _entry_data(item: Expiring, tz: dt.tzinfo) -> dict[str, Any]:
    entry = item.entry
    return {
        "number": entry.number,
        "kind": entry.kind,
        "key": entry.key.encode() if entry.key else "",
        "until": item.until,
        "until_text": _moment(item.until, tz),
        "line": entry.location.line,
        "column": entry.location.column,
        "reason": entry.meta.reason,
        "ticket": entry.meta.ticket,
    }


def remaining(seconds: int) -> str:
    """A short duration: ``3d 4h``, ``5h``, or ``under 1h``."""
    days, rest = divmod(max(seconds, 0), 86400)
    hours = rest // 3600
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    return f"{hours}h" if hours else "under 1h"


def _moment(instant: int, tz: dt.tzinfo) -> str:
    return expiry.isoformat(instant, tz, "seconds")


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")
