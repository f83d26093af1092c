"""Request parameters of the Directory API: presence, types and formats.

Each check raises :class:`ApiError` with the code that the working contract
(section 7j of the API reference) assigns to the failure.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from reconciler import contract, numbers
from reconciler.sandbox.reference import stored_form

Code = contract.Code

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_DOB = re.compile(r"^\d{2}-\d{2}-\d{4}$")


class ApiError(Exception):
    """A request the Directory API answers with an error envelope."""

    def __init__(self, code: int, message: str | None = None) -> None:
        self.code = code
        self.message = message or contract.MESSAGES.get(code, "Error")
        super().__init__(f"{code} {self.message}")


def present(body: Mapping[str, Any], name: str) -> bool:
    """True when ``name`` is in the body with a value other than null or ""."""
    value = body.get(name)
    return value is not None and value != ""


def require(body: Mapping[str, Any], name: str) -> Any:
    """The value of a required parameter; 1000 when it is missing."""
    if not present(body, name):
        raise ApiError(Code.INVALID_PARAMETER, f"Invalid parameter: {name}")
    return body[name]


def identifier(value: Any, name: str) -> str:
    """An id sent as a string or a JSON integer, as a string."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ApiError(Code.INVALID_PARAMETER, f"Invalid parameter: {name}")
    return str(value).strip()


def contact(body: Mapping[str, Any], name: str = "contact") -> str:
    """The stored form of the contact number in ``body[name]``."""
    value = require(body, name)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ApiError(Code.INVALID_CONTACT)
    try:
        return stored_form(value)
    except numbers.InvalidNumber:
        raise ApiError(Code.INVALID_CONTACT) from None


# The largest integer the store holds (SQLite's INTEGER): a larger one is
# refused as an invalid parameter, as no instant or ID comes near it.
LARGEST_INTEGER = 2**63 - 1


def integer(value: Any) -> int | None:
    """An int from a JSON integer or a string of one; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    # ASCII digits, no more than the largest integer has: int() reads other
    # scripts' digits too, and refuses 4,300 of them with a ValueError.
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,19}", value.strip()):
        return int(value)
    return None


def dnc_value(body: Mapping[str, Any], now: float | None = None) -> int:
    """The ``dnc`` of setDnc: 0, -1 or a future Unix time."""
    value = integer(require_number(body, "dnc"))
    if value is None or not contract.DNC_PERMANENT <= value <= LARGEST_INTEGER:
        raise ApiError(Code.INVALID_PARAMETER, "Invalid parameter: dnc")
    if value > 0 and value <= (time.time() if now is None else now):
        raise ApiError(Code.INVALID_DATE)
    return value


def require_number(body: Mapping[str, Any], name: str) -> Any:
    """Like :func:`require`, but 0 counts as present."""
    if name not in body or body[name] is None or body[name] == "":
        raise ApiError(Code.INVALID_PARAMETER, f"Invalid parameter: {name}")
    return body[name]


def sticky_expiry(body: Mapping[str, Any]) -> int:
    """The ``expiry`` of setSticky: an integer >= -1 (1509, 1508)."""
    value = require_number(body, "expiry")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(Code.EXPIRY_NOT_INTEGER)
    if value < contract.STICKY_NEVER:
        raise ApiError(Code.EXPIRY_TOO_SMALL)
    if value > LARGEST_INTEGER:
        raise ApiError(Code.INVALID_PARAMETER, "Invalid parameter: expiry")
    return value


def sticky_type(body: Mapping[str, Any]) -> str:
    """The ``type`` of a sticky call: all, cli or cli_group (1502)."""
    value = require(body, "type")
    if value not in contract.STICKY_TYPES:
        raise ApiError(Code.STICKY_TYPE_INVALID)
    return str(value)


def contactinfo(value: Any) -> dict[str, str]:
    """Validated ``contactinfo``; a field sent as "" is kept as "" (clear)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError(Code.INVALID_PARAMETER, "Invalid parameter: contactinfo")

    fields: dict[str, str] = {}
    for name, raw in value.items():
        if name not in contract.CONTACT_FIELDS:
            raise ApiError(Code.INVALID_PARAMETER, f"Invalid parameter: {name}")
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            raise ApiError(Code.INVALID_PARAMETER, f"Invalid parameter: {name}")
        fields[name] = raw.strip()
        if fields[name]:
            _check_field(name, fields[name])
    return fields


def _check_field(name: str, value: str) -> None:
    if name == "name" and not all(
        ch.isalpha() or ch.isspace() or ch == "." for ch in value
    ):
        raise ApiError(Code.INVALID_PARAMETER, "Invalid parameter: name")
    if name == "email" and not _EMAIL.match(value):
        raise ApiError(Code.INVALID_PARAMETER, "Invalid parameter: email")
    if name == "dob":
        check_date(value, name)


def check_date(value: str, name: str) -> None:
    """A ``dd-mm-YYYY`` date: 1000 when malformed, 1001 when no such day."""
    if not _DOB.match(value):
        raise ApiError(Code.INVALID_PARAMETER, f"Invalid parameter: {name}")
    try:
        datetime.strptime(value, "%d-%m-%Y")
    except ValueError:
        raise ApiError(Code.INVALID_DATE) from None


def other(value: Any) -> dict[str, Any]:
    """Validated ``other`` metadata: dates as ``dd-mm-YYYY``, totalcalls int."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError(Code.INVALID_PARAMETER, "Invalid parameter: other")
    for name in ("updatetime", "lastcalltime"):
        if present(value, name):
            if not isinstance(value[name], str):
                raise ApiError(Code.INVALID_PARAMETER, f"Invalid parameter: {name}")
            check_date(value[name], name)
    if present(value, "totalcalls") and integer(value["totalcalls"]) is None:
        raise ApiError(Code.INVALID_PARAMETER, "Invalid parameter: totalcalls")
    return dict(value)
