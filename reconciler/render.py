"""Renderers: a Plan as text (like `terraform plan`), Markdown or JSON.

Text is for terminals and logs, with rich colour markup when asked. Markdown
is for one GitHub comment: the summary first, the changes of each kind in a
collapsed section; to stay under GitHub's limit, each section gets a fair
share of the room and says what it leaves out. JSON follows
`schemas/plan.schema.json`; a saved plan file is that same document with what
`apply` needs to check it (see planfile.py).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.markup import escape

from reconciler import __version__, expiry, safety
from reconciler.declarations import DNC, STICKY, StickyKey
from reconciler.plan import ACTIONS, CREATE, DELETE, UPDATE, Change, Plan

SYMBOLS = {CREATE: "+", UPDATE: "~", DELETE: "-"}
COLOURS = {CREATE: "green", UPDATE: "yellow", DELETE: "red"}
PLAN_FORMAT = "reconciler-plan"
PLAN_FORMAT_VERSION = 1

# GitHub refuses a comment body longer than this many characters.
GITHUB_COMMENT_LIMIT = 65_536
# Left free for a marker or header that CI puts around the rendered plan.
MARKDOWN_HEADROOM = 1_024
MARKDOWN_LIMIT = GITHUB_COMMENT_LIMIT - MARKDOWN_HEADROOM
# In a ```diff block GitHub colours "+" and "-" lines; "!" marks a change.
DIFF_SYMBOLS = {CREATE: "+", UPDATE: "!", DELETE: "-"}
_BACKTICKS = re.compile("`+")


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
    source = (
        "read live"
        if plan.refreshed
        else "planned from the state's last-applied values, NOT read live,"
    )
    return (
        f"{plan.numbers_read} numbers {source} as of {as_of_text(plan, tz)}; "
        "entries created outside reconciler on other numbers cannot be seen."
    )


def targets_text(plan: Plan) -> str:
    """How a targeted plan was narrowed; empty for a plan of everything."""
    names = {"only": "only", "exclude": "excluding", "kinds": "kinds"}
    parts = [
        f"{names[name]} {', '.join(values)}"
        for name, values in plan.targets.items()
        if values
    ]
    return "Targeted plan: " + "; ".join(parts) + "." if parts else ""


def kind_counts(plan: Plan) -> list[str]:
    lines = []
    for kind, counts in sorted(plan.counts_by_kind().items()):
        parts = [f"{counts[a]} to {a}" for a in (CREATE, UPDATE, DELETE) if counts[a]]
        lines.append(f"{kind}: " + ", ".join(parts))
    return lines


def dnc_flag_text(plan: Plan) -> str:
    """Why applying the plan needs --allow-dnc-removal; empty if it does not."""
    what = [
        text.format(_dnc_entries(count)) for count, text in _dnc_flagged(plan) if count
    ]
    if not what:
        return ""
    return f"Apply needs --allow-dnc-removal: this plan {' and '.join(what)}."


def _dnc_flagged(plan: Plan) -> list[tuple[int, str]]:
    """How many DNC entries the plan lifts and ends sooner, each with its words."""
    return [
        (len(safety.dnc_lifts(plan)), "lifts {}"),
        (len(safety.dnc_shortenings(plan)), "ends {} sooner than now"),
    ]


def _dnc_entries(count: int) -> str:
    return f"{count} DNC entr{'y' if count == 1 else 'ies'}"


# Text ----------------------------------------------------------------------


def text(plan: Plan, tz: dt.tzinfo, colour: bool = False) -> str:
    """The plan as a terminal reads it.

    With ``colour`` the result is rich markup (symbols coloured, everything
    else escaped, since values may hold brackets) for a rich Console.
    """
    lines: list[str] = []
    if not plan.refreshed:
        lines += ["Offline plan: live state was not read (--no-refresh).", ""]
    for warning in plan.warnings:
        lines.append(_plain(f"Warning: {warning}", colour))
    if plan.warnings:
        lines.append("")

    if plan.empty:
        lines.append(f"No changes. {_matched(plan)}")
    else:
        lines += ["reconciler will perform the following changes:", ""]
        lines += _change_lines(plan, tz, colour)

    if plan.notes:
        lines += ["", "Notes:"]
        lines += [
            _plain(f"  {n.number} {n.kind}: {n.message}", colour) for n in plan.notes
        ]

    lines += ["", plan.summary()]
    lines += [f"  {line}" for line in kind_counts(plan)]
    flagged = dnc_flag_text(plan)
    if flagged:
        lines.append(flagged)
    if plan.targets:
        lines.append(_plain(targets_text(plan), colour))
    lines.append(scope_footer(plan, tz))
    return "\n".join(lines) + "\n"


def _matched(plan: Plan) -> str:
    """What an empty plan found in agreement with the declarations."""
    if plan.refreshed:
        return "The live directory matches the declarations."
    return "The declarations match what the state records as applied."


def _plain(line: str, colour: bool) -> str:
    return escape(line) if colour else line


def _change_lines(plan: Plan, tz: dt.tzinfo, colour: bool) -> list[str]:
    lines: list[str] = []
    for number, changes in plan.by_number().items():
        lines.append(f"  # {number}")
        addresses = [address(change) for change in changes]
        width = max(map(len, addresses))
        for change, where in zip(changes, addresses, strict=True):
            symbol = SYMBOLS[change.action]
            rest = f"{where:<{width}}  {describe_change(change, tz)}"
            if colour:
                symbol = f"[{COLOURS[change.action]}]{symbol}[/]"
                rest = escape(rest)
            lines.append(f"  {symbol} {rest}")
        lines.append("")
    return lines[:-1]


# Markdown ------------------------------------------------------------------


def markdown(
    plan: Plan,
    tz: dt.tzinfo,
    *,
    refusal: Sequence[str] = (),
    checksum: str | None = None,
    limit: int = MARKDOWN_LIMIT,
) -> str:
    """The plan as one GitHub comment of at most ``limit`` characters.

    The head (summary, counts, refusal, DNC lifts) always shows; then one
    collapsed section per kind, the notes and the warnings. Past the limit
    each section keeps its summary line and a fair share of the room, stops
    at a whole line and says how much it leaves out; a note says so too.
    """
    head = _md_head(plan, refusal)
    foot = _md_foot(plan, tz, checksum)
    sections = _md_sections(plan, tz)
    budget = limit - len(head) - len(foot) - _TRUNCATION_ROOM
    body, omitted = _fit(sections, budget)
    if omitted:
        body += _truncation_note(omitted, saved=checksum is not None)
    return head + body + foot


# Room kept for the truncation note, so that adding it never passes the limit.
_TRUNCATION_ROOM = 400


def _md_head(plan: Plan, refusal: Sequence[str]) -> str:
    parts = ["### reconciler plan\n"]
    if not plan.refreshed:
        parts.append(
            "> [!WARNING]\n> Offline plan: the live directory was not read "
            "(`--no-refresh`).\n"
        )
    if plan.empty:
        parts.append(f"**No changes.** {_matched(plan)}\n")
    else:
        parts.append(f"**{plan.summary()}**\n")
        parts.append(_md_counts_table(plan))
    if refusal:
        reasons = "".join(f"> - {_md_escape(reason)}\n" for reason in refusal)
        parts.append(
            "> [!CAUTION]\n> **Refused by a safety rule** (exit code 3); "
            "nothing will be applied as it is:\n" + reasons
        )
    for count, what in _dnc_flagged(plan):
        if count:
            parts.append(
                f"> [!IMPORTANT]\n> This plan **{what.format(_dnc_entries(count))}** "
                "(a legal control). Apply needs `--allow-dnc-removal` on top of "
                "this review.\n"
            )
    if plan.targets:
        parts.append(_md_escape(targets_text(plan)) + "\n")
    return "\n".join(parts) + "\n"


def _md_counts_table(plan: Plan) -> str:
    rows = ["| kind | create | update | delete |", "| --- | ---: | ---: | ---: |"]
    for kind, counts in sorted(plan.counts_by_kind().items()):
        rows.append(f"| {kind} | " + " | ".join(str(counts[a]) for a in ACTIONS) + " |")
    return "\n".join(rows) + "\n"


def _md_foot(plan: Plan, tz: dt.tzinfo, checksum: str | None) -> str:
    facts = [_md_escape(scope_footer(plan, tz))]
    if plan.digest:
        facts.append(f"Declarations `{plan.digest[:12]}`.")
    if checksum:
        facts.append(
            f"Saved plan `{checksum}`: applying it makes exactly these "
            "changes, or none."
        )
    facts.append(f"reconciler {__version__}.")
    return "\n<sub>" + " ".join(facts) + "</sub>\n"


class _Section:
    """A collapsed block: a title line and the lines inside a code fence."""

    def __init__(self, title: str, lines: list[str], fence_type: str, unit: str):
        self.title = title
        self.lines = lines
        self.fence_type = fence_type
        self.unit = unit

    def render(self, count: int) -> str:
        shown = self.lines[:count]
        # A fence longer than any backtick run inside keeps values inert.
        fence = "`" * _fence_length(shown)
        return (
            f"<details><summary>{html.escape(self.title)}"
            f"{self.note(count)}</summary>\n\n"
            f"{fence}{self.fence_type}\n"
            + "".join(line + "\n" for line in shown)
            + f"{fence}\n\n</details>\n\n"
        )

    def note(self, count: int) -> str:
        """What the summary line adds when only ``count`` lines are shown."""
        total = len(self.lines)
        if count >= total:
            return ""
        return f" ({total - count:,} of {total:,} {self.unit} not shown)"

    def overhead(self) -> int:
        """The most characters the section takes besides its lines."""
        # No line shown has the longest note; all lines, the longest fence.
        extra_fence = _fence_length(self.lines) - _fence_length([])
        return len(self.render(0)) + 2 * extra_fence

    def line_costs(self) -> list[int]:
        return [len(line) + 1 for line in self.lines]


def _fence_length(lines: list[str]) -> int:
    return max(3, max((_backtick_run(line) for line in lines), default=0) + 1)


def _md_sections(plan: Plan, tz: dt.tzinfo) -> list[_Section]:
    sections: list[_Section] = []
    by_kind: dict[str, list[Change]] = {}
    for change in plan.changes:
        by_kind.setdefault(change.kind, []).append(change)
    counts = plan.counts_by_kind()
    for kind, changes in sorted(by_kind.items()):
        summary = ", ".join(
            f"{counts[kind][a]} to {a}" for a in ACTIONS if counts[kind][a]
        )
        lines = [
            f"{DIFF_SYMBOLS[c.action]} {c.number} {address(c)}  "
            f"{describe_change(c, tz)}"
            for c in changes
        ]
        sections.append(_Section(f"{kind}: {summary}", lines, "diff", "changes"))
    if plan.notes:
        lines = [f"{n.number} {n.kind}: {n.message}" for n in plan.notes]
        sections.append(_Section(f"Notes ({len(lines)})", lines, "text", "notes"))
    if plan.warnings:
        title = f"Warnings ({len(plan.warnings)})"
        sections.append(_Section(title, list(plan.warnings), "text", "warnings"))
    return sections


def _fit(sections: list[_Section], budget: int) -> tuple[str, Counter[str]]:
    """The sections within ``budget``: the text, and how many lines were left out.

    When not everything fits, every section still shows, with its summary
    line and a count of what it leaves out, and the room for lines is shared
    fairly (see `_fair_shares`), so that one large kind never hides the rest.
    """
    whole = [section.render(len(section.lines)) for section in sections]
    if sum(map(len, whole)) <= budget:
        return "".join(whole), Counter()

    room = budget - sum(section.overhead() for section in sections)
    costs = [section.line_costs() for section in sections]
    shares = _fair_shares([sum(cost) for cost in costs], room)
    out: list[str] = []
    omitted: Counter[str] = Counter()
    for section, cost, share in zip(sections, costs, shares, strict=True):
        shown = _lines_within(cost, share)
        out.append(section.render(shown))
        omitted[section.unit] += len(section.lines) - shown
    return "".join(out), +omitted


def _fair_shares(needs: list[int], room: int) -> list[int]:
    """``room`` split among ``needs``, smallest need first.

    A need within an equal share of what is left is met in full, which
    leaves more for the others; once the smallest need left exceeds that
    share, each of the rest gets the equal share.
    """
    shares = [0] * len(needs)
    waiting = sorted(range(len(needs)), key=lambda index: needs[index])
    left = max(room, 0)
    while waiting:
        equal = left // len(waiting)
        smallest = waiting[0]
        if needs[smallest] > equal:
            for index in waiting:
                shares[index] = equal
            break
        shares[smallest] = needs[smallest]
        left -= needs[smallest]
        waiting.pop(0)
    return shares


def _lines_within(costs: list[int], room: int) -> int:
    """How many lines, from the first, fit in ``room``."""
    used = 0
    for count, cost in enumerate(costs):
        used += cost
        if used > room:
            return count
    return len(costs)


def _truncation_note(omitted: Counter[str], saved: bool) -> str:
    left_out = " and ".join(
        f"{n:,} {unit if n != 1 else unit[:-1]}" for unit, n in sorted(omitted.items())
    )
    whole = "`reconciler plan` prints the whole plan as text"
    if saved:
        whole += ", and the saved plan file holds it"
    return (
        f"> [!NOTE]\n> **Truncated:** {left_out} not shown (each section says "
        "how many of its own), to keep this comment under GitHub's "
        f"{GITHUB_COMMENT_LIMIT:,}-character limit; {whole}.\n"
    )


def _backtick_run(line: str) -> int:
    """The length of the longest run of backticks in ``line``."""
    return max(map(len, _BACKTICKS.findall(line)), default=0)


def _md_escape(text_: str) -> str:
    """Text safe to place in Markdown prose: no HTML, no stray emphasis."""
    escaped = html.escape(text_, quote=False)
    for char in "\\`*_[]|":
        escaped = escaped.replace(char, "\\" + char)
    return escaped


# JSON ----------------------------------------------------------------------


def to_json_data(
    plan: Plan, *, refusal: Sequence[str] = (), checksum: str | None = None
) -> dict[str, Any]:
    """The plan as `schemas/plan.schema.json` describes it."""
    counts = plan.counts()
    data: dict[str, Any] = {
        "format": PLAN_FORMAT,
        "format_version": PLAN_FORMAT_VERSION,
        "reconciler_version": __version__,
        "as_of": plan.as_of,
        "refreshed": plan.refreshed,
        "numbers_read": plan.numbers_read,
        "declarations_digest": plan.digest,
        "targets": plan.targets,
        "summary": {a: counts[a] for a in ACTIONS},
        "by_kind": {
            kind: {a: kind_counts_[a] for a in ACTIONS}
            for kind, kind_counts_ in sorted(plan.counts_by_kind().items())
        },
        "changes": [change.to_dict() for change in plan.changes],
        "notes": [
            {"number": n.number, "kind": n.kind, "message": n.message}
            for n in plan.notes
        ],
        "warnings": plan.warnings,
    }
    if refusal:
        data["refused"] = list(refusal)
    if checksum:
        data["checksum"] = checksum
    return data


def json_text(
    plan: Plan, *, refusal: Sequence[str] = (), checksum: str | None = None
) -> str:
    data = to_json_data(plan, refusal=refusal, checksum=checksum)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
