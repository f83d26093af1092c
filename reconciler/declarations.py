"""Declarations: the desired state, read from any number of YAML files.

Each file may hold any of the sections below; together they are the desired
state. Every entry is checked against the JSON Schema, its number folded to
E.164 and its `until` turned into an instant, and every problem is collected
with its place before anything else happens.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import gc
import hashlib
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import jsonschema

from reconciler import expiry, leaks, numbers, schemas, yamlfile
from reconciler.errors import (
    QUOTED_LIMIT,
    DeclarationError,
    Location,
    Problem,
    quoted,
    shortened,
)
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
# The API's form of a date of birth; declarations write YYYY-MM-DD.
_WIRE_DATE = "%d-%m-%Y"
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
    the manager ID, a tuple of (field, value) pairs for contacts (``dob`` in
    the API's dd-mm-YYYY form), or a frozenset of DIDs (E.164) for the
    blacklist. It is None when absent.
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
    """Every valid entry, the warnings found, and a digest of the sources.

    ``valid`` counts the valid entries; it is all that is left of them when
    they were only counted (``load(..., keep_entries=False)``).
    """

    entries: list[Entry] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    digest: str = ""
    valid: int = 0

    def by_number(self) -> dict[str, list[Entry]]:
        grouped: dict[str, list[Entry]] = {}
        for entry in self.entries:
            grouped.setdefault(entry.number, []).append(entry)
        return grouped

    def numbers(self) -> set[str]:
        return {entry.number for entry in self.entries}


def load(
    paths: list[Path], settings: Settings, now: int, keep_entries: bool = True
) -> Declarations:
    """Read and check every declaration file; raise DeclarationError if any fails.

    Entries whose `until` is at or before ``now`` are dropped with a warning:
    they count as absent and are never sent. Without ``keep_entries`` the
    valid entries are only counted: a check that reports problems has no use
    for them, and the processes that shared the reading send none back.
    """
    # TODO: validate takes 3.2-3.5 s for 100,000 entries on this 2-core
    # machine against a 1.5 s target (bench/run.py). PyYAML's events and
    # phonenumbers' validity rules alone take 1.2 s of it there (bench's
    # floor row), and PyYAML's own C loader, with no positions and no checks,
    # 3.8 s. Per entry, on one core: events 12 µs, validity 8 µs, our located
    # values 8 µs, the rest of the number 6 µs, the other checks 14 µs. The
    # target wants a YAML reader with positions, or number rules, in compiled
    # code: no maintained library offers either, and we do not write them.
    checker = _Checker(settings, now)
    files = list(
        yamlfile.iter_files(paths, skip=PROJECT_FILE_NAMES, unreadable=checker.refused)
    )

    with _no_cycle_collection():
        groups = _read(files, settings, now, keep_entries)
        for group in groups:
            checker.absorb(group)

    problems = checker.problems + checker.duplicate_problems()
    if not files:
        problems.append(
            Problem(Location(", ".join(map(str, paths)) or "."), "no YAML files found")
        )
    if any(p.is_error for p in problems):
        raise DeclarationError(problems)

    log.info(
        "read %d entries from %d files in %d processes",
        checker.valid,
        len(files),
        len(groups),
    )
    return Declarations(
        entries=checker.entries if keep_entries else [],
        warnings=sorted(problems, key=Problem.sort_key),
        files=files,
        digest=_digest(files),
        valid=checker.valid,
    )


def _digest(files: list[Path]) -> str:
    """A checksum of the files' names and contents, in order."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path).encode() + b"\0")
        with contextlib.suppress(OSError):  # the file's own problem says why
            digest.update(path.read_bytes())
    return digest.hexdigest()


# Reading is CPU-bound Python (YAML, then each entry's checks): from this
# much YAML on, the files are shared out between one process per core.
PARALLEL_BYTES = 2 * 1024 * 1024

_Seen = dict[tuple[str, str, StickyKey | None], list[Location]]
# The valid entries (none if they were only counted), how many there are,
# the problems, and where each entry was seen.
_Checked = tuple[list[Entry], int, list[Problem], _Seen]


