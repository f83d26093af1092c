"""Adoption: turn live directory entries into declarations reconciler manages.

`reconciler import` reads numbers live and writes what it finds as YAML, one
file per kind, in a stable form: entries sorted by number (and sticky rule
identity), numbers as quoted E.164 strings, every `until` either `permanent`
or a date-time with the offset of the settings' time zone, so that reading
the file back yields exactly the live values and the next plan is empty.

Each written entry is checked against the declaration schema first; a live
value the schema cannot express (a name in Devanagari, say) is left
out with a warning, so the file always validates and the value stays
unmanaged. Files that ``import`` wrote before are merged and rewritten;
any other file of the same name is never touched. Each file's first line
points editors at the declaration schema (see `schema_reference`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from reconciler import expiry, planner, schemas
from reconciler.declarations import (
    ACCOUNT_MANAGER,
    BLACKLIST,
    CONTACT,
    CONTACT_FIELDS,
    DNC,
    KINDS,
    STICKY,
    Entry,
    dob_from_wire,
)
from reconciler.errors import SettingsError
from reconciler.essence import Essence
from reconciler.state import State

log = logging.getLogger(__name__)

MARKER = "# Written by `reconciler import`"
HEADER = (
    MARKER + " from the live directory. Edit it like any other\n"
    "# declaration file; importing again merges new numbers into it and\n"
    "# rewrites it sorted (comments are not kept).\n"
)

# Where the schema goes, inside the import folder, when no project schema is found.
SCHEMA_COPY = Path(".schemas") / schemas.DIRECTORY

Item = dict[str, Any]


@dataclass
class Adoption:
    """What one import found: entries per kind, and what it left out."""

    items: dict[str, list[Item]] = field(default_factory=dict)
    imported: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, number: str, kind: str, items: list[Item]) -> None:
        self.items.setdefault(kind, []).extend(items)
        self.imported.setdefault(number, []).append(kind)


# Live essence -> declaration items --------------------------------------------


def collect(
    live: dict[str, Essence],
    declared: dict[tuple[str, str], Entry],
    tz: dt.tzinfo,
) -> Adoption:
    """The declaration items of every live number, kind by kind.

    A kind that ``declared`` already holds for a number is left as it is:
    the existing declaration wins and nothing is duplicated.
    """
    adoption = Adoption()
    for number in sorted(live):
        essence = live[number]
        if not essence.exists:
            adoption.skipped.append(f"{number}: no directory entry, nothing to import")
            continue
        found = items_of(number, essence, tz)
        if not found:
            adoption.skipped.append(f"{number}: its entry holds nothing to declare")
            continue
        for kind, items in found.items():
            already = declared.get((number, kind))
            if already is not None:
                adoption.skipped.append(
                    f"{number} {kind}: already declared at {already.location}"
                )
                continue
            fitting = _fitting(kind, items, adoption.warnings)
            if fitting:
                adoption.add(number, kind, fitting)
        log.info("%s: imported %s", number, adoption.imported.get(number, "nothing"))
    return adoption


def items_of(number: str, essence: Essence, tz: dt.tzinfo) -> dict[str, list[Item]]:
    """One number's live entry as declaration items, kind by kind."""
    items: dict[str, list[Item]] = {}
    if essence.dnc is not None:
        items[DNC] = [{"number": number, "until": until_text(essence.dnc, tz)}]
    if essence.sticky:
        items[STICKY] = [
            _sticky_item(number, key.scope, key.cli, key.group, value.agent)
            | {"until": until_text(value.until, tz)}
            for key, value in sorted(essence.sticky.items())
        ]
    if essence.manager is not None:
        items[ACCOUNT_MANAGER] = [{"number": number, "manager": essence.manager}]
    if essence.contact:
        items[CONTACT] = [{"number": number, **_contact_fields(essence.contact)}]
    if essence.blacklist:
        items[BLACKLIST] = [{"number": number, "dids": sorted(essence.blacklist)}]
    return items


def _contact_fields(live: dict[str, str]) -> Item:
    """The live contact fields in declaration form: dob back to YYYY-MM-DD."""
    fields: Item = {f: live[f] for f in CONTACT_FIELDS if f in live}
    if "dob" in fields:
        fields["dob"] = dob_from_wire(fields["dob"])
    return fields


def _sticky_item(
    number: str, scope: str, cli: str | None, group: str | None, agent: str
) -> Item:
    item: Item = {"number": number, "agent": agent, "scope": scope}
    if cli:
        item["cli"] = cli
    if group:
        item["group"] = group
    return item


def until_text(value: int, tz: dt.tzinfo) -> str:
    """`permanent`, or the instant as an ISO date-time with ``tz``'s offset."""
    if value == expiry.PERMANENT:
        return "permanent"
    return expiry.isoformat(value, tz)


def _fitting(kind: str, items: list[Item], warnings: list[str]) -> list[Item]:
    """The items that validate; contact fields that do not are left out."""
    result = []
    for item in items:
        fitted = _fit(kind, dict(item), warnings)
        if fitted is not None:
            result.append(fitted)
    return result


