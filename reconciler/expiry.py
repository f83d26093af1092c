"""`until` values: permanent, a date, or a date-time with an offset.

An expiry is held as an integer the way the API encodes it: ``PERMANENT``
(-1) for no end, otherwise Unix seconds.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from reconciler.errors import quoted

PERMANENT: Final = -1
PERMANENT_WORDS: Final = ("permanent", "never")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")


# The last instant an `until` may name: a day before the calendar ends, so
# that it can be shown in any time zone.
LATEST: Final = int(dt.datetime(9999, 12, 30, tzinfo=dt.UTC).timestamp())


class InvalidExpiry(ValueError):
    """An `until` that cannot be read; the message says how to write it."""


def parse(value: object, tz: dt.tzinfo) -> int:
    """Turn an `until` value into ``PERMANENT`` or Unix seconds."""
    if value is None:
        return PERMANENT
    if not isinstance(value, str):
        raise InvalidExpiry(
            f"until must be a string, not {type(value).__name__} {quoted(value)}"
        )

    text = value.strip()
    if text.lower() in PERMANENT_WORDS:
        return PERMANENT
    if _DATE.match(text):
        return _bounded(text, _end_of_day(text, tz))
    if _DATETIME.match(text):
        return _bounded(text, _instant(text))
    raise InvalidExpiry(
        f"until {quoted(value)} is not permanent, a date (2027-01-31) "
        "or a date-time with an offset (2027-01-31T18:00:00+05:30)"
    )


def _bounded(text: str, instant: int) -> int:
    if instant > LATEST:
        raise InvalidExpiry(
            f"until {quoted(text)} is too far in the future; write permanent for no end"
        )
    return instant


def _end_of_day(text: str, tz: dt.tzinfo) -> int:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidExpiry(f"until {quoted(text)} is not a calendar date") from None
    end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=tz)
    return int(end.timestamp())


def _instant(text: str) -> int:
    try:
        moment = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise InvalidExpiry(f"until {quoted(text)} is not a valid date-time") from None
    if moment.tzinfo is None:
        raise InvalidExpiry(
            f"until {quoted(text)} has no time zone; add an offset such as +05:30 or Z"
        )
    return int(moment.timestamp())


def is_active(expiry: int | None, now: int) -> bool:
    """True for a permanent expiry or one still in the future."""
    if expiry is None or expiry == 0:
        return False
    return expiry == PERMANENT or expiry > now


def describe(expiry: int | None, tz: dt.tzinfo) -> str:
    """A human form: ``permanent`` or an ISO date-time in ``tz``."""
    if expiry is None:
        return "none"
    if expiry == PERMANENT:
        return "permanent"
    return isoformat(expiry, tz)


def isoformat(instant: int, tz: dt.tzinfo, timespec: str = "auto") -> str:
    """``instant`` as an ISO date-time in ``tz``; raw seconds past the calendar.

    Values read from the API are not bounded like declared ones are.
    """
    try:
        return dt.datetime.fromtimestamp(instant, tz).isoformat(timespec=timespec)
    except (ValueError, OverflowError, OSError):
        return f"{instant} seconds since 1970"
