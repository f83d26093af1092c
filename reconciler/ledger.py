"""The audit ledger: one JSON line per applied change, hash-chained.

Each record carries the SHA-256 of the line before it, so an edited, removed
or reordered line breaks the chain, and `reconciler ledger verify` finds it.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


class Ledger:
    """Appends records to a JSON-lines file, each chained to the last."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._last = _last_hash(path)

    def append(self, record: dict[str, Any]) -> None:
        body = {"time": _now_iso(), **record, "prev": self._last}
        line = json.dumps(body, sort_keys=True, separators=(",", ":"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
        self._last = _hash(line)


def verify(path: Path) -> list[str]:
    """Every break in the chain, as 'line N: what is wrong'; empty if intact."""
    problems: list[str] = []
    if not path.exists():
        return problems
    previous = GENESIS
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            line = line.rstrip("\n")
            try:
                record = json.loads(line)
            except ValueError:
                problems.append(f"line {number}: not a JSON record")
                previous = _hash(line)
                continue
            if record.get("prev") != previous:
                problems.append(
                    f"line {number}: chain broken (expected prev {previous[:12]}…, "
                    f"found {str(record.get('prev'))[:12]}…)"
                )
            previous = _hash(line)
    return problems


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


def _hash(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def _last_hash(path: Path) -> str:
    if not path.exists():
        return GENESIS
    last = ""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                last = line.rstrip("\n")
    return _hash(last) if last else GENESIS


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