def _read(
    files: list[Path], settings: Settings, now: int, keep_entries: bool
) -> list[_Checked]:
    """Every file checked, in order, as one result per group of files."""
    sizes = [_size(path) for path in files]
    groups = _split(files, sizes, _processes(sizes))
    if len(groups) < 2:
        return [_check_group(files, settings, now)]
    try:
        context = multiprocessing.get_context("fork")
        stop = context.Event()
        with ProcessPoolExecutor(
            len(groups) - 1,
            mp_context=context,
            initializer=_reader_started,
            initargs=(stop,),
        ) as pool:
            try:
                others = [
                    pool.submit(_check_packed, group, settings, now, keep_entries)
                    for group in groups[1:]
                ]
                first = _check_group(groups[0], settings, now)
                return [first, *(_unpack(other.result()) for other in others)]
            except KeyboardInterrupt:
                stop.set()  # the readers give up at their next file
                raise
    except (OSError, BrokenProcessPool, pickle.PicklingError) as exc:
        log.warning("reading the declarations in one process: %s", exc)
        return [_check_group(files, settings, now)]


def _processes(sizes: list[int]) -> int:
    """How many processes should read files of ``sizes``: one a core, for a lot.

    Only where a fork is safe: on Linux, with no other thread running.
    """
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return 1
    if sum(sizes) < PARALLEL_BYTES:
        return 1
    return max(1, min(len(sizes), _cores()))


def _cores() -> int:
    return len(os.sched_getaffinity(0))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _split(files: list[Path], sizes: list[int], count: int) -> list[list[Path]]:
    """``files`` in ``count`` runs of about equal size, in their order."""
    if count < 2:
        return [files]
    share = sum(sizes) / count
    groups: list[list[Path]] = [[]]
    filled = 0
    for path, size in zip(files, sizes, strict=True):
        if filled >= share * len(groups) and len(groups) < count:
            groups.append([])
        groups[-1].append(path)
        filled += size
    return [group for group in groups if group]


def _check_group(files: list[Path], settings: Settings, now: int) -> _Checked:
    checker = _Checker(settings, now)
    for path in files:
        if _stop is not None and _stop.is_set():
            raise _Stopped
        checker.check_file(path)
    return checker.entries, checker.valid, checker.problems, checker.seen


# In a reader process: set when the command was interrupted.
_stop: EventType | None = None


class _Stopped(Exception):
    """A reader process's answer once the command was interrupted."""


def _reader_started(stop: EventType) -> None:
    """Make a reader process stop only when told, between two files.

    Ctrl-C or SIGTERM may reach the main process alone (`kill`, `timeout`)
    or the whole group (a terminal). A reader killed or interrupted while it
    sends its answer back would leave the pool waiting for the rest of it
    forever; so readers ignore both signals, and the main process, once
    interrupted, tells them to stop through ``stop`` instead.
    """
    global _stop
    _stop = stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


# What a worker process sends back: entries and sightings as tuples of plain
# values. Pickling the frozen dataclasses one by one took three times as long
# (0.8 s each way for half of a 100,000-entry directory); tuples of strings
# and numbers are pickled in C.
_Packed = tuple[list[tuple[Any, ...]], int, list[Problem], list[tuple[Any, ...]]]


def _check_packed(
    files: list[Path], settings: Settings, now: int, keep_entries: bool
) -> _Packed:
    """``_check_group`` in a worker process, packed for the way back."""
    entries, valid, problems, seen = _check_group(files, settings, now)
    return _pack((entries if keep_entries else [], valid, problems, seen))


def _pack(checked: _Checked) -> _Packed:
    entries, valid, problems, seen = checked
    packed_entries = [
        (
            entry.kind,
            entry.number,
            entry.present,
            _pack_value(entry.value),
            *_pack_location(entry.location),
            _pack_key(entry.key),
            entry.meta.reason,
            entry.meta.ticket,
            entry.meta.owner,
        )
        for entry in entries
    ]
    sightings = [
        (kind, number, _pack_key(key), [_pack_location(place) for place in places])
        for (kind, number, key), places in seen.items()
    ]
    return packed_entries, valid, problems, sightings


