"""The quick path for plain spellings answers exactly as phonenumbers does."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconciler import numbers

SEPARATORS = st.sampled_from(
    ["", " ", "-", ".", "(", ")", "  ", "/", "\t", "\x1c", "\x85", "\u00a0", "\u2007"]
)
PREFIXES = st.sampled_from(["", "+", "0", "+91", "+91 ", "91", "0091", "+1", "+44"])


def slow(text: str, region: str) -> str | None:
    try:
        return numbers._parse_e164(text, region)
    except numbers.InvalidNumber:
        return None


@st.composite
def spellings(draw: st.DrawFn) -> str:
    digits = draw(st.text("0123456789", min_size=1, max_size=14))
    cuts = draw(st.lists(st.integers(0, len(digits)), max_size=3))
    text = digits
    for cut in sorted(cuts, reverse=True):
        text = text[:cut] + draw(SEPARATORS) + text[cut:]
    return draw(PREFIXES) + text


@settings(max_examples=400)
@given(spellings(), st.sampled_from(["IN", "US", "GB", "DE"]))
@example("+91 98765 43210", "IN")
@example("098765 43210", "IN")
@example("(+91) 98765 43210", "IN")
@example("91 98765 43210", "IN")
@example("1 202 555 0123", "US")
@example("+7 800 555 35 35", "RU")  # the national number starts with the trunk 8
@example("+91 98765\x1c43210", "IN")  # phonenumbers refuses U+001C
def test_quick_path_never_disagrees_with_phonenumbers(text: str, region: str) -> None:
    quick = numbers._quick_e164(text, region)

    if quick is not None:
        assert quick == slow(text, region)


@st.composite
def code_first(draw: st.DrawFn) -> tuple[str, str]:
    """A bare number that starts with its region's country code: ambiguous."""
    region, code, first = draw(
        st.sampled_from(
            [
                ("IN", "91", "6789"),
                ("US", "1", "2345"),
                ("GB", "44", "17"),
                ("DE", "49", "2345689"),
            ]
        )
    )
    rest = draw(st.text("0123456789", min_size=6, max_size=11))
    separator = draw(SEPARATORS)
    return f"{code}{separator}{draw(st.sampled_from(first))}{rest}", region


@settings(max_examples=400)
@given(code_first())
# Valid both as a whole and without the code: phonenumbers keeps the whole.
@example(("494639610299", "DE"))
@example(("4352281724475", "AT"))
def test_a_bare_number_with_its_country_code_reads_as_phonenumbers_does(
    spelt: tuple[str, str],
) -> None:
    text, region = spelt

    quick = numbers._quick_e164(text, region)

    if quick is not None:
        assert quick == slow(text, region)


def test_quick_path_takes_the_common_spellings() -> None:
    spelt = [
        "+91 98765 43210",
        "098765 43210",
        "9876543210",
        "+91-98765-43210",
        "91 98765 43210",
    ]

    assert {numbers._quick_e164(s, "IN") for s in spelt} == {"+919876543210"}


@pytest.mark.parametrize("text", ["1-800-FLOWERS", "+91 98765 43210 ext 5"])
def test_a_spelling_with_letters_is_not_a_number(text: str) -> None:
    # phonenumbers would read the letters as keypad digits or an extension.
    with pytest.raises(numbers.InvalidNumber, match="has letters"):
        numbers.normalise(text, "IN")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("+999 123 456", "has no known country code"),
        ("+91 1", "is too short to be a number"),
        ("+91 98765 43210 98765 43210 98765", "is too long to be a number"),
        ("+91 98765\x1c43210", "is not a phone number"),
        ("12345", "is not a valid phone number"),
    ],
)
def test_a_number_that_cannot_be_read_says_why_in_words(text: str, why: str) -> None:
    with pytest.raises(numbers.InvalidNumber) as caught:
        numbers.normalise(text, "IN")

    assert str(caught.value) == f"{text!r} {why}"
