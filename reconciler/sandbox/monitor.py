"""Counters and a request log that tests and benchmarks read.

The log keeps compact tuples in a bounded ring buffer (a million by default)
and numbers every request with a ``seq`` that never restarts, so a reader can
page with ``since``. Neither keeps any request field besides the action and
the contact: credentials never get here.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, NamedTuple

DEFAULT_LOG_SIZE = 1_000_000


class LogRecord(NamedTuple):
    seq: int
    time: float
    action: str
    contact: str | None
    outcome: str
    code: int | None
    changed: bool

    def to_json(self) -> dict[str, Any]:
        return self._asdict()


@dataclass
class Counters:
    requests: int = 0
    ok: int = 0
    errors: int = 0
    faults: int = 0
    writes: int = 0


class Monitor:
    """Per-action counters and the request log. Thread-safe."""

    def __init__(self, log_size: int = DEFAULT_LOG_SIZE) -> None:
        self._lock = threading.Lock()
        self._log: deque[LogRecord] = deque(maxlen=log_size)
        self._seq = 0
        self._counters: dict[str, Counters] = {}

    def record(
        self,
        action: str,
        contact: str | None,
        *,
        result: str | None,
        code: int | None,
        changed: bool = False,
        fault: str | None = None,
        arrived: float | None = None,
    ) -> int:
        """Count and log one request; returns its ``seq``.

        ``result`` is "ok" or "error" when the Directory logic ran (``code``
        is then 200 or the API code), None when a fault stopped the request
        first (``code`` is then the HTTP status, if any). ``fault`` names the
        injected fault and becomes the logged outcome. ``arrived`` is when
        the request came in (Unix seconds; now if not given): the log's
        ``time``, so that request rates can be read off it.
        """
        outcome = fault or result or "unknown"
        with self._lock:
            self._seq += 1
            record = LogRecord(
                self._seq,
                time.time() if arrived is None else arrived,
                action,
                contact,
                outcome,
                code,
                changed,
            )
            self._log.append(record)
            counters = self._counters.setdefault(action, Counters())
            counters.requests += 1
            counters.ok += result == "ok"
            counters.errors += result == "error"
            counters.faults += fault is not None
            counters.writes += changed
            return self._seq

    def stats(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {
                action: dict(vars(counters))
                for action, counters in sorted(self._counters.items())
            }

    def since(self, seq: int, limit: int) -> tuple[list[LogRecord], int]:
        """Records with a ``seq`` above ``seq`` (at most ``limit``), last seq."""
        with self._lock:
            if not self._log:
                return [], self._seq
            start = max(0, seq - self._log[0].seq + 1)
            records = list(itertools.islice(self._log, start, start + limit))
            return records, self._seq

    def reset(self) -> int:
        """Clear counters and log; ``seq`` keeps counting. Returns it."""
        with self._lock:
            self._log.clear()
            self._counters.clear()
            return self._seq