def _unpack(packed: _Packed) -> _Checked:
    packed_entries, valid, problems, sightings = packed
    entries = [
        Entry(
            kind,
            number,
            present,
            StickyValue(*value) if isinstance(value, list) else value,
            Location(path, line, column),
            None if key is None else StickyKey(*key),
            Meta(reason, ticket, owner),
        )
        for (
            kind,
            number,
            present,
            value,
            path,
            line,
            column,
            key,
            reason,
            ticket,
            owner,
        ) in packed_entries
    ]
    seen: _Seen = {
        (kind, number, None if key is None else StickyKey(*key)): [
            Location(*place) for place in places
        ]
        for kind, number, key, places in sightings
    }
    return entries, valid, problems, seen


def _pack_value(value: Any) -> Any:
    # A sticky value becomes a list: no other kind's value is one.
    if isinstance(value, StickyValue):
        return [value.agent, value.until]
    return value


def _pack_key(key: StickyKey | None) -> tuple[str, str | None, str | None] | None:
    return None if key is None else (key.scope, key.cli, key.group)


def _pack_location(location: Location) -> tuple[str, int, int]:
    return location.path, location.line, location.column


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while files are read.

    Reading builds millions of small acyclic objects (maps, lists, entries);
    the collector would walk all of them again and again, which took nearly
    half the time of a 100,000-entry load. Reference counting still frees
    everything; the collector resumes, as it was, afterwards. What was read
    lives as long as the command, so it is frozen first (gc.freeze): later
    collections, while a plan is built over it, leave it alone.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


