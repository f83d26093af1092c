"""Phone numbers: one contact, one canonical E.164 form.

Declarations may spell a number in any way a person would ("+91 98765 43210",
"098765 43210"); the API answers with its own stored form. Both are folded
into E.164 here before anything is compared.
"""

from __future__ import annotations

import functools
import re

import phonenumbers

from reconciler import contract


class InvalidNumber(ValueError):
    """A string that is not a valid phone number."""


# Separators people put between digits; anything else takes the full parser.
_SEPARATORS = re.compile(r"[\s().-]+")
_DIGITS = re.compile(r"\+?[1-9][0-9]*|0[1-9][0-9]*")


# Longer than any spelling of a phone number; phonenumbers refuses more too.
MAX_LENGTH = 250


@functools.lru_cache(maxsize=65536)
def normalise(text: str, region: str = contract.DEFAULT_REGION) -> str:
    """Return the E.164 form of ``text`` or raise :class:`InvalidNumber`."""
    if len(text) > MAX_LENGTH:
        raise InvalidNumber(f"{len(text):,} characters are too many for a phone number")
    if any(char.isalpha() for char in text):
        # phonenumbers reads 1-800-FLOWERS as digits and drops "ext 5":
        # neither is a number a contact can be stored under.
        raise InvalidNumber(f"{text!r} has letters; write the number in digits")
    quick = _quick_e164(text, region)
    if quick is not None:
        return quick
    return _parse_e164(text, region)


def _quick_e164(text: str, region: str) -> str | None:
    """E.164 of the plainest spellings, or None to let phonenumbers decide.

    Parsing dominates reading a large directory. The spellings almost every
    file uses (+CC then digits, the trunk 0 then digits, bare national
    digits) are split here by hand and checked with phonenumbers' own
    validity rules for the region; only a number found valid is answered, so
    the answer is the one ``phonenumbers.parse`` would give.
    """
    digits = _SEPARATORS.sub("", text)
    if not _DIGITS.fullmatch(digits):
        return None
    meta = _region_meta(region)
    if meta is None:
        return None
    code, trunk = meta
    if digits.startswith("+"):
        if not digits.startswith(code, 1):
            return None
        national = digits[1 + len(code) :]
    elif trunk and digits.startswith(trunk):
        national = digits[len(trunk) :]
    elif not digits.startswith(code):
        # A bare number starting with the country code is ambiguous
        # (phonenumbers may strip the code); the parser settles it.
        national = digits
    else:
        return None

    if not national or national.startswith("0"):
        return None
    candidate = phonenumbers.PhoneNumber(
        country_code=int(code), national_number=int(national)
    )
    if not phonenumbers.is_valid_number_for_region(candidate, region):
        return None
    return f"+{code}{national}"


@functools.cache
def _region_meta(region: str) -> tuple[str, str] | None:
    """Country code and trunk prefix of ``region``, if its parsing is plain."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.national_prefix_transform_rule:
        return None
    trunk = meta.national_prefix or ""
    if meta.national_prefix_for_parsing not in (None, trunk):
        return None  # trunk prefixes given by a pattern: leave it to the parser
    return str(meta.country_code), trunk


def _parse_e164(text: str, region: str) -> str:
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
