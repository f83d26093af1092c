"""The state: which numbers reconciler manages and what it last applied.

The API cannot list a directory, so this record is the only way to know
which numbers to read again, and what to remove when a declaration goes.

On disk it is a JSON snapshot plus a journal of JSON lines. Each applied
change is appended to the journal as it succeeds, so a process killed at any
point loses nothing it did; the next writer folds the journal into a new
snapshot, written atomically (a temporary file renamed over the old one).
A lock file keeps two commands from using one state at once.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import filelock

from reconciler.errors import StateError

log = logging.getLogger(__name__)

FORMAT_VERSION = 1

# Kinds whose value is a map of keyed entries rather than one value.
KEYED_KINDS = ("sticky_agents",)


class State:
    """The managed numbers: number -> kind -> last-applied value."""

    def __init__(self, path: Path, numbers: dict[str, dict[str, Any]] | None = None):
        self.path = path
        self.numbers: dict[str, dict[str, Any]] = numbers or {}
        self.serial = 0
        # The hash of the last ledger record an apply wrote: a ledger that no
        # longer holds it lost records from its end.
        self.ledger_head: str | None = None
        self._journal: IO[str] | None = None

    @property
    def journal_path(self) -> Path:
        return self.path.with_name(self.path.name + ".journal")

    def kinds(self, number: str) -> dict[str, Any]:
        return self.numbers.get(number, {})

    def manages(self, number: str, kind: str) -> bool:
        return kind in self.numbers.get(number, {})

    # Changing the state --------------------------------------------------

    def record(self, number: str, kind: str, key: str, value: Any) -> None:
        """Remember ``value`` as applied; None with a key drops that entry."""
        self._set(number, kind, key, value)
        self._append(
            {"op": "set", "number": number, "kind": kind, "key": key, "value": value}
        )

    def release(self, number: str, kind: str) -> None:
        """Stop managing ``kind`` of ``number``."""
        self._release(number, kind)
        self._append({"op": "release", "number": number, "kind": kind})

    def _set(self, number: str, kind: str, key: str, value: Any) -> None:
        kinds = self.numbers.setdefault(number, {})
        if kind in KEYED_KINDS:
            rules = kinds.setdefault(kind, {})
            if value is None:
                rules.pop(key, None)
            else:
                rules[key] = value
        else:
            kinds[kind] = value

    def _release(self, number: str, kind: str) -> None:
        kinds = self.numbers.get(number)
        if kinds is None:
            return
        kinds.pop(kind, None)
        if not kinds:
            del self.numbers[number]

    def open_journal(self) -> IO[str]:
        """The journal, open for the records to come, or raise StateError.

        An apply opens it before its first call, so that a state it could
        not write stops it before anything changes in the directory.
        """
        if self._journal is None:
            try:
                self._journal = open_for_append(self.journal_path)
            except OSError as exc:
                raise StateError(
                    f"{self.journal_path}: cannot write the state: "
                    f"{exc.strerror or exc}. Make its folder "
                    "writable, or set state.path in reconciler.yaml"
                ) from None
        return self._journal

    def _append(self, record: dict[str, Any]) -> None:
        journal = self.open_journal()
        journal.write(json.dumps(record, separators=(",", ":")) + "\n")
        # Flushed to the OS at once: a killed process loses no recorded change.
        journal.flush()

    # Reading and writing -------------------------------------------------

    @classmethod
    def read(cls, path: Path) -> State:
        state = cls(path)
        if path.exists():
            state._read_snapshot()
        if state.journal_path.exists():
            state._replay_journal()
        # The state lives as long as the command: keep the cyclic collector
        # from walking its (acyclic) millions of objects again on every pass
        # while a plan is built (seconds on a large directory).
        gc.freeze()
        return state

    def _read_snapshot(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StateError(f"{self.path}: cannot read the state: {exc}") from None
        if not isinstance(data, dict):
            raise self._unreadable("it is not a JSON object")
        if data.get("version") != FORMAT_VERSION:
            raise StateError(
                f"{self.path}: state format {data.get('version')!r} is not "
                f"supported; this reconciler reads version {FORMAT_VERSION}"
            )
        serial, numbers = data.get("serial", 0), data.get("numbers", {})
        if not isinstance(serial, int) or not isinstance(numbers, dict):
            raise self._unreadable('"serial" must be a number, "numbers" an object')
        if not all(isinstance(kinds, dict) for kinds in numbers.values()):
            raise self._unreadable("each managed number must map to an object")
        for number, kinds in numbers.items():
            for kind, value in kinds.items():
                if not _well_formed(kind, value):
                    raise self._unreadable(f"{number}: {kind} holds {value!r}")
        self.serial = serial
        self.numbers = numbers
        head = data.get("ledger_head")
        self.ledger_head = head if isinstance(head, str) else None

    def _unreadable(self, why: str) -> StateError:
        return StateError(
            f"{self.path}: not a reconciler state: {why}; restore it from a "
            "backup or from git, or move it away to start managing anew"
        )

    def _replay_journal(self) -> None:
        with self.journal_path.open(encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, start=1):
                if not self._replay(line):
                    # A line cut short by a crash; the lines after it were
                    # written by a later run and hold.
                    log.warning(
                        "ignoring line %d of %s: not a state record",
                        number,
                        self.journal_path,
                    )

    def _replay(self, line: str) -> bool:
        try:
            record = json.loads(line)
            if record["op"] == "set":
                self._set(
                    record["number"], record["kind"], record["key"], record["value"]
                )
            else:
                self._release(record["number"], record["kind"])
        except (ValueError, TypeError, KeyError, AttributeError):
            return False
        return True

    def write(self) -> None:
        """Fold everything into a new snapshot and empty the journal."""
        self.close_journal()
        self.serial += 1
        data = {
            "version": FORMAT_VERSION,
            "serial": self.serial,
            "written_at": int(time.time()),
            "ledger_head": self.ledger_head,
            "numbers": dict(sorted(self.numbers.items())),
        }
        write_atomically(self.path, json.dumps(data, indent=1, sort_keys=False))
        with contextlib.suppress(FileNotFoundError):
            self.journal_path.unlink()

    def close_journal(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None


def _well_formed(kind: str, value: Any) -> bool:
    """Whether ``value`` has the shape the state records for ``kind``."""
    if kind == "dnc":
        return value is None or (isinstance(value, int) and not isinstance(value, bool))
    if kind == "account_managers":
        return value is None or isinstance(value, str)
    if kind == "sticky_agents":
        return isinstance(value, dict) and all(
            isinstance(rule, dict)
            and isinstance(rule.get("agent"), str)
            and isinstance(rule.get("until"), int)
            for rule in value.values()
        )
    if kind == "contacts":
        return isinstance(value, dict) and all(
            isinstance(field, str) for field in value.values()
        )
    if kind == "blacklist":
        return isinstance(value, list) and all(isinstance(d, str) for d in value)
    return False  # a kind this reconciler does not know


def open_for_append(path: Path) -> IO[str]:
    """Open a JSON-lines file to append to, after any line a crash cut short."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("a", encoding="utf-8")
    if fh.tell() and not _ends_a_line(path):
        fh.write("\n")
    return fh


def _ends_a_line(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _log_wait(path: Path, timeout: float) -> None:
    log.warning("the state %s is locked by another command; waiting", path)


@contextlib.contextmanager
def locked(
    path: Path,
    timeout: float = 30.0,
    waiting: Callable[[Path, float], None] = _log_wait,
) -> Iterator[State]:
    """Hold the state's lock, read it, and yield it; the journal closes after.

    When another command holds the lock, ``waiting`` is told once (commands
    print a message) and the lock is awaited for up to ``timeout`` seconds.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(path) + ".lock")
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        waiting(path, timeout)
        try:
            lock.acquire(timeout=timeout)
        except filelock.Timeout:
            raise StateError(
                f"{path} is still locked after {timeout:g}s; another reconciler "
                "command is using it (raise --lock-timeout to wait longer)"
            ) from None
    try:
        state = State.read(path)
        try:
            yield state
        finally:
            state.close_journal()
    finally:
        lock.release()