class _Checker:
    """Collects entries and problems over all files."""

    def __init__(self, settings: Settings, now: int) -> None:
        self.settings = settings
        self.now = now
        self.secrets = leaks.looked_for(settings.credentials.secrets())
        self.tz = settings.tz
        self.entries: list[Entry] = []
        self.valid = 0  # the entries above, and those only counted elsewhere
        self.problems: list[Problem] = []
        self.seen: _Seen = {}
        # The paths of the entry being checked that have a problem already.
        self.reported: set[tuple[Any, ...]] = set()

    def absorb(self, checked: _Checked) -> None:
        """Take in what another checker found in the files that follow."""
        entries, valid, problems, seen = checked
        self.entries.extend(entries)
        self.valid += valid
        self.problems.extend(problems)
        for identity, places in seen.items():
            self.seen.setdefault(identity, []).extend(places)

    def refused(self, folder: Path, exc: OSError) -> None:
        """A folder that could not be searched: its files would go unseen."""
        self.problems.append(
            Problem(
                Location(str(folder)),
                f"cannot read the folder: {exc.strerror or exc}",
                "give the user running reconciler read access to it, "
                "or move it out of the declarations",
            )
        )

    def check_file(self, path: Path) -> None:
        display = str(path)
        text = data = None
        try:
            text = yamlfile.read(path)
            data = yamlfile.parse(text, display)
        except yamlfile.YamlFileError as exc:
            # A file that holds a credential is refused for that alone: any
            # other word about it may quote part of the credential.
            self.problems += self._leaks(display, text, None) or [exc.problem]
            return
        except OSError as exc:
            self.problems.append(Problem(Location(display), str(exc)))
            return

        leaked = self._leaks(display, text, data)
        if leaked:
            self.problems += leaked
            return
        self._check_data(display, data)

    def _leaks(self, display: str, text: str | None, data: Any) -> list[Problem]:
        if not self.secrets or text is None:
            return []
        return leaks.problems(display, text, data, self.secrets)

    def _check_data(self, display: str, data: Any) -> None:
        if data is None:
            return
        if not isinstance(data, yamlfile.LocatedMap):
            # A list knows where it starts; a lone scalar is the whole file.
            line, column = getattr(data, "position", (1, 1))
            self.problems.append(
                Problem(
                    Location(display, line, column),
                    "the file must be a mapping of sections, not "
                    + yamlfile.describe(data),
                    "start with `version: 1` and sections such as `dnc:`",
                )
            )
            return

        self._check_version(display, data)
        self._check_document(display, data)
        for kind in KINDS:
            section = data.get(kind)
            if isinstance(section, yamlfile.LocatedList):
                self._check_section(display, kind, section)

    def _check_version(self, display: str, data: yamlfile.LocatedMap) -> None:
        version = data.get("version", 1)
        if isinstance(version, bool) or version not in SUPPORTED_VERSIONS:
            self._add(
                display,
                data,
                ["version"],
                f"unsupported version {quoted(version)}",
                "this reconciler reads `version: 1`",
            )

    def _check_document(self, display: str, data: yamlfile.LocatedMap) -> None:
        # Sections only: each entry is checked with the schema of its kind.
        for error in schemas.document_validator().iter_errors(data):
            if list(error.absolute_path) != ["version"]:  # see _check_version
                self.problems.extend(self._schema_problems(display, data, error, []))

    def _check_section(
        self, display: str, kind: str, section: yamlfile.LocatedList
    ) -> None:
        for index, item in enumerate(section):
            line, column = section.item_positions[index]
            location = Location(display, line, column)
            if not isinstance(item, yamlfile.LocatedMap):
                self.problems.append(
                    Problem(
                        location,
                        f"{kind}[{index}]: an entry must be a mapping, "
                        f"not {yamlfile.describe(item)}",
                        'write it as `- number: "+91 98765 43210"` and its fields',
                    )
                )
                continue
            entry = self._entry(display, kind, index, item, location)
            if entry is not None:
                self.entries.append(entry)
                self.valid += 1

    def _entry(
        self,
        display: str,
        kind: str,
        index: int,
        item: yamlfile.LocatedMap,
        location: Location,
    ) -> Entry | None:
        # Every check runs so that all problems are reported; an entry with
        # any problem is then left out, so later stages only see valid ones.
        before = len(self.problems)
        self.reported.clear()
        number = self._number(display, item, "number")
        value, key = self._value(display, kind, item)
        # After the checks of numbers, `until` and contact fields: a schema
        # error on a value they explained already is left out. A value they
        # accept and the schema does not (`*98765 43210`, which phonenumbers
        # reads) still gets the schema's word.
        self._check_entry_schema(display, kind, index, item)
        if number is not None and _identified(item, key):
            # Before any reason to leave the entry out: an invalid or expired
            # copy is still a declaration of the number, and a second one is
            # a duplicate however the first turns out.
            self._remember(kind, number, key, location)
        if number is None or len(self.problems) > before:
            return None

        present = item.get("ensure", "present") != "absent"
        meta = _meta(item)
        if not present:
            value = None
        elif kind in (DNC, STICKY) and self._expired(kind, value):
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

    def _check_entry_schema(
        self, display: str, kind: str, index: int, item: yamlfile.LocatedMap
    ) -> None:
        if schemas.entry_fast_check(kind)(item):
            return
        errors = list(schemas.entry_validator(kind).iter_errors(item))
        if not errors:
            # jsonschema passes what JSON Schema's own reading of a pattern
            # refuses (a newline before the end, U+001C taken for a space).
            errors = schemas.ecma_errors(kind, item)
        # One problem per field: `email` fails pattern and format, and a value
        # that a check of ours explained already needs no second word.
        reported = set(self.reported)
        for error in errors:
            place = tuple(error.absolute_path)
            if _reported_elsewhere(error) or (place and place in reported):
                continue
            reported.add(place)
            problems = self._schema_problems(display, item, error, [kind, index])
            self.problems.extend(problems)

    def _schema_problems(
        self,
        display: str,
        root: Any,
        error: jsonschema.ValidationError,
        prefix: list[Any],
    ) -> list[Problem]:
        path = list(error.absolute_path)
        if error.validator == "additionalProperties":
            return self._unknown_key_problems(display, root, path, prefix, error)
        position = yamlfile.walk_positions(root, path) or (0, 0)
        where = _describe_path(prefix + path)
        message, hint = f"{where}{error.message}", ""
        schema = error.schema if isinstance(error.schema, dict) else {}
        if error.validator in ("pattern", "format") and path:
            field = next((s for s in reversed(path) if isinstance(s, str)), "value")
            what = _FIELD_WORDS.get(field, field)
            message = f"{where}{quoted(error.instance)} is not a valid {what}"
            hint = _FIELD_HINTS.get(field) or str(schema.get("description", ""))
        elif error.validator == "required" and isinstance(error.instance, dict):
            wanted = error.validator_value
            required = wanted if isinstance(wanted, list) else []
            missing = [k for k in required if k not in error.instance]
            hint = "add " + ", ".join(f"`{k}:`" for k in missing) + " to the entry"
        elif error.validator == "type":
            message, hint = _type_problem(root, path, error, where)
        elif error.validator == "enum":
            message = f"{where}{_shown(root, path, error.instance)} is not allowed"
            hint = _choices(schema)
        elif error.validator == "minLength" and error.instance == "":
            message = f"{where}the value is empty"
            hint = "write a value between the quotes"
        elif isinstance(error.instance, str) and len(error.instance) > QUOTED_LIMIT:
            # jsonschema's own words quote the whole value: quote less of it.
            text = error.message.replace(repr(error.instance), quoted(error.instance))
            message = f"{where}{text}"
        return [Problem(Location(display, *position), message, hint)]

    def _unknown_key_problems(
        self,
        display: str,
        root: Any,
        path: list[Any],
        prefix: list[Any],
        error: jsonschema.ValidationError,
    ) -> list[Problem]:
        container = root
        for step in path:
            container = container[step]
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = list(schema.get("properties", {}))
        what = "section" if not prefix and not path else "field"
        where = _describe_path(prefix + path)
        problems = []
        for key in container:
            if key in allowed:
                continue
            position = getattr(container, "key_positions", {}).get(key, (0, 0))
            problems.append(
                Problem(
                    Location(display, *position),
                    f"{where}unknown {what} {quoted(key)}",
                    _did_you_mean(key, allowed),
                )
            )
        return problems

    def _expired(self, kind: str, value: Any) -> bool:
        until = value if kind == DNC else value.until
        return bool(until != expiry.PERMANENT and until <= self.now)

    def _value(
        self, display: str, kind: str, item: yamlfile.LocatedMap
    ) -> tuple[Any, StickyKey | None]:
        """The entry's value as if present; problems are reported as found."""
        if kind == DNC:
            return self._until(display, item), None
        if kind == STICKY:
            return self._sticky(display, item)
        if kind == ACCOUNT_MANAGER:
            return _text(item.get("manager")), None
        if kind == CONTACT:
            self._check_contact_spaces(display, item)
            return _contact_fields(item), None
        return self._dids(display, item), None

    def _dids(self, display: str, item: yamlfile.LocatedMap) -> frozenset[str]:
        """The blacklist's DIDs; one listed twice, in any spelling, is an error."""
        first: dict[str, int] = {}
        for index in _indexes(item, "dids"):
            did = self._number(display, item, "dids", index)
            if did is None:
                continue
            if did in first:
                self.reported.add(("dids",))  # the schema's uniqueItems, said here
                self._add(
                    display,
                    item,
                    ["dids", index],
                    f"dids[{index}]: {quoted(item['dids'][index])} is the same line "
                    f"as dids[{first[did]}]",
                    "list each line once",
                )
            first.setdefault(did, index)
        return frozenset(first)

    def _sticky(
        self, display: str, item: yamlfile.LocatedMap
    ) -> tuple[StickyValue, StickyKey]:
        scope = str(item.get("scope", "all"))
        self._check_scope(display, item, scope)
        cli = self._number(display, item, "cli") if "cli" in item else None
        group = _text(item.get("group"))
        key = StickyKey(scope, cli, group)
        value = StickyValue(str(item.get("agent", "")), self._until(display, item))
        return value, key

    def _check_contact_spaces(self, display: str, item: yamlfile.LocatedMap) -> None:
        """A contact field with white space at either end.

        The sandbox drops it, and the API's documentation does not
        say that it keeps it: the value read back would then never match,
        and every plan would change it again.
        """
        for name in CONTACT_FIELDS:
            value = item.get(name)
            if isinstance(value, str) and value != value.strip():
                self._add(
                    display,
                    item,
                    [name],
                    f"{name}: {quoted(value)} starts or ends with white space, "
                    "which the directory may drop",
                    "remove it from the start and the end",
                )

    def _check_scope(self, display: str, item: yamlfile.LocatedMap, scope: str) -> None:
        """A `cli` or `group` the scope does not use: the API would drop it."""
        uses = {"all": (), "cli": ("cli",), "cli_group": ("cli", "group")}
        for name in ("cli", "group"):
            if name in item and name not in uses.get(scope, (name,)):
                better = "cli" if name == "cli" else "cli_group"
                self._add(
                    display,
                    item,
                    [name],
                    f"{name}: a rule of scope `{scope}` takes no {name}",
                    f"remove `{name}:`, or set `scope: {better}`",
                    key=True,
                )

    def _until(self, display: str, item: yamlfile.LocatedMap) -> int:
        if "until" in item and item["until"] is None:
            self._add(
                display, item, ["until"], "until: the value is empty", _UNTIL_HINT
            )
            return expiry.PERMANENT
        raw = item.get("until")
        if raw is not None and not isinstance(raw, str):
            self._add(
                display,
                item,
                ["until"],
                f"until must be a quoted string, not {yamlfile.describe(raw)}",
                _UNTIL_HINT,
            )
            return expiry.PERMANENT
        try:
            return expiry.parse(raw, self.tz)
        except expiry.InvalidExpiry as exc:
            self._add(display, item, ["until"], str(exc), _UNTIL_HINT)
            return expiry.PERMANENT

    def _number(
        self,
        display: str,
        item: yamlfile.LocatedMap,
        name: str,
        index: int | None = None,
    ) -> str | None:
        raw = item.get(name) if index is None else item[name][index]
        path: list[Any] = [name] if index is None else [name, index]
        if raw is None and index is None and name not in item:
            return None  # missing: the schema reports it
        if raw is None:
            self._add(
                display,
                item,
                path,
                f"{_describe_path(path)}the value is empty",
                f'write the number after it, e.g. {name}: "+91 98765 43210"',
            )
            return None
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            self._add(display, item, path, *_unquoted_number(item, name, raw, index))
            return None
        if not isinstance(raw, str):
            what = _describe_path(path)
            self._add(
                display,
                item,
                path,
                f"{what}a phone number must be a quoted string, not "
                + yamlfile.describe(raw),
                f'write it as {name}: "+91 98765 43210"',
            )
            return None
        try:
            return numbers.normalise(raw, self.settings.region)
        except numbers.InvalidNumber as exc:
            self._add(
                display,
                item,
                path,
                f"{_describe_path(path)}{exc}",
                _FIELD_HINTS.get(name, _NUMBER_HINT),
            )
            return None

    def _add(
        self,
        display: str,
        data: Any,
        path: list[Any],
        message: str,
        hint: str = "",
        key: bool = False,
    ) -> None:
        """A problem at the value of ``path``, or at its key if ``key``."""
        self.reported.add(tuple(path))
        position = yamlfile.walk_positions(data, path) or (0, 0)
        if key and path and isinstance(data, yamlfile.LocatedMap):
            position = data.key_positions.get(path[0], position)
        self.problems.append(Problem(Location(display, *position), message, hint))

    def _remember(
        self, kind: str, number: str, key: StickyKey | None, location: Location
    ) -> None:
        self.seen.setdefault((kind, number, key), []).append(location)

    def duplicate_problems(self) -> list[Problem]:
        problems = []
        for (kind, number, key), places in self.seen.items():
            if len(places) < 2:
                continue
            what = f"{kind} entry for {number}"
            if key is not None:
                what += f" ({shortened(key.label())})"
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


