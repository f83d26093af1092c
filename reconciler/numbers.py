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
from reconciler.errors import quoted


class InvalidNumber(ValueError):
    """A string that is not a valid phone number."""


# The separators people put between digits, ASCII only: a tab or another
# space (U+00A0, U+2007, U+001C) is left to the full parser, which refuses
# some of them.
_SEPARATORS = re.compile(r"[ ().-]+")
_DIGITS = re.compile(r"\+?[1-9][0-9]*|0[1-9][0-9]*")
_ASCII_LETTER = re.compile(r"[A-Za-z]")


# Longer than any spelling of a phone number; phonenumbers refuses more too.
MAX_LENGTH = 250


@functools.lru_cache(maxsize=65536)
def normalise(text: str, region: str = contract.DEFAULT_REGION) -> str:
    """Return the E.164 form of ``text`` or raise :class:`InvalidNumber`."""
    if len(text) > MAX_LENGTH:
        raise InvalidNumber(f"{len(text):,} characters are too many for a phone number")
    if _has_letters(text):
        # phonenumbers reads 1-800-FLOWERS as digits and drops "ext 5":
        # neither is a number a contact can be stored under.
        raise InvalidNumber(f"{quoted(text)} has letters; write the number in digits")
    quick = _quick_e164(text, region)
    if quick is not None:
        return quick
    return _parse_e164(text, region)


def _has_letters(text: str) -> bool:
    if text.isascii():
        return _ASCII_LETTER.search(text) is not None
    return any(char.isalpha() for char in text)


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
        national = digits
    elif _code_dropped(digits, code, region):
        # Any other bare number that starts with the code is ambiguous, and
        # the parser settles it.
        national = digits[len(code) :]
    else:
        return None

    if not national or national.startswith("0"):
        return None
    if trunk and national.startswith(trunk):
        # phonenumbers may take these digits for a trunk prefix and drop them.
        return None
    candidate = phonenumbers.PhoneNumber(
        country_code=int(code), national_number=int(national)
    )
    if not phonenumbers.is_valid_number_for_region(candidate, region):
        return None
    return f"+{code}{national}"


def _code_dropped(digits: str, code: str, region: str) -> bool:
    """Whether phonenumbers reads bare ``digits`` as the code and a number.

    A number written without a plus but starting with the region's country
    code loses the code when, as a whole, it does not fit the region's
    numbers and the rest does, or when it is too long for the region.
    """
    pattern = _general_pattern(region)
    if pattern is None:
        return False
    if not pattern.fullmatch(digits) and pattern.fullmatch(digits[len(code) :]):
        return True
    # The lengths phonenumbers asks about are those of the region that owns
    # the code: only there is its answer the one for `region` too.
    if phonenumbers.region_code_for_country_code(int(code)) != region:
        return False
    whole = phonenumbers.PhoneNumber(
        country_code=int(code), national_number=int(digits)
    )
    reason = phonenumbers.is_possible_number_with_reason(whole)
    return bool(reason == phonenumbers.ValidationResult.TOO_LONG)


@functools.cache
def _general_pattern(region: str) -> re.Pattern[str] | None:
    """The pattern every national number of ``region`` fits, from its metadata."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    desc = meta.general_desc if meta else None
    pattern = desc.national_number_pattern if desc else None
    return re.compile(pattern) if pattern else None


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


# Why phonenumbers could not read a spelling, in the reader's words.
_PARSE = phonenumbers.NumberParseException
_PARSE_ERRORS = {
    _PARSE.INVALID_COUNTRY_CODE: "has no known country code",
    _PARSE.NOT_A_NUMBER: "is not a phone number",
    _PARSE.TOO_SHORT_AFTER_IDD: "is too short to be a number",
    _PARSE.TOO_SHORT_NSN: "is too short to be a number",
    _PARSE.TOO_LONG: "is too long to be a number",
}


def _parse_e164(text: str, region: str) -> str:
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        why = _PARSE_ERRORS.get(exc.error_type, "is not a phone number")
        raise InvalidNumber(f"{quoted(text)} {why}") from None

    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber(f"{quoted(text)} is not a valid phone number")

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
