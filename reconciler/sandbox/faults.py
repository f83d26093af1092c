"""Fault injection: latency, HTTP errors, throttling, hangs and drops.

Faults model the network and the gateway in front of DeepCall, so they are
decided before a request reaches the Directory logic: a request hit by an
HTTP error, a throttle, a hang or a drop is never applied. ``ambiguous_rate``
models the nastier case where a write *is* applied and the answer is then lost
(connection dropped or hung), so that the client cannot know the outcome.

Every decision draws from one ``random.Random(seed)``, so a run with the same
seed and the same request order sees the same faults.
"""

from __future__ import annotations

import dataclasses
import math
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

ERROR_STATUSES = (500, 502, 503)
AMBIGUOUS_KINDS = ("drop", "hang")
_RATES = ("error_rate", "throttle_rate", "hang_rate", "drop_rate", "ambiguous_rate")


@dataclass
class FaultSettings:
    """What to inject; all shares are probabilities per request (0 to 1)."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    retry_after: float = 1.0
    hang_rate: float = 0.0
    hang_seconds: float = 30.0
    drop_rate: float = 0.0
    ambiguous_rate: float = 0.0
    ambiguous_kind: str = "drop"
    rate_limit: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name == "ambiguous_kind" or value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{field.name} must be a number")
            if not math.isfinite(value):
                raise ValueError(f"{field.name} must be a finite number")
        for name in _RATES:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        before = self.error_rate + self.throttle_rate + self.hang_rate + self.drop_rate
        if before > 1.0:
            raise ValueError("error, throttle, hang and drop rates add up past 1")
        for name in ("latency_ms", "jitter_ms", "retry_after", "hang_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.rate_limit < 0:
            raise ValueError("rate_limit must not be negative")
        if self.ambiguous_kind not in AMBIGUOUS_KINDS:
            raise ValueError(f"ambiguous_kind must be one of {AMBIGUOUS_KINDS}")

    @classmethod
    def from_json(cls, data: Any) -> FaultSettings:
        """Settings from a JSON object; unknown keys are an error."""
        if not isinstance(data, dict):
            raise ValueError("fault settings must be a JSON object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(unknown)}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ValueError(str(exc)) from None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def retry_after_header(self) -> str:
        """The Retry-After value: "1", or "0.05" for a fractional delay."""
        return f"{self.retry_after:g}"


@dataclass(frozen=True)
class Decision:
    """The faults chosen for one request.

    ``kind`` is None (no fault before the request), "server_error",
    "throttle", "rate_limit", "hang" or "drop"; ``status`` is the HTTP status
    for the first three. ``after`` is "drop" or "hang" when a write is to be applied
    and its answer lost.
    """

    delay: float = 0.0
    kind: str | None = None
    status: int | None = None
    after: str | None = None


class FaultInjector:
    """Decides the faults of each request from the current settings."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self._window: deque[float] = deque()
        self.replace(settings or FaultSettings())

    @property
    def settings(self) -> FaultSettings:
        return self._settings

    def replace(self, settings: FaultSettings) -> None:
        """Use new settings from now on; restarts the random sequence."""
        with self._lock:
            self._settings = settings
            self._random = random.Random(settings.seed)
            self._window.clear()

    def decide(self, write: bool, now: float | None = None) -> Decision:
        with self._lock:
            s = self._settings
            # Always draw the same count, so one request's settings do not
            # shift the faults of the ones after it.
            kind_draw, status_draw, after_draw, jitter_draw = (
                self._random.random() for _ in range(4)
            )
            delay = (s.latency_ms + s.jitter_ms * jitter_draw) / 1000.0

            if self._over_limit(time.monotonic() if now is None else now):
                return Decision(delay, "rate_limit", 429)
            kind = _pick(kind_draw, s)
            if kind is not None:
                status = _status(kind, status_draw)
                return Decision(delay, kind, status)
            if write and after_draw < s.ambiguous_rate:
                return Decision(delay, after=s.ambiguous_kind)
            return Decision(delay)

    def _over_limit(self, now: float) -> bool:
        limit = self._settings.rate_limit
        if limit <= 0:
            return False
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()
        if len(self._window) >= limit:
            return True
        self._window.append(now)
        return False


def _pick(draw: float, settings: FaultSettings) -> str | None:
    """The fault whose share of [0, 1) contains ``draw``, if any."""
    edge = 0.0
    for kind, rate in (
        ("server_error", settings.error_rate),
        ("throttle", settings.throttle_rate),
        ("hang", settings.hang_rate),
        ("drop", settings.drop_rate),
    ):
        edge += rate
        if draw < edge:
            return kind
    return None


def _status(kind: str, draw: float) -> int | None:
    if kind == "server_error":
        return ERROR_STATUSES[int(draw * len(ERROR_STATUSES))]
    if kind == "throttle":
        return 429
    return None