_NUMBER_HINT = 'write the number with its country code, e.g. "+91 98765 43210"'
_UNTIL_HINT = (
    "write permanent, a date such as 2027-01-31, "
    "or a date-time with an offset such as 2027-01-31T18:00:00+05:30"
)
# What a value of a field is called, where the field's name is not a noun.
_FIELD_WORDS = {"dids": "DID", "cli": "CLI", "until": "`until`"}
# The hint of a value the schema's pattern or format refuses, for the fields
# whose description is too long to be one.
_FIELD_HINTS = {
    "number": _NUMBER_HINT,
    "cli": 'write one of the account\'s lines in digits, e.g. "08045678901"',
    "dids": 'write each of the account\'s lines in digits, e.g. "08045678901"',
    "until": _UNTIL_HINT,
}


def _reported_elsewhere(error: jsonschema.ValidationError) -> bool:
    """A schema error that a dedicated check reports with a better message."""
    # Only `cli` and `group` are refused outright: _check_scope says which
    # scope takes them.
    return error.schema is False


def _type_problem(
    root: Any, path: list[Any], error: jsonschema.ValidationError, where: str
) -> tuple[str, str]:
    """A value of the wrong type: what YAML made of it, and how to write it."""
    wanted = error.validator_value
    shown = _shown(root, path, error.instance)
    message = f"{where}must be {schemas.type_words(wanted)}, not {shown}"
    name = path[-1] if path and isinstance(path[-1], str) else None
    schema = error.schema if isinstance(error.schema, dict) else {}
    if "enum" in schema:
        return message, _choices(schema)
    if wanted == "string" and not isinstance(error.instance, dict | list):
        written = _written(root, path)
        if written is None or written == "":
            return message, "write a value after it, in quotes"
        if len(written) > QUOTED_LIMIT:
            return message, "quote it"
        return message, f'quote it: {name}: "{written}"' if name else "quote it"
    if wanted == "array" and name is not None:
        return message, f"list the entries under `{name}:`, each starting with `- `"
    return message, ""