def _fit(kind: str, item: Item, warnings: list[str]) -> Item | None:
    validator = schemas.directory_validator()
    while True:
        errors = list(validator.iter_errors({"version": 1, kind: [item]}))
        if not errors:
            return item
        error = errors[0]
        path = list(error.absolute_path)
        field_name = path[2] if len(path) > 2 else None
        if kind == CONTACT and field_name in CONTACT_FIELDS:
            warnings.append(
                f"{item['number']} contacts.{field_name}: {error.message}; "
                "left out (declare it by hand to manage it)"
            )
            del item[field_name]
            if len(item) == 1:
                return None
            continue
        warnings.append(
            f"{item['number']} {kind}: {error.message}; not imported "
            "(it cannot be declared as it is live)"
        )
        return None


# Files -------------------------------------------------------------------------


def write(out: Path, adoption: Adoption) -> list[Path]:
    """Write one file per kind into ``out``; return the files written.

    Raises SettingsError, before writing anything, when a target file exists
    that ``import`` did not write.
    """
    targets = {kind: out / f"{kind}.yaml" for kind in KINDS if kind in adoption.items}
    for path in targets.values():
        if path.exists() and not _written_by_import(path):
            raise SettingsError(
                f"{path} exists and was not written by `reconciler import`; "
                "import into another folder, for example --out "
                f"{out / 'imported'}"
            )

    if not targets:
        return []
    out.mkdir(parents=True, exist_ok=True)
    schema_ref = schema_reference(out)
    written = []
    for kind, path in targets.items():
        items = _previous_items(path, kind) + adoption.items[kind]
        path.write_text(render(kind, sorted(items, key=_item_order), schema_ref))
        log.info("wrote %d %s entries to %s", len(items), kind, path)
        written.append(path)
    return written


def _written_by_import(path: Path) -> bool:
    with path.open(encoding="utf-8") as fh:
        head = fh.read(4096)
    return MARKER in head


def _previous_items(path: Path, kind: str) -> list[Item]:
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path}: cannot read it to merge into: {exc}") from None
    items = data.get(kind) if isinstance(data, dict) else None
    return [dict(i) for i in items or [] if isinstance(i, dict)]


def _item_order(item: Item) -> tuple[str, str, str, str]:
    return (
        str(item.get("number", "")),
        str(item.get("scope", "")),
        str(item.get("cli", "")),
        str(item.get("group", "")),
    )


def schema_reference(out: Path) -> str:
    """The declaration schema's path relative to ``out``, for editors.

    The files are meant to be committed, so the path must hold in any clone:
    the nearest ``schemas/directory.schema.json`` in ``out`` or a folder
    above it, up to the top of the git checkout, is used if there is one.
    Otherwise the schema reconciler ships is copied to ``out/.schemas/``
    (refreshed when it differs), never pointed at where reconciler is
    installed.
    """
    start = out.resolve()
    for folder in (start, *start.parents):
        candidate = folder / "schemas" / schemas.DIRECTORY
        if candidate.is_file():
            return Path(os.path.relpath(candidate, start)).as_posix()
        if (folder / ".git").exists():
            break  # a schema outside the checkout is not in anyone's clone
    _copy_schema(out)
    return SCHEMA_COPY.as_posix()


def _copy_schema(out: Path) -> None:
    shipped = resources.files("reconciler").joinpath("schemas_data", schemas.DIRECTORY)
    text = shipped.read_text(encoding="utf-8")
    copy = out / SCHEMA_COPY
    if not copy.is_file() or copy.read_text(encoding="utf-8") != text:
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(text, encoding="utf-8")
        log.info("wrote the declaration schema to %s", copy)


def render(kind: str, items: Iterable[Item], schema_ref: str) -> str:
    """A declaration file of one section, every string double-quoted."""
    lines = [f"# yaml-language-server: $schema={schema_ref}", "#"]
    lines += HEADER.splitlines()
    lines += ["version: 1", "", f"{kind}:"]
    for item in items:
        for index, (name, value) in enumerate(item.items()):
            prefix = "  - " if index == 0 else "    "
            lines += _field_lines(prefix, name, value)
    return "\n".join(lines) + "\n"


def _field_lines(prefix: str, name: str, value: Any) -> list[str]:
    if isinstance(value, list):
        if not value:
            return [f"{prefix}{name}: []"]
        return [f"{prefix}{name}:"] + [f"      - {_scalar(v)}" for v in value]
    return [f"{prefix}{name}: {_scalar(value)}"]


def _scalar(value: Any) -> str:
    # A JSON string is a valid double-quoted YAML scalar: numbers stay strings.
    return json.dumps(str(value), ensure_ascii=False)


# State -------------------------------------------------------------------------


def record(state: State, entries: list[Entry], imported: dict[str, list[str]]) -> int:
    """Mark what was imported as managed and applied; return how many kinds.

    Only the kinds just imported are recorded: older entries of a merged file
    may have been edited since, and recording them would hide that edit from
    the next plan.
    """
    by_number: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.kind in imported.get(entry.number, ()):
            by_number.setdefault(entry.number, []).append(entry)

    recorded = 0
    for number, own in sorted(by_number.items()):
        for kind, value in planner.declared_kinds(own).items():
            if kind == STICKY:
                for key, rule in value.items():
                    state.record(number, kind, key, rule)
            else:
                state.record(number, kind, "", value)
            recorded += 1
            log.debug("%s %s adopted", number, kind)
    return recorded
