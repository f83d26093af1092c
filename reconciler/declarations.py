"""Declarations: the desired state, read from any number of YAML files.

Each file may hold any of the sections below; together they are the desired
state. Every entry is checked against the JSON Schema, its number folded to
E.164 and its `until` turned into an instant, and every problem is collected
with its place before anything else happens.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from reconciler import expiry, numbers, schemas, yamlfile
from reconciler.errors import DeclarationError, Location, Problem
from reconciler.settings import PROJECT_FILE_NAMES, Settings

log = logging.getLogger(__name__)

DNC = "dnc"
STICKY = "sticky_agents"
ACCOUNT_MANAGER = "account_managers"
CONTACT = "contacts"
BLACKLIST = "blacklist"
KINDS = (DNC, STICKY, ACCOUNT_MANAGER, CONTACT, BLACKLIST)
SUPPORTED_VERSIONS = (1,)
METADATA_FIELDS = ("reason", "ticket", "owner")
CONTACT_FIELDS = (
    "name",
    "email",
    "dob",
    "address",
    "company",
    "designation",
    "custom_field_1",
    "custom_field_2",
)


@dataclass(frozen=True, slots=True, order=True)
class StickyKey:
    """The identity of a sticky rule: scope plus the line and group it names."""

    scope: str
    cli: str | None = None
    group: str | None = None

    def label(self) -> str:
        parts = [self.scope]
        if self.cli:
            parts.append(f"cli={self.cli}")
        if self.group:
            parts.append(f"group={self.group}")
        return " ".join(parts)

    def encode(self) -> str:
        return "|".join((self.scope, self.cli or "", self.group or ""))

    @classmethod
    def decode(cls, text: str) -> StickyKey:
        scope, cli, group = text.split("|")
        return cls(scope, cli or None, group or None)


@dataclass(frozen=True, slots=True)
class StickyValue:
    agent: str
    until: int


@dataclass(frozen=True, slots=True)
class Meta:
    """Free text about an entry; goes to the ledger, never to the API."""

    reason: str | None = None
    ticket: str | None = None
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """One declared entry, normalised.

    ``value`` depends on the kind: the expiry (int) for DNC, a StickyValue,
    the manager ID, a tuple of (field, value) pairs for contacts, or a
    frozenset of DIDs (E.164) for the blacklist. It is None when absent.
    """

    kind: str
    number: str
    present: bool
    value: Any
    location: Location
    key: StickyKey | None = None
    meta: Meta = Meta()


@dataclass
class Declarations:
    """Every valid entry, the warnings found, and a digest of the sources."""

    entries: list[Entry] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    digest: str = ""

    def by_number(self) -> dict[str, list[Entry]]:
        grouped: dict[str, list[Entry]] = {}
        for entry in self.entries:
            grouped.setdefault(entry.number, []).append(entry)
        return grouped

    def numbers(self) -> set[str]:
        return {entry.number for entry in self.entries}


def load(paths: list[Path], settings: Settings, now: int) -> Declarations:
    """Read and check every declaration file; raise DeclarationError if any fails.

    Entries whose `until` is at or before ``now`` are dropped with a warning:
    they count as absent and are never sent.
    """
    files = list(yamlfile.iter_files(paths, skip=PROJECT_FILE_NAMES))
    checker = _Checker(settings, now)
    digest = hashlib.sha256()

    for path in files:
        digest.update(str(path).encode() + b"\0")
        checker.check_file(path, digest)

    problems = checker.problems + checker.duplicate_problems()
    if not files:
        problems.append(
            Problem(Location(", ".join(map(str, paths)) or "."), "no YAML files found")
        )
    if any(p.is_error for p in problems):
        raise DeclarationError(problems)

    log.info("read %d entries from %d files", len(checker.entries), len(files))
    return Declarations(
        entries=checker.entries,
        warnings=sorted(problems, key=Problem.sort_key),
        files=files,
        digest=digest.hexdigest(),
    )


class _Checker:
    """Collects entries and problems over all files."""

    def __init__(self, settings: Settings, now: int) -> None:
        self.settings = settings
        self.now = now
        self.tz = settings.tz
        self.entries: list[Entry] = []
        self.problems: list[Problem] = []
        self.seen: dict[tuple[str, str, StickyKey | None], list[Location]] = {}

    def check_file(self, path: Path, digest: Any) -> None:
        try:
            digest.update(path.read_bytes())
            data = yamlfile.load(path)
        except yamlfile.YamlFileError as exc:
            self.problems.append(exc.problem)
            return
        except OSError as exc:
            self.problems.append(Problem(Location(str(path)), str(exc)))
            return

        if data is None:
            return
        display = str(path)
        if not isinstance(data, yamlfile.LocatedMap):
            self._add(
                display,
                data,
                [],
                "the file must be a mapping of sections",
                "start with `version: 1` and sections such as `dnc:`",
            )
            return

        self._check_version(display, data)
        self._check_schema(display, data)
        for kind in KINDS:
            section = data.get(kind)
            if isinstance(section, yamlfile.LocatedList):
                self._check_section(display, kind, section)

    def _check_version(self, display: str, data: yamlfile.LocatedMap) -> None:
        version = data.get("version", 1)
        if version not in SUPPORTED_VERSIONS:
            self._add(
                display,
                data,
                ["version"],
                f"unsupported version {version!r}",
                "this reconciler reads version 1",
            )

    def _check_schema(self, display: str, data: yamlfile.LocatedMap) -> None:
        validator = schemas.directory_validator()
        for error in validator.iter_errors(data):
            problem = self._schema_problem(display, data, error)
            if problem is not None:
                self.problems.append(problem)

    def _schema_problem(
        self, display: str, data: Any, error: jsonschema.ValidationError
    ) -> Problem | None:
        path = list(error.absolute_path)
        if path and path[-1] == "number" and error.validator == "type":
            return None  # reported by _number with a better message
        if path == ["version"]:
            return None  # reported by _check_version

        if error.validator == "additionalProperties":
            return self._unknown_key_problem(display, data, path, error)
        position = yamlfile.walk_positions(data, path) or (0, 0)
        where = _describe_path(path)
        return Problem(Location(display, *position), f"{where}{error.message}")

    def _unknown_key_problem(
        self,
        display: str,
        data: Any,
        path: list[Any],
        error: jsonschema.ValidationError,
    ) -> Problem:
        container = data
        for step in path:
            container = container[step]
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = list(schema.get("properties", {}))
        unknown = [k for k in container if k not in allowed]
        key = unknown[0] if unknown else "?"
        position = getattr(container, "key_positions", {}).get(key, (0, 0))
        what = "section" if not path else "field"
        hint = _did_you_mean(key, allowed)
        return Problem(Location(display, *position), f"unknown {what} {key!r}", hint)

    def _check_section(
        self, display: str, kind: str, section: yamlfile.LocatedList
    ) -> None:
        for index, item in enumerate(section):
            if not isinstance(item, yamlfile.LocatedMap):
                continue  # the schema reports it
            line, column = section.item_positions[index]
            location = Location(display, line, column)
            entry = self._entry(display, kind, item, location)
            if entry is not None:
                self._remember(entry)

    def _entry(
        self,
        display: str,
        kind: str,
        item: yamlfile.LocatedMap,
        location: Location,
    ) -> Entry | None:
        number = self._number(display, item, "number")
        if number is None:
            return None

        present = item.get("ensure", "present") != "absent"
        meta = Meta(*(_text(item.get(name)) for name in METADATA_FIELDS))
        try:
            value, key = self._value(display, kind, item, present)
        except _Invalid:
            return None

        if present and kind in (DNC, STICKY) and self._expired(kind, value):
            self.problems.append(
                Problem(
                    location,
                    f"{kind} entry for {number} expired already; it counts as absent",
                    "remove the entry or move `until` into the future",
                    severity="warning",
                )
            )
            return None
        return Entry(kind, number, present, value, location, key, meta)

    def _expired(self, kind: str, value: Any) -> bool:
        until = value if kind == DNC else value.until
        return bool(until != expiry.PERMANENT and until <= self.now)

    def _value(
        self, display: str, kind: str, item: yamlfile.LocatedMap, present: bool
    ) -> tuple[Any, StickyKey | None]:
        if kind == DNC:
            return (self._until(display, item) if present else None), None
        if kind == STICKY:
            return self._sticky(display, item, present)
        if kind == ACCOUNT_MANAGER:
            return (_text(item.get("manager")) if present else None), None
        if kind == CONTACT:
            fields = tuple(
                (name, str(item[name])) for name in CONTACT_FIELDS if name in item
            )
            return (fields if present else None), None
        dids = [self._number(display, item, "dids", i) for i in _indexes(item, "dids")]
        if any(d is None for d in dids):
            raise _Invalid
        return (frozenset(d for d in dids if d) if present else None), None

    def _sticky(
        self, display: str, item: yamlfile.LocatedMap, present: bool
    ) -> tuple[Any, StickyKey]:
        scope = str(item.get("scope", "all"))
        cli = self._number(display, item, "cli") if "cli" in item else None
        if "cli" in item and cli is None:
            raise _Invalid
        group = _text(item.get("group"))
        key = StickyKey(scope, cli, group)
        if not present:
            return None, key
        value = StickyValue(str(item.get("agent", "")), self._until(display, item))
        return value, key

    def _until(self, display: str, item: yamlfile.LocatedMap) -> int:
        try:
            return expiry.parse(item.get("until"), self.tz)
        except expiry.InvalidExpiry as exc:
            self._add(display, item, ["until"], str(exc))
            raise _Invalid from None

    def _number(
        self,
        display: str,
        item: yamlfile.LocatedMap,
        name: str,
        index: int | None = None,
    ) -> str | None:
        raw = item.get(name) if index is None else item[name][index]
        path: list[Any] = [name] if index is None else [name, index]
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            return None  # missing or of another type: the schema reports it
        if not isinstance(raw, str):
            self._add(display, item, path, *_unquoted_number(item, name, raw, index))
            return None
        try:
            return numbers.normalise(raw, self.settings.region)
        except numbers.InvalidNumber as exc:
            self._add(
                display,
                item,
                path,
                str(exc),
                'write the number with its country code, e.g. "+91 98765 43210"',
            )
            return None

    def _add(
        self,
        display: str,
        data: Any,
        path: list[Any],
        message: str,
        hint: str = "",
    ) -> None:
        position = yamlfile.walk_positions(data, path) or (0, 0)
        self.problems.append(Problem(Location(display, *position), message, hint))

    def _remember(self, entry: Entry) -> None:
        identity = (entry.kind, entry.number, entry.key)
        self.seen.setdefault(identity, []).append(entry.location)
        self.entries.append(entry)

    def duplicate_problems(self) -> list[Problem]:
        problems = []
        for (kind, number, key), places in self.seen.items():
            if len(places) < 2:
                continue
            what = f"{kind} entry for {number}"
            if key is not None:
                what += f" ({key.label()})"
            first = places[0]
            for again in places[1:]:
                problems.append(
                    Problem(
                        again,
                        f"duplicate {what}; first declared at {first}",
                        "keep one of the two entries",
                    )
                )
        return problems


class _Invalid(Exception):
    """An entry already reported as a problem."""


def _unquoted_number(
    item: yamlfile.LocatedMap, name: str, raw: Any, index: int | None
) -> tuple[str, str]:
    written = item.sources.get(name, str(raw)) if index is None else str(raw)
    kind = "an integer" if isinstance(raw, int) else "a float"
    message = f"{name} {written} was read by YAML as {kind} ({raw!r}), not a string"
    if written != str(raw):
        message += f": `{written}` became {raw!r}"
    return message, f'quote phone numbers: {name}: "{written}"'


def _indexes(item: yamlfile.LocatedMap, name: str) -> Iterator[int]:
    values = item.get(name)
    if isinstance(values, list):
        yield from range(len(values))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _describe_path(path: Iterable[Any]) -> str:
    steps = list(path)
    if not steps:
        return ""
    text = str(steps[0])
    for step in steps[1:]:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return f"{text}: "


def _did_you_mean(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return "allowed: " + ", ".join(allowed)