def _choices(schema: dict[str, Any]) -> str:
    choices = schema.get("enum", [])
    return "write " + " or ".join(f"`{choice}`" for choice in choices)


def _written(root: Any, path: list[Any]) -> str | None:
    """The text of a value YAML did not read as a string, as it was written."""
    container = root
    for step in path[:-1]:
        container = container[step]
    sources = getattr(container, "sources", {})
    return sources.get(path[-1]) if path else None


def _shown(root: Any, path: list[Any], value: Any) -> str:
    """``value`` as the author wrote it where YAML changed it (`no` -> False)."""
    written = _written(root, path)
    if value is None:
        return "empty"
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, dict | list) or written is None:
        return yamlfile.describe(value)
    if written == str(value):
        return f"`{shortened(written)}`"
    return f"`{shortened(written)}` (which YAML reads as {quoted(value)})"


def _identified(item: yamlfile.LocatedMap, key: StickyKey | None) -> bool:
    """Whether a sticky rule's identity is known: a `cli` given is a valid one."""
    return key is None or "cli" not in item or key.cli is not None


def _contact_fields(item: yamlfile.LocatedMap) -> tuple[tuple[str, str], ...]:
    # dob is written YYYY-MM-DD but the API holds dd-mm-YYYY; the value is
    # kept in the API's form so that it compares equal to what is read back.
    return tuple(
        (name, _dob_to_wire(item[name]) if name == "dob" else str(item[name]))
        for name in CONTACT_FIELDS
        if name in item
    )


