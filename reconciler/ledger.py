"""The audit ledger: one JSON line per applied change, hash-chained.

Each record carries ``prev``, the hash of the record before it (zeros for
the first), and ``hash``, the SHA-256 of its own canonical JSON without that
field. An edited line no longer matches its own hash; a removed, inserted or
reordered line breaks the ``prev`` link of the next one. `reconciler ledger
verify` names the line either way.

A chain proves order and integrity, not authorship: someone who rewrites the
whole tail can recompute it. Keeping the ledger in git (or any store that
records when each line arrived) anchors it.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reconciler.errors import StateError
from reconciler.state import open_for_append

GENESIS = "0" * 64


# The result of a record written before a change's calls are sent. The record
# of its outcome names it in ``started``; a started record that no outcome
# names belongs to an apply that was stopped in between.
STARTED = "started"


class Ledger:
    """Appends records to a JSON-lines file, each chained to the last."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._last = _last_hash(path)

    def check_writable(self) -> None:
        """Raise StateError now if records could not be appended later."""
        try:
            with open_for_append(self.path):
                pass
        except OSError as exc:
            raise StateError(
                f"{self.path}: cannot write the audit ledger: "
                f"{exc.strerror or exc}. Make it writable, "
                "or set ledger.path in reconciler.yaml"
            ) from None

    @property
    def head(self) -> str:
        """The hash of the last record, the one the next will chain to."""
        return self._last

    def append(self, record: dict[str, Any]) -> str:
        """Write ``record`` chained to the last one; returns its hash."""
        body = {"time": _now_iso(), **record, "prev": self._last}
        digest = record_hash(body)
        line = _canonical({**body, "hash": digest})
        with open_for_append(self.path) as fh:
            fh.write(line + "\n")
            fh.flush()
        self._last = digest
        return digest

    def unresolved(self) -> list[dict[str, Any]]:
        """Started records whose outcome no later record gives."""
        started: dict[str, dict[str, Any]] = {}
        for record in _records(self.path):
            if record.get("result") == STARTED:
                started[str(record.get("hash"))] = record
            elif record.get("started"):
                started.pop(str(record["started"]), None)
        return list(started.values())


def record_hash(body: dict[str, Any]) -> str:
    """The SHA-256 of a record's canonical JSON, its own ``hash`` left out."""
    fields = {k: v for k, v in body.items() if k != "hash"}
    return hashlib.sha256(_canonical(fields).encode("utf-8")).hexdigest()


def verify(path: Path, head: str | None = None) -> list[str]:
    """Every break in the chain, as 'line N: what is wrong'; empty if intact.

    ``head`` is the last record the state knows was written: a chain intact
    to its end but without it was cut short.
    """
    problems: list[str] = []
    previous = GENESIS
    seen = {GENESIS}
    if path.exists():
        with path.open(encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                found, problem = _check_line(line, previous)
                if problem:
                    problems.append(f"line {number}: {problem}")
                previous = found
                seen.add(found)
    if head is not None and head not in seen:
        problems.append(
            f"the end is missing: the state names record {head[:12]}…, written "
            "by the last apply, and the ledger no longer holds it"
        )
    return problems


def _check_line(line: str, previous: str) -> tuple[str, str]:
    """The hash the next line must point to, and what is wrong with this one."""
    try:
        record = json.loads(line)
    except ValueError:
        return _sha(line.rstrip("\n")), "not a JSON record (cut short or edited)"
    if not isinstance(record, dict):
        return _sha(line.rstrip("\n")), "not a JSON record"

    expected = record_hash(record)
    stored = str(record.get("hash"))
    if stored != expected:
        # Chain on from what the line claims, so that the next line is not
        # blamed for this one's edit.
        return stored, "edited: its content does not match its hash"
    if record.get("prev") != previous:
        return stored, (
            "chain broken: it does not follow the line before "
            f"(expected prev {previous[:12]}…, found {str(record.get('prev'))[:12]}…)"
        )
    return stored, ""


def actor() -> str:
    """Who applies: the CI's actor when there is one, else the local user."""
    for variable in ("GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILDKITE_BUILD_CREATOR"):
        if os.environ.get(variable):
            return os.environ[variable]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def git_commit(root: Path) -> str | None:
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def _records(path: Path) -> Iterator[dict[str, Any]]:
    """The ledger's JSON records, skipping lines that are not one."""
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


def _canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _last_hash(path: Path) -> str:
    """The hash the next record must point to: the last line's own."""
    if not path.exists():
        return GENESIS
    last = ""
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.strip():
                last = line
    if not last:
        return GENESIS
    found, _ = _check_line(last, "")
    return found


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
