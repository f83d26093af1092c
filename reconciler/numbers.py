"""Phone numbers: one contact, one canonical E.164 form.

Declarations may spell a number in any way a person would ("+91 98765 43210",
"098765 43210"); the API answers with its own stored form. Both are folded
into E.164 here before anything is compared.
"""

from __future__ import annotations

import functools

import phonenumbers

from reconciler import contract


class InvalidNumber(ValueError):
    """A string that is not a valid phone number."""


@functools.lru_cache(maxsize=65536)
def normalise(text: str, region: str = contract.DEFAULT_REGION) -> str:
    """Return the E.164 form of ``text`` or raise :class:`InvalidNumber`."""
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(f"{text!r} is not a phone number: {exc}") from None

    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber(f"{text!r} is not a valid phone number")

    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def from_wire(text: str | int, region: str = contract.DEFAULT_REGION) -> str:
    """Fold a number the API returned (digits with country code) into E.164."""
    raw = str(text).strip()
    if raw and not raw.startswith("+") and not raw.startswith("0"):
        try:
            return normalise("+" + raw, region)
        except InvalidNumber:
            pass
    return normalise(raw, region)


def to_wire(e164: str, wire_format: str = contract.WIRE_NUMBER_FORMAT) -> str:
    """The form a number is sent in: see ``contract.WIRE_NUMBER_FORMAT``."""
    if wire_format == "e164":
        return e164
    return e164.lstrip("+")