def _dob_to_wire(value: Any) -> str:
    text = str(value)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return text  # the schema reports it
    return day.strftime(_WIRE_DATE)


def dob_from_wire(text: str) -> str:
    """A dob as the API holds it (dd-mm-YYYY) in the declarations' YYYY-MM-DD.

    Only a form that converts back to exactly ``text`` is turned around, so
    that declaring the result plans no change; anything else (``1-8-1990``,
    a day that does not exist) is returned as it is, for the schema to refuse.
    """
    try:
        day = dt.datetime.strptime(text, _WIRE_DATE).date()
    except ValueError:
        return text
    return day.isoformat() if day.strftime(_WIRE_DATE) == text else text


def _unquoted_number(
    item: yamlfile.LocatedMap, name: str, raw: Any, index: int | None
) -> tuple[str, str]:
    if index is None:
        written = item.sources.get(name, str(raw))
    else:
        values = item[name]
        written = getattr(values, "sources", {}).get(index, str(raw))
    kind = "an integer" if isinstance(raw, int) else "a float"
    shown, read = shortened(written), quoted(raw)
    message = f"{name} {shown} was read by YAML as {kind} ({read}), not a string"
    if written != str(raw):
        message += f": `{shown}` became {read}"
    if len(written) > QUOTED_LIMIT:
        return message, "quote phone numbers"
    if index is not None:
        return message, f'quote phone numbers: {name}: ["{written}", ...]'
    return message, f'quote phone numbers: {name}: "{written}"'


def _indexes(item: yamlfile.LocatedMap, name: str) -> Iterator[int]:
    values = item.get(name)
    if isinstance(values, list):
        yield from range(len(values))


_NO_META = Meta()


def _meta(item: yamlfile.LocatedMap) -> Meta:
    get = item.get
    reason, ticket, owner = get("reason"), get("ticket"), get("owner")
    if reason is None and ticket is None and owner is None:
        return _NO_META  # one for every entry without any: it is frozen
    return Meta(_text(reason), _text(ticket), _text(owner))


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
